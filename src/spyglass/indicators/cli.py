"""`spyglass iocs ...`: list, update, add and try out indicator feeds.

The group is attached to the main command by `main.add_command(iocs)`. Errors end with a
message on stderr and exit status 2; `iocs match` exits 1 when the value matches.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from spyglass.errors import SpyglassError
from spyglass.indicators.feed_index import DEFAULT_INDEX_URL
from spyglass.indicators.index import IndicatorIndex
from spyglass.indicators.model import LoadedFeed
from spyglass.indicators.normalize import NORMALIZERS, looks_like_ip, normalize
from spyglass.indicators.store import (
    DEFAULT_TIMEOUT,
    ENV_IOCS_DIR,
    add_feed,
    added_feeds,
    current_set,
    iocs_dir,
    resolve_feeds,
    staleness_warning,
    update_feeds,
)
from spyglass.records import Observable

DIR_KEY = "spyglass.iocs_dir"
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def _errors_exit_2(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SpyglassError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
    return wrapper


def _directory() -> Path | None:
    return click.get_current_context().meta.get(DIR_KEY)


@click.group(name="iocs")
@click.option("--iocs-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"Where downloaded and added feeds are kept (default: ${ENV_IOCS_DIR} or the user data folder).")
@click.pass_context
def iocs(context: click.Context, iocs_dir: Path | None) -> None:
    """Indicator of compromise feeds: list, update, add, match."""
    context.meta[DIR_KEY] = iocs_dir


@iocs.command(name="list")
@_errors_exit_2
def list_command() -> None:
    """The feeds a check uses when given no --iocs."""
    directory = _directory()
    folder = current_set(directory)
    feeds = resolve_feeds(None, directory)
    added = {feed.name for feed in added_feeds(directory)}
    origin = f"stored set {folder}" if folder else "bundled with spyglass (run `spyglass iocs update` for current ones)"
    click.echo(f"Feeds: {origin}")
    for feed in feeds:
        _echo_feed(feed, " (added)" if feed.name in added else "")
    total = len(IndicatorIndex(feeds))
    click.echo(f"{len(feeds)} feeds, {total} distinct indicators. Storage: {iocs_dir(directory)}")
    warning = staleness_warning(feeds)
    if warning:
        click.echo(f"warning: {warning}", err=True)


@iocs.command()
@click.option("--index", "index_url", default=DEFAULT_INDEX_URL, show_default=True,
              help="The feed index (YAML) listing the feeds to download.")
@click.option("--timeout", type=float, default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait on a silent connection.")
@click.option("--keep-going", is_flag=True, help="Leave out feeds that fail instead of failing the update.")
@_errors_exit_2
def update(index_url: str, timeout: float, keep_going: bool) -> None:
    """Download the feeds of the index; the set in use changes only if all of them parse."""
    result = update_feeds(_directory(), index_url, timeout, keep_going)
    for feed in result.feeds:
        _echo_feed(feed)
    for error in result.errors:
        click.echo(f"warning: left out {error}", err=True)
    for reason, count in result.index_skipped.items():
        click.echo(f"warning: {count} index entries skipped: {reason}", err=True)
    click.echo(f"Updated {len(result.feeds)} feeds into {result.set_dir}")


@iocs.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--type", "indicator_type", type=click.Choice(sorted(NORMALIZERS)), default=None,
              help="For a plain list: what each line holds (default: told by the file name).")
@click.option("--name", default=None, help="Feed name (default: the file name).")
@_errors_exit_2
def add(file: Path, indicator_type: str | None, name: str | None) -> None:
    """Keep a feed file (STIX 2, MISP, stalkerware YAML, plain list) among the feeds in use."""
    feed = add_feed(file, _directory(), indicator_type, name)
    _echo_feed(feed)
    click.echo(f"Added {feed.name} ({feed.count} indicators)")


@iocs.command()
@click.argument("value")
@click.option("--type", "observable_type", type=click.Choice(sorted(NORMALIZERS)), default=None,
              help="What VALUE is (default: guessed).")
@click.option("--iocs", "iocs_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Match against these feed files or folders instead of the feeds in use.")
@_errors_exit_2
def match(value: str, observable_type: str | None, iocs_paths: tuple[Path, ...]) -> None:
    """Check one value (a domain, URL, process name, path, hash...) against the feeds."""
    kind = observable_type or guess_type(value)
    index = IndicatorIndex(resolve_feeds(list(iocs_paths) or None, _directory()))
    matches = index.match(Observable(kind, value))
    if not matches:
        click.echo(f"No indicator matches {kind} {value!r}")
        return
    for found in matches:
        indicator = found.indicator
        click.echo(f"{found.severity}: {found.observable.type} {found.observable.value!r} matches "
                   f"{indicator.type} {indicator.value!r} ({found.rule}) - {', '.join(indicator.malwares)} "
                   f"[{', '.join(indicator.feeds)}]")
    sys.exit(1)


def guess_type(value: str) -> str:
    """What a value typed on the command line most likely is."""
    text = value.strip()
    if "://" in text:
        return "url"
    if looks_like_ip(text) and normalize("ip", text):
        return "ip"
    if "@" in text:
        return "email"
    if text.startswith(("/", "~/")):
        return "file_path"
    if _HEX.match(text) and len(text) in (32, 40, 64):
        return {32: "md5", 40: "sha1", 64: "sha256"}[len(text)]
    if text.startswith("+") and normalize("phone", text):
        return "phone"
    if "." in text and " " not in text and normalize("domain", text):
        return "domain"
    return "process"


def _echo_feed(feed: LoadedFeed, note: str = "") -> None:
    counts = ", ".join(f"{kind} {count}" for kind, count in sorted(feed.counts.items()))
    when = feed.retrieved or feed.date or "undated"
    skipped = f"; {feed.skipped} skipped" if feed.skipped else ""
    licence = f"; {feed.licence}" if feed.licence else ""
    click.echo(f"  {feed.name}{note}: {feed.count} indicators ({counts}){skipped}; {when}{licence}")
