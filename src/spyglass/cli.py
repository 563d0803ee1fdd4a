"""The `spyglass` command line. Bad input ends with a clear message and exit status 2."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from spyglass import __version__
from spyglass.acquisitions.base import KINDS
from spyglass.errors import SpyglassError
from spyglass.runner import ModuleResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130   # as a shell reports a command ended by Ctrl-C
console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


class RichProgress:
    """One line while a check runs: the phase, or "Module n of N: what it reads (records so far)".
    The line goes when the check ends (the display is transient): no stale spinner is left on
    screen above the summary, and modules are listed once, by the summary (--verbose)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.total: int | None = None
        self.number = 0
        self.records = 0            # records of the modules already finished
        self.current = ""
        self.task = progress.add_task("Starting", total=None)

    def modules_planned(self, total: int) -> None:
        self.total = total
        self.progress.update(self.task, total=total, completed=0)

    def phase(self, text: str) -> None:
        self.progress.update(self.task, description=escape(text))

    def module_started(self, name: str, description: str) -> None:
        self.number += 1
        self.current = " ".join((description or name).split())[:60]
        self._show(0)

    def module_record(self, name: str, count: int) -> None:
        self._show(count)

    def module_finished(self, result: ModuleResult) -> None:
        self.records += result.records
        self.progress.update(self.task, completed=self.number)
        self._show(0)

    def _show(self, running: int) -> None:
        of = f" of {self.total}" if self.total else ""
        self.progress.update(self.task, description=f"Module {self.number}{of}: {escape(self.current)} "
                                                    f"({self.records + running} records so far)")


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=err_console, transient=True, disable=not err_console.is_terminal)


def _load_feeds(iocs: Sequence[Path], only_iocs: Sequence[Path] = (),
                iocs_dir: Path | None = None) -> tuple[list[Any], Any, list[dict[str, Any]], list[str]]:
    """`--iocs` beside the feeds in use, `--only-iocs` instead of them (spyglass/feeds.py)."""
    from spyglass.feeds import feed_paths, feeds_for_check
    paths, with_default = feed_paths(list(iocs), list(only_iocs))
    return feeds_for_check(paths or None, with_default=with_default, directory=iocs_dir)


CHECK_INTERRUPTED = "A case folder being written stays marked incomplete; the same command run again replaces it."


def _run(action: Callable[[], int], *, failed: str = "the check could not run",
         interrupted: str = CHECK_INTERRUPTED, json_command: str | None = None) -> None:
    """Run a command body; map failures to exit status 2 with a message in words, never a
    traceback; Ctrl-C to 130. With `json_command` (--json), a failure also prints its one JSON
    object on stdout: {"command", "exit_status", "error"}."""
    debug = bool(os.environ.get("SPYGLASS_DEBUG"))

    def fail(message: str, status: int) -> None:
        if json_command is not None:
            _emit({"command": json_command, "exit_status": status, "error": message})
        sys.exit(status)

    try:
        code = action()
    except SpyglassError as exc:
        err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", soft_wrap=True)
        fail(str(exc), EXIT_ERROR)
    except KeyboardInterrupt:
        err_console.print(f"[yellow]Interrupted.[/] {escape(interrupted)}")
        fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:  # last resort: hostile input must never produce a traceback
        if debug:
            traceback.print_exc()
        message = f"{failed}: {in_words(exc)}"
        err_console.print(f"[bold red]Error:[/] {escape(message)} (set SPYGLASS_DEBUG=1 for details)",
                          soft_wrap=True)
        fail(message, EXIT_ERROR)
    sys.exit(code)


def in_words(exc: BaseException) -> str:
    """What went wrong, said without the name of an exception class."""
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{(exc.strerror or str(exc) or 'the operating system refused').lower()}"
    if isinstance(exc, MemoryError):
        return "not enough memory"
    if isinstance(exc, UnicodeError):
        return "a file holds text that is not in the expected encoding"
    if isinstance(exc, RecursionError):
        return "the data is nested too deeply"
    text = " ".join(str(exc).split())[:500]
    if isinstance(exc, KeyError | IndexError) or not text:
        return "the case folder or the evidence holds data in a shape spyglass did not expect" + \
            (f" ({text})" if text else "")
    return text


def _emit(data: dict[str, Any]) -> None:
    """The one JSON object of --json, on stdout."""
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def _human(as_json: bool) -> Console:
    """Where the words for people go: stdout, or stderr when stdout carries --json's object."""
    return err_console if as_json else console


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="spyglass")
def main() -> None:
    """spyglass: check a phone's forensic acquisition for traces of mercenary spyware, offline."""


def _secrets(password_file: Path | None, key_file: Path | None, age_identity: Path | None = None,
             progress: Progress | None = None) -> Any:
    """The secrets of a check. With a progress display on screen, a prompt pauses it first, so the
    question is seen and not hidden under a spinner."""
    import getpass

    from spyglass.secrets import Secrets

    def ask(text: str) -> str:
        if progress is not None:
            progress.stop()
        try:
            return getpass.getpass(text)
        finally:
            if progress is not None:
                progress.start()

    def say(text: str) -> None:
        err_console.print(f"[yellow]{escape(text)}[/]")

    return Secrets(password_file=password_file, key_file=key_file, age_identity=age_identity, prompt=ask, say=say)


secret_options = [
    click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False),
                 help="File holding the backup password (else SPYGLASS_BACKUP_PASSWORD or a prompt). "
                      "The file and the prompt are the safe sources: the environment variable stays "
                      "readable in /proc/PID/environ for the whole run."),
    click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False),
                 help="Key file made by 'spyglass ios derive-key' (skips the slow key derivation)."),
]


incident_gap_option = click.option(
    "--incident-gap", "incident_gap", type=click.FloatRange(min=0, max=10_000_000), default=15.0,
    show_default=True, metavar="MINUTES",
    help="Findings this close in time (each to the one before) form one incident (incidents.json).")


def _custody_window(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """--custody START..END, parsed before anything runs: a malformed window is exit status 2."""
    if value is None:
        return None
    from spyglass.custody import parse_window
    try:
        return (*parse_window(value), value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


custody_option = click.option(
    "--custody", "custody_window", callback=_custody_window, metavar="START..END",
    help="A span the phone was out of its owner's hands, each end with its UTC offset "
         "(2024-10-03T09:00+02:00..2024-10-03T18:30+02:00): everything recorded in it, from every module, "
         "printed and written to custody.json, with which sources cover the span.")


def _show_custody(human: Console, case_dir: Path, window: Any) -> None:
    if window is None:
        return
    from spyglass.custody import custody, print_custody, write_custody
    document = custody(case_dir, *window)
    path = write_custody(case_dir, document)
    print_custody(human, document)
    human.print(f"Custody window: {escape(str(path))}", soft_wrap=True)


def with_secret_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(secret_options):
        function = option(function)
    return function


REPORT_FORMATS = ("html", "stix", "timesketch", "misp")

feed_options = [
    click.option("--iocs", multiple=True, type=click.Path(path_type=Path, exists=True),
                 help="Feed file or folder (STIX 2.1, MISP event, plain list, stalkerware YAML) used beside "
                      "the feeds in use: the bundled ones, or those of 'spyglass iocs update' and 'iocs add' "
                      "(repeatable)."),
    click.option("--only-iocs", multiple=True, type=click.Path(path_type=Path, exists=True),
                 help="Feed file or folder used instead of the feeds in use (repeatable)."),
    click.option("--iocs-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Where downloaded and added feeds are kept (default: $SPYGLASS_IOCS_DIR or the user "
                      "data folder)."),
]
json_option = click.option(
    "--json", "as_json", is_flag=True,
    help="Print one JSON object on stdout (verdict, counts, case path, exit status) for scripts; "
         "the words for people go to stderr.")
report_option = click.option(
    "--report", "--format", "formats", multiple=True, type=click.Choice(REPORT_FORMATS),
    help="Also write this export into the case folder (repeatable): timesketch (timeline.jsonl), misp "
         "(misp_event.json), html, stix. report.html and sightings.stix2 are written anyway.")
html_option = click.option("--html/--no-html", default=True,
                           help="Write report.html into the case folder (default: yes).")


def with_feed_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(feed_options):
        function = option(function)
    return function


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), help="Acquisition kind (detected when not given).")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path, file_okay=False),
              help="Case folder to write (default: a new folder named after the acquisition and time). "
                   "For a folder of several acquisitions, each is checked into OUT/<name>/.")
@click.option("--force", is_flag=True, help="Write into a case folder that is not empty.")
@with_feed_options
@html_option
@report_option
@click.option("--expand-short-links", is_flag=True,
              help="Expand shortened links and match their targets: sends one HEAD request per shortened "
                   "link to the shortening service named in it (bit.ly, ...), reads only where it points; "
                   "never contacts the target.")
@incident_gap_option
@custody_option
@click.option("-v", "--verbose", is_flag=True, help="Also list every module with its status and record count.")
@json_option
@click.option("--age-identity", type=click.Path(path_type=Path, dir_okay=False),
              help="age identity file decrypting an encrypted androidqf acquisition (.zip.age); a "
                   "passphrase-encrypted one takes the password sources above.")
@with_secret_options
def check(path: Path, kind: str | None, out: Path | None, force: bool, iocs: tuple[Path, ...],
          only_iocs: tuple[Path, ...], iocs_dir: Path | None, html: bool, formats: tuple[str, ...],
          expand_short_links: bool, age_identity: Path | None, password_file: Path | None,
          key_file: Path | None, incident_gap: float, verbose: bool, as_json: bool,
          custody_window: Any = None) -> None:
    """Check an acquisition (iOS backup, filesystem dump, sysdiagnose, androidqf, Android bug report
    or backup), or a folder of several, and write a case folder for each.

    Exit status: 0 no findings, 1 findings, 2 the check could not run (for several: the worst)."""
    human = _human(as_json)

    def body() -> int:
        if expand_short_links:
            err_console.print("[yellow]--expand-short-links: each shortened link found in the evidence is sent "
                              "in one HEAD request to the shortening service named in it (bit.ly, ...), "
                              "which will see it; only where it points is read, the target is never "
                              "contacted.[/]")
        from spyglass.check import acquisitions_in
        from spyglass.check import check as run_check
        from spyglass.reports.summary import print_summary
        feeds, index, feed_info, warnings = _load_feeds(iocs, only_iocs, iocs_dir)
        chosen = _chosen_formats(html, formats)

        def one(evidence: Path, case_dir: Path | None) -> Any:
            with _progress() as progress:
                return run_check(evidence, case_dir, feeds, index, kind=kind, force=force,
                                 secrets=_secrets(password_file, key_file, age_identity, progress),
                                 progress=RichProgress(progress), feed_info=feed_info, warnings=warnings,
                                 expand_short_links=expand_short_links,
                                 incident_gap=timedelta(minutes=incident_gap))

        several = acquisitions_in(path) if kind is None else []
        if several:
            return _check_several(path, several, out, one, chosen, human, as_json, custody_window)
        outcome = one(path, out)
        written = _write_reports(outcome.case_dir, chosen)
        print_summary(human, outcome.case_dir, show_modules=verbose)
        _announce_exports(human, written)
        _show_custody(human, outcome.case_dir, custody_window)
        if as_json:
            _emit(_case_summary("check", outcome.case_dir, outcome.case, outcome.exit_status, written))
        return outcome.exit_status
    _run(body, json_command="check" if as_json else None)


def _check_several(folder: Path, evidence: list[Path], out: Path | None, one: Callable[[Path, Path], Any],
                   formats: list[str], human: Console, as_json: bool, custody_window: Any = None) -> int:
    """Each acquisition of `folder` checked into OUT/<name>/, one after the other, with a summary
    line each (and --custody's window, for each); an acquisition that cannot be checked is said
    and the others go on."""
    from spyglass.check import case_name, default_output, worst_status
    root = (out or default_output(folder)).expanduser()
    resolved = root.resolve()
    if resolved == folder.resolve() or folder.resolve() in resolved.parents:
        raise SpyglassError(f"{root}: the output folder must not be inside the folder of acquisitions")
    human.print(f"{escape(str(folder))} holds {len(evidence)} acquisitions: each is checked into "
                f"{escape(str(root))}/<name>/.", soft_wrap=True)
    summaries: list[dict[str, Any]] = []
    lines: list[str] = []
    for number, item in enumerate(evidence, start=1):
        human.print(f"[bold]{number}/{len(evidence)}[/] {escape(item.name)}")
        case_dir = root / case_name(item)
        try:
            outcome = one(item, case_dir)
            written = _write_reports(outcome.case_dir, formats)
            _show_custody(human, outcome.case_dir, custody_window)
        except SpyglassError as exc:
            summaries.append({"acquisition": str(item), "case": None, "exit_status": EXIT_ERROR, "error": str(exc)})
            lines.append(f"{item.name}: not checked: {exc}")
            continue
        summary = _case_summary("check", outcome.case_dir, outcome.case, outcome.exit_status, written)
        summaries.append({"acquisition": str(item), **summary})
        lines.append(f"{item.name}: {_counted(outcome.case)}: {outcome.case.get('verdict', '')} -> {outcome.case_dir}")
    status = worst_status([summary["exit_status"] for summary in summaries])
    human.print(f"[bold]{len(evidence)} acquisitions checked[/]:")
    for line in lines:
        human.print(f"  {escape(line)}", soft_wrap=True)
    if as_json:
        _emit({"command": "check", "folder": str(folder), "output": str(root), "acquisitions": summaries,
               "exit_status": status})
    return status


@main.command()
@click.argument("case_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@with_feed_options
@html_option
@report_option
@incident_gap_option
@custody_option
@click.option("--jobs", type=click.IntRange(min=1, max=64), default=None,
              help="For a folder of cases: how many are re-checked at once, each in a process of its "
                   "own (default: the number of processors, at most 4).")
@json_option
def recheck(case_dir: Path, iocs: tuple[Path, ...], only_iocs: tuple[Path, ...], iocs_dir: Path | None,
            html: bool, formats: tuple[str, ...], incident_gap: float, jobs: int | None, as_json: bool,
            custody_window: Any = None) -> None:
    """Re-match a finished case's records against today's indicators, without the phone, and say
    what changed; or every case under a folder (CASE_DIR holding case folders), one line each."""
    human = _human(as_json)

    def body() -> int:
        from spyglass.check import cases_in
        from spyglass.check import recheck as run_recheck
        from spyglass.reports.summary import print_summary
        if not (case_dir / "case.json").exists():
            cases = cases_in(case_dir)
            if cases:
                return _recheck_several(case_dir, cases, iocs, only_iocs, iocs_dir, html, formats,
                                        incident_gap, jobs, human, as_json, custody_window)
        feeds, index, feed_info, warnings = _load_feeds(iocs, only_iocs, iocs_dir)
        with _progress() as progress:
            outcome = run_recheck(case_dir, index, progress=RichProgress(progress), feed_info=feed_info,
                                  warnings=warnings, incident_gap=timedelta(minutes=incident_gap))
        written = _write_reports(outcome.case_dir, _chosen_formats(html, formats))
        print_summary(human, outcome.case_dir)
        _announce_exports(human, written)
        _print_changes(human, outcome.changes or {}, (outcome.case.get("history") or [{}])[-1].get("at"))
        _show_custody(human, outcome.case_dir, custody_window)
        if as_json:
            _emit(_case_summary("recheck", outcome.case_dir, outcome.case, outcome.exit_status, written,
                                outcome.changes))
        return outcome.exit_status
    _run(body, json_command="recheck" if as_json else None,
         interrupted="A case being re-checked may hold part of the new results; the same command run again "
                     "completes it.")


def _recheck_several(folder: Path, cases: list[Path], iocs: tuple[Path, ...], only_iocs: tuple[Path, ...],
                     iocs_dir: Path | None, html: bool, formats: tuple[str, ...], incident_gap: float,
                     jobs: int | None, human: Console, as_json: bool, custody_window: Any = None) -> int:
    """The weekly re-hunt: every case under `folder` re-checked, each in a process of its own,
    a bounded number at once; one line per case with its new findings, in the cases' order.
    --custody writes each case's custody.json (its words are the case's own process's)."""
    from spyglass.check import recheck_in_processes, worst_status
    from spyglass.feeds import feed_paths
    feed_paths(list(iocs), list(only_iocs))     # refuses both at once, before any process starts
    arguments = [f"--incident-gap={incident_gap}"]
    arguments += [f"--iocs={path.resolve()}" for path in iocs] + [f"--only-iocs={path.resolve()}" for path in only_iocs]
    arguments += [f"--iocs-dir={iocs_dir.resolve()}"] if iocs_dir is not None else []
    arguments += [] if html else ["--no-html"]
    arguments += [f"--report={name}" for name in formats]
    arguments += [f"--custody={custody_window[2]}"] if custody_window is not None else []
    workers = jobs or max(1, min(4, os.cpu_count() or 1))
    human.print(f"Re-checking {len(cases)} cases under {escape(str(folder))} ({workers} at a time).", soft_wrap=True)
    summaries = recheck_in_processes(cases, arguments, workers)
    for summary in summaries:
        human.print(escape(_recheck_line(folder, summary)), soft_wrap=True)
    status = worst_status([int(summary.get("exit_status", EXIT_ERROR)) for summary in summaries])
    if as_json:
        _emit({"command": "recheck", "folder": str(folder), "cases": summaries, "exit_status": status})
    return status


def _recheck_line(folder: Path, summary: dict[str, Any]) -> str:
    """One case of a batch re-check: its new findings first (what the re-hunt is for)."""
    path = Path(str(summary.get("case", "?")))
    try:
        name = str(path.relative_to(folder))
    except ValueError:
        name = str(path)
    if summary.get("error"):
        return f"{name}: not re-checked: {summary['error']}"
    changes = summary.get("changes") or {}
    new = changes.get("new_findings") or []
    shown = "; ".join(_finding_words(finding) for finding in new[:3])
    more = f"; and {len(new) - 3} more" if len(new) > 3 else ""
    head = f"{changes.get('new', 0)} new" + (f" ({shown}{more})" if shown else "")
    return (f"{name}: {head}, {changes.get('gone', 0)} no longer matched, {changes.get('unchanged', 0)} unchanged; "
            f"{_counted(summary)}")


def _finding_words(finding: dict[str, Any]) -> str:
    what = finding.get("indicator") or finding.get("heuristic") or finding.get("value") or finding.get("kind")
    malware = f" {finding['malware']}" if finding.get("malware") else ""
    feeds = f" [{', '.join(finding['feeds'])}]" if finding.get("feeds") else ""
    return f"{finding.get('severity')}{malware} {what} in {finding.get('module')}{feeds}"


def _counted(case: dict[str, Any]) -> str:
    counts = case.get("findings") if "findings" in case else case.get("counts")
    total = (counts or {}).get("total", 0) if isinstance(counts, dict) else 0
    return f"{total} finding{'s' if total != 1 else ''}"


def _print_changes(human: Console, changes: dict[str, Any], since: str | None) -> None:
    """What a recheck changed: findings new and no longer matched, unchanged, feeds per version."""
    if not changes:
        return
    when = f" ({since})" if since else ""
    new = changes.get("new_count", 0)
    human.print(f"[bold]Since the last check{escape(when)}:[/] {new} new finding{'s' if new != 1 else ''}, "
                f"{changes.get('gone_count', 0)} no longer matched, {changes.get('unchanged', 0)} unchanged.")
    for label, key, total in (("new", "new", "new_count"), ("no longer matched", "gone", "gone_count")):
        listed = changes.get(key) or []
        for finding in listed[:20]:
            human.print(f"  {label}: {escape(_finding_words(finding))}", soft_wrap=True)
        if changes.get(total, 0) > min(20, len(listed)):
            human.print(f"  ... {changes[total] - min(20, len(listed))} more {label} (case.json, history)")
    feeds = changes.get("feeds") or {}
    for label, key in (("feeds added", "added"), ("feeds removed", "removed")):
        named = [f"{feed.get('name')} {feed.get('version') or ''}".rstrip() for feed in feeds.get(key) or []]
        if named:
            human.print(f"  {label}: {escape(', '.join(named))}")
    for feed in feeds.get("updated") or []:
        human.print(f"  feed updated: {escape(str(feed.get('name')))} {escape(str(feed.get('before')))} -> "
                    f"{escape(str(feed.get('after')))}")
    per_feed = [f"{name}{' ' + entry['version'] if entry.get('version') else ''}: {entry.get('new', 0)} new, "
                f"{entry.get('gone', 0)} no longer matched" for name, entry in (changes.get("by_feed") or {}).items()]
    if per_feed:
        human.print(f"  by feed: {escape('; '.join(per_feed))}")


def _case_summary(command: str, case_dir: Path, case: dict[str, Any], exit_status: int,
                  written: dict[str, Path], changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """--json's object for one case."""
    data: dict[str, Any] = {"command": command, "case": str(case_dir), "verdict": case.get("verdict"),
                            "counts": case.get("findings") or {"total": 0, "by_severity": {}, "by_kind": {}},
                            "exit_status": exit_status,
                            "reports": {name: str(path) for name, path in written.items()},
                            "warnings": [str(warning) for warning in case.get("warnings") or []]}
    if changes is not None:
        data["changes"] = {"new": changes.get("new_count", 0), "gone": changes.get("gone_count", 0),
                           "unchanged": changes.get("unchanged", 0), "new_findings": changes.get("new", []),
                           "gone_findings": changes.get("gone", []), "by_feed": changes.get("by_feed", {}),
                           "feeds": changes.get("feeds", {})}
    return data


@main.command()
@click.option("-o", "--output", "out", type=click.Path(path_type=Path, file_okay=False),
              help="Case folder to write (default: a new folder in the current directory).")
@click.option("--force", is_flag=True, help="Write into a case folder that is not empty.")
def demo(out: Path | None, force: bool) -> None:
    """Check the bundled sample backup against the bundled demo feed."""
    def body() -> int:
        from spyglass.check import check as run_check
        from spyglass.check import default_output
        from spyglass.demo import demo_backup, demo_feed
        from spyglass.feeds import feeds_for_check
        from spyglass.reports.summary import print_summary
        feeds, index, feed_info, warnings = feeds_for_check([demo_feed()])
        # The sample feed is as old as the sample: its age says nothing of the user's feeds.
        warnings = [warning for warning in warnings if not warning.startswith("The feed ")]
        console.print("[bold]spyglass demo[/]: checking a generated sample iPhone backup with planted traces.")
        with _progress() as progress:
            outcome = run_check(demo_backup(), out or default_output(Path("demo")), feeds, index,
                                force=force, progress=RichProgress(progress), feed_info=feed_info,
                                warnings=warnings, sample=True)
        _write_reports(outcome.case_dir, ["html", "stix"])
        print_summary(console, outcome.case_dir)
        console.print("(The demo exits 0; a real check exits 1 when it finds something.)")
        return EXIT_CLEAN
    _run(body)


REPORT_LABELS = {"html": "HTML report", "stix": "STIX sightings", "timesketch": "Timesketch timeline",
                 "misp": "MISP event"}
REPORT_PATH_HELP = {"html": "the HTML report", "stix": "the STIX 2.1 sightings of the indicator findings",
                    "timesketch": "the Timesketch timeline (JSONL)", "misp": "the MISP event of the findings"}


def with_report_paths(function: Callable[..., Any]) -> Callable[..., Any]:
    """`--html-file FILE` and the like; the spelling of earlier versions (`--html FILE`) still works,
    unlisted: `--html` alone is check's and recheck's switch."""
    for name in reversed(REPORT_FORMATS):
        function = click.option(f"--{name}", f"{name}_alias", hidden=True,
                                type=click.Path(path_type=Path, dir_okay=False))(function)
        function = click.option(f"--{name}-file", f"{name}_file", type=click.Path(path_type=Path, dir_okay=False),
                                help=f"Where to write {REPORT_PATH_HELP[name]} (adds its format).")(function)
    return function


@main.command()
@click.argument("case_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("-f", "--format", "--report", "formats", multiple=True, type=click.Choice(REPORT_FORMATS),
              help="What to write (repeatable; default html and stix): html (report.html), stix (STIX 2.1 "
                   "sightings.stix2), timesketch (timeline.jsonl, every time of every record), misp "
                   "(misp_event.json). A --FORMAT-file option adds its format.")
@with_report_paths
@click.option("--incident", "incident", metavar="N",
              help="Print the context of incident N (its number in incidents.json order, or its id): the "
                   "records of every module around it, its findings marked, and its leads.")
@click.option("--margin", type=click.FloatRange(min=0, max=10_000_000), default=5.0, show_default=True,
              metavar="MINUTES", help="With --incident: how far before and after the incident the context reaches.")
@click.option("--leads", "leads_out", is_flag=False, flag_value="", default=None, metavar="[FILE]",
              help="Write the incidents' leads (values seen near them that no feed lists) as a STIX 2.1 bundle "
                   "of candidate indicators for a lab to review (default: leads.stix2 in the case folder).")
@custody_option
@json_option
def report(case_dir: Path, formats: tuple[str, ...], as_json: bool, incident: str | None = None,
           margin: float = 5.0, leads_out: str | None = None, custody_window: Any = None,
           **paths_given: Path | None) -> None:
    """Render a case folder: terminal summary, then HTML report, STIX sightings, Timesketch timeline,
    MISP event. Exit status 0 when written, 2 when not."""
    human = _human(as_json)

    def body() -> int:
        from spyglass.case import read_case
        from spyglass.reports.summary import print_summary
        paths = {name: paths_given.get(f"{name}_file") or paths_given.get(f"{name}_alias") for name in REPORT_FORMATS}
        extras = (incident, leads_out, custody_window) != (None, None, None)
        if extras and not formats and not any(paths.values()):     # only what was asked
            written = _report_extras(human, case_dir, incident, margin, leads_out, custody_window)
            if as_json:
                _emit(_case_summary("report", case_dir, read_case(case_dir), EXIT_CLEAN, written))
            return EXIT_CLEAN
        chosen = set(formats) | {name for name, path in paths.items() if path is not None} or {"html", "stix"}
        case = read_case(case_dir)
        print_summary(human, case_dir)
        written = _write_reports(case_dir, [name for name in REPORT_FORMATS if name in chosen], paths, human)
        written.update(_report_extras(human, case_dir, incident, margin, leads_out, custody_window))
        if as_json:
            _emit(_case_summary("report", case_dir, case, EXIT_CLEAN, written))
        return EXIT_CLEAN
    _run(body, failed="the report could not be written", json_command="report" if as_json else None,
         interrupted="A report being written may be incomplete; run the same command again.")


def _report_extras(human: Console, case_dir: Path, incident: str | None, margin: float, leads_out: str | None,
                   custody_window: Any) -> dict[str, Path]:
    """report --incident (printed), --leads (written), --custody (printed and written)."""
    written: dict[str, Path] = {}
    if incident is not None:
        from spyglass.context import context, print_context
        print_context(human, context(case_dir, incident, timedelta(minutes=margin)))
    if leads_out is not None:
        from spyglass.reports.stix import write_leads
        written["leads"], count = write_leads(case_dir, Path(leads_out) if leads_out else None)
        human.print(f"Leads ({count} candidate indicators, not findings): {escape(str(written['leads']))}",
                    soft_wrap=True)
    if custody_window is not None:
        _show_custody(human, case_dir, custody_window)
        written["custody"] = case_dir / "custody.json"
    return written


def _chosen_formats(html: bool, formats: Iterable[str]) -> list[str]:
    """What check and recheck write: the STIX sightings always, the HTML report unless --no-html,
    and what --report names."""
    chosen = {"stix", *formats} | ({"html"} if html else set())
    return [name for name in REPORT_FORMATS if name in chosen]


def _announce_exports(human: Console, written: dict[str, Path]) -> None:
    """The exports --report asked for (the summary already names report.html)."""
    for name, path in written.items():
        if name not in ("html", "stix"):
            human.print(f"{REPORT_LABELS[name]}: {escape(str(path))}", soft_wrap=True)


def _write_reports(case_dir: Path, formats: Iterable[str], paths: dict[str, Path | None] | None = None,
                   human: Console | None = None) -> dict[str, Path]:
    """Write each export named; where each went. With `human`, say so."""
    written: dict[str, Path] = {}
    for name in formats:
        out = (paths or {}).get(name)
        if name == "html":
            from spyglass.reports.html import write_html
            written[name] = write_html(case_dir, out)
        elif name == "stix":
            from spyglass.reports.stix import write_sightings
            written[name] = write_sightings(case_dir, out)
        elif name == "timesketch":
            from spyglass.reports.timesketch import write_timesketch
            written[name] = write_timesketch(case_dir, out)
        else:
            from spyglass.reports.misp import write_misp
            written[name] = write_misp(case_dir, out)
        if human is not None:
            human.print(f"{REPORT_LABELS[name]}: {escape(str(written[name]))}", soft_wrap=True)
    return written


@main.group()
def ios() -> None:
    """iOS backup tools: derive a key once, decrypt a backup."""


@ios.command("derive-key")
@click.argument("backup", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Key file to write (mode 0600).")
@click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False),
              help="File holding the backup password (else SPYGLASS_BACKUP_PASSWORD or a prompt). "
                   "The file and the prompt are the safe sources: the environment variable stays "
                   "readable in /proc/PID/environ for the whole run.")
def derive_key_command(backup: Path, out: Path, password_file: Path | None) -> None:
    """Run the slow key derivation once and keep the key in a file."""
    def body() -> int:
        from spyglass.acquisitions.ios_crypto import derive_key, write_key_file
        key = derive_key(backup, _secrets(password_file, None))
        write_key_file(out, key)
        console.print(f"Key written to {escape(str(out))}. Keep it as safe as the password.")
        return EXIT_CLEAN
    _run(body)


@ios.command("decrypt")
@click.argument("backup", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("-o", "--output", "dest", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Empty folder to write the decrypted backup to.")
@with_secret_options
def decrypt_command(backup: Path, dest: Path, password_file: Path | None, key_file: Path | None) -> None:
    """Write a decrypted copy of an encrypted backup (the check itself never needs one)."""
    def body() -> int:
        from spyglass.acquisitions.ios_decrypt import decrypt_backup
        with _progress() as progress:
            task = progress.add_task("Decrypting", total=None)
            result = decrypt_backup(backup, _secrets(password_file, key_file), dest,
                                    progress=lambda done, total: progress.update(task, completed=done, total=total))
        console.print(f"Decrypted backup written to {escape(str(dest))}: {result.files} files.")
        for source, message in result.errors[:50]:
            err_console.print(f"[yellow]Not decrypted:[/] {escape(source)}: {escape(message)}", soft_wrap=True)
        if result.errors:
            err_console.print(f"[yellow]{len(result.errors)} files could not be decrypted.[/]")
            return EXIT_ERROR
        return EXIT_CLEAN
    _run(body)


@main.command("modules")
@click.option("--paths", is_flag=True, help="Also list the device paths each module reads.")
def list_modules(paths: bool) -> None:
    """List the artifact modules and heuristics: what each reads and on which OS versions."""
    from rich.table import Table

    from spyglass import heuristics
    from spyglass.modules import discover

    table = Table(title="Modules")
    for column in ("module", "reads", "kinds", "OS versions"):
        table.add_column(column)
    for module in discover():
        artifact = module.artifact
        reads = escape(artifact.description)
        if paths:
            places = list(artifact.paths) + [f"{kind}: {name}" for kind, names in artifact.extra.items()
                                             for name in names]
            if artifact.whole:
                places.append(f"(the acquisition's {'file listing' if artifact.whole == 'listing' else 'device facts'})")
            reads += "\n" + "\n".join(f"[dim]{escape(place)}[/]" for place in places)
        table.add_row(escape(module.name), reads, ", ".join(sorted(artifact.kinds)), escape(artifact.os_versions))
    console.print(table)
    table = Table(title="Heuristics")
    table.add_column("heuristic")
    table.add_column("looks for")
    for heuristic in heuristics.discover():
        table.add_row(escape(heuristic.name), escape(heuristic.heuristic.description))
    console.print(table)


def _register_iocs() -> None:
    try:
        from spyglass.indicators.cli import iocs
    except ImportError:
        return
    main.add_command(iocs)


_register_iocs()

if __name__ == "__main__":
    main()
