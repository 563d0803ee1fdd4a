"""The `spyglass` command line. Bad input ends with a clear message and exit status 2."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
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
    """One line per module: spinner while it runs, then its record count and status."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}
        self.phase_task = progress.add_task("Starting", total=None)

    def phase(self, text: str) -> None:
        self.progress.update(self.phase_task, description=escape(text))

    def module_started(self, name: str, description: str) -> None:
        self.tasks[name] = self.progress.add_task(f"{escape(name)}: {escape(description)}", total=1)

    def module_record(self, name: str, count: int) -> None:
        self.progress.update(self.tasks[name], description=f"{escape(name)}: {count} records")

    def module_finished(self, result: ModuleResult) -> None:
        colour = {"ok": "green", "error": "red"}.get(result.status, "dim")
        self.progress.update(self.tasks[result.name], completed=1,
                             description=f"{escape(result.name)}: [{colour}]{result.status}[/] "
                                         f"({result.records} records)")


def _progress() -> Progress:
    return Progress(SpinnerColumn(finished_text="•"), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=err_console, transient=False, disable=not err_console.is_terminal)


def _load_feeds(iocs: Sequence[Path]) -> tuple[list[Any], Any, list[dict[str, Any]], list[str]]:
    from spyglass.feeds import feeds_for_check
    return feeds_for_check(list(iocs) or None)


def _run(action: Callable[[], int]) -> None:
    """Run a command body; map failures to exit status 2 with a message, never a traceback."""
    debug = bool(os.environ.get("SPYGLASS_DEBUG"))
    try:
        code = action()
    except SpyglassError as exc:
        err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        err_console.print("[yellow]Interrupted.[/] A case folder being written stays marked incomplete; "
                          "the same command run again replaces it.")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # last resort: hostile input must never produce a traceback
        if debug:
            traceback.print_exc()
        err_console.print(f"[bold red]Error:[/] the check could not run: {escape(type(exc).__name__)}: "
                          f"{escape(str(exc)[:500])} (set SPYGLASS_DEBUG=1 for details)", soft_wrap=True)
        sys.exit(EXIT_ERROR)
    sys.exit(code)


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


def with_secret_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(secret_options):
        function = option(function)
    return function


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), help="Acquisition kind (detected when not given).")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path, file_okay=False),
              help="Case folder to write (default: a new folder named after the acquisition and time).")
@click.option("--force", is_flag=True, help="Write into a case folder that is not empty.")
@click.option("--iocs", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="STIX 2.1 file or folder of indicators (repeatable; default: the bundled/updated feeds).")
@click.option("--html/--no-html", default=True, help="Also write report.html into the case folder.")
@click.option("--expand-short-links", is_flag=True,
              help="Expand shortened links and match their targets: sends one HEAD request per shortened "
                   "link to the shortening service named in it (bit.ly, ...), reads only where it points; "
                   "never contacts the target.")
@incident_gap_option
@click.option("-v", "--verbose", is_flag=True, help="Also list every module with its status and record count.")
@click.option("--age-identity", type=click.Path(path_type=Path, dir_okay=False),
              help="age identity file decrypting an encrypted androidqf acquisition (.zip.age); a "
                   "passphrase-encrypted one takes the password sources above.")
@with_secret_options
def check(path: Path, kind: str | None, out: Path | None, force: bool, iocs: tuple[Path, ...], html: bool,
          expand_short_links: bool, age_identity: Path | None, password_file: Path | None,
          key_file: Path | None, incident_gap: float, verbose: bool) -> None:
    """Check an acquisition (iOS backup, filesystem dump, sysdiagnose, androidqf, Android bug report
    or backup) and write a case folder."""
    def body() -> int:
        if expand_short_links:
            err_console.print("[yellow]--expand-short-links: each shortened link found in the evidence is sent "
                              "in one HEAD request to the shortening service named in it (bit.ly, ...), "
                              "which will see it; only where it points is read, the target is never "
                              "contacted.[/]")
        from spyglass.check import check as run_check
        from spyglass.reports.summary import print_summary
        feeds, index, feed_info, warnings = _load_feeds(iocs)
        with _progress() as progress:
            outcome = run_check(path, out, feeds, index, kind=kind, force=force,
                                secrets=_secrets(password_file, key_file, age_identity, progress),
                                progress=RichProgress(progress),
                                feed_info=feed_info, warnings=warnings, expand_short_links=expand_short_links,
                                incident_gap=timedelta(minutes=incident_gap))
        _write_reports(outcome.case_dir, html)
        print_summary(console, outcome.case_dir, show_modules=verbose)
        return outcome.exit_status
    _run(body)


@main.command()
@click.argument("case_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--iocs", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="STIX 2.1 file or folder of indicators (repeatable; default: the bundled/updated feeds).")
@click.option("--html/--no-html", default=True, help="Rewrite report.html too.")
@incident_gap_option
def recheck(case_dir: Path, iocs: tuple[Path, ...], html: bool, incident_gap: float) -> None:
    """Re-match a finished case's records against today's indicators, without the phone."""
    def body() -> int:
        from spyglass.check import recheck as run_recheck
        from spyglass.reports.summary import print_summary
        feeds, index, feed_info, warnings = _load_feeds(iocs)
        with _progress() as progress:
            outcome = run_recheck(case_dir, index, progress=RichProgress(progress), feed_info=feed_info,
                                  warnings=warnings, incident_gap=timedelta(minutes=incident_gap))
        _write_reports(outcome.case_dir, html)
        print_summary(console, outcome.case_dir)
        return outcome.exit_status
    _run(body)


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
        console.print("[bold]spyglass demo[/]: checking a generated sample iPhone backup with planted traces.")
        with _progress() as progress:
            outcome = run_check(demo_backup(), out or default_output(Path("demo")), feeds, index,
                                force=force, progress=RichProgress(progress), feed_info=feed_info,
                                warnings=warnings, sample=True)
        _write_reports(outcome.case_dir, True)
        print_summary(console, outcome.case_dir)
        console.print("(The demo exits 0; a real check exits 1 when it finds something.)")
        return EXIT_CLEAN
    _run(body)


REPORT_FORMATS = ("html", "stix", "timesketch", "misp")


@main.command()
@click.argument("case_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(REPORT_FORMATS),
              help="What to write (repeatable; default html and stix): html (report.html), stix (STIX 2.1 "
                   "sightings.stix2), timesketch (timeline.jsonl, every time of every record), misp "
                   "(misp_event.json). A path option below adds its format.")
@click.option("--html", "html_out", type=click.Path(path_type=Path, dir_okay=False), help="Where to write the HTML report.")
@click.option("--stix", "stix_out", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write STIX 2.1 sightings of the indicator findings.")
@click.option("--timesketch", "timesketch_out", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the Timesketch timeline (JSONL).")
@click.option("--misp", "misp_out", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the MISP event of the findings.")
def report(case_dir: Path, formats: tuple[str, ...], html_out: Path | None, stix_out: Path | None,
           timesketch_out: Path | None, misp_out: Path | None) -> None:
    """Render a case folder: terminal summary, then HTML report, STIX sightings, Timesketch timeline,
    MISP event."""
    def body() -> int:
        from spyglass.case import read_detections
        from spyglass.reports.summary import print_summary
        paths = {"html": html_out, "stix": stix_out, "timesketch": timesketch_out, "misp": misp_out}
        chosen = set(formats) | {name for name, path in paths.items() if path is not None} or {"html", "stix"}
        print_summary(console, case_dir)
        for name in REPORT_FORMATS:
            if name in chosen:
                label, written = _write_report(name, case_dir, paths[name])
                console.print(f"{label}: {escape(str(written))}")
        return EXIT_FINDINGS if read_detections(case_dir) else EXIT_CLEAN
    _run(body)


def _write_report(name: str, case_dir: Path, out: Path | None) -> tuple[str, Path]:
    if name == "html":
        from spyglass.reports.html import write_html
        return "HTML report", write_html(case_dir, out)
    if name == "stix":
        from spyglass.reports.stix import write_sightings
        return "STIX sightings", write_sightings(case_dir, out)
    if name == "timesketch":
        from spyglass.reports.timesketch import write_timesketch
        return "Timesketch timeline", write_timesketch(case_dir, out)
    from spyglass.reports.misp import write_misp
    return "MISP event", write_misp(case_dir, out)


def _write_reports(case_dir: Path, html: bool) -> None:
    from spyglass.reports.stix import write_sightings
    write_sightings(case_dir)
    if html:
        from spyglass.reports.html import write_html
        write_html(case_dir)


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
