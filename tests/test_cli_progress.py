"""The progress line of a check: module n of N with the records so far, gone when the check ends."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from spyglass import cli
from spyglass.runner import ModuleResult


def terminal() -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(file=screen, force_terminal=True, width=80, highlight=False), screen


def test_progress_says_module_n_of_n_and_records_so_far(monkeypatch: pytest.MonkeyPatch) -> None:
    console, _ = terminal()
    monkeypatch.setattr(cli, "err_console", console)
    with cli._progress() as progress:
        shown = cli.RichProgress(progress)
        shown.phase("Opening the acquisition")
        assert progress.tasks[0].description == "Opening the acquisition"
        shown.modules_planned(3)
        shown.module_started("sms", "SMS and iMessage")
        assert progress.tasks[0].description == "Module 1 of 3: SMS and iMessage (0 records so far)"
        shown.module_record("sms", 5000)
        assert progress.tasks[0].description == "Module 1 of 3: SMS and iMessage (5000 records so far)"
        shown.module_finished(ModuleResult("sms", "SMS and iMessage", records=5123))
        shown.module_started("tcc", "Privacy [bold]permissions[/]")
        # Descriptions are text, never markup; one task only: modules are not listed on screen.
        assert progress.tasks[0].description == r"Module 2 of 3: Privacy \[bold]permissions\[/] (5123 records so far)"
        assert (len(progress.tasks), progress.tasks[0].completed, progress.tasks[0].total) == (1, 1, 3)


def test_progress_without_a_total_still_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    console, _ = terminal()
    monkeypatch.setattr(cli, "err_console", console)
    with cli._progress() as progress:
        shown = cli.RichProgress(progress)
        shown.module_started("datausage", "")
        assert progress.tasks[0].description == "Module 1: datausage (0 records so far)"


def test_progress_leaves_no_stale_line(monkeypatch: pytest.MonkeyPatch) -> None:
    console, screen = terminal()
    monkeypatch.setattr(cli, "err_console", console)
    with cli._progress() as progress:
        shown = cli.RichProgress(progress)
        shown.modules_planned(1)
        shown.module_started("sms", "SMS and iMessage")
        progress.refresh()
    assert progress.live.transient
    written = screen.getvalue()
    assert "Module 1 of 1: SMS and iMessage" in written
    # After the last drawing of the line comes the erase of it (cursor back, line cleared).
    assert "\x1b[2K" in written[written.rindex("SMS and iMessage"):]


def test_progress_is_silent_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(cli, "err_console", Console(file=screen, force_terminal=False))
    with cli._progress() as progress:
        cli.RichProgress(progress).module_started("sms", "SMS and iMessage")
    assert screen.getvalue() == ""
