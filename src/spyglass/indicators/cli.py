"""`spyglass iocs ...`: list, update, add, remove and try out indicator feeds.

The group is attached to the main command by `main.add_command(iocs)`. Errors end with a
message on stderr and exit status 2; `iocs match` exits 1 when the value matches.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from spyglass.errors import SpyglassError
from spyglass.indicators.feed_index import DEFAULT_INDEX_URL
from spyglass.indicators.index import IndicatorIndex
from spyglass.indicators.manifest import MANIFEST, read_manifest
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
    """Indicator of compromise feeds: list, update, add, remove, match."""
    context.meta[DIR_KEY] = iocs_dir


@iocs.command(name="list")
@_errors_exit_2
def list_command() -> None:
    """The feeds in use: what a check reads (and what its --iocs are added to)."""
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
@click.argument("name")
@_errors_exit_2
def remove(name: str) -> None:
    """Stop using a feed kept with `spyglass iocs add` (its copy is deleted)."""
    directory = _directory()
    folder = iocs_dir(directory) / "added"
    entries = read_manifest(folder) if (folder / MANIFEST).is_file() else []
    kept = [entry for entry in entries if entry.get("name") != name]
    if len(kept) == len(entries):
        in_use = {feed.name for feed in resolve_feeds(None, directory)}
        added = ", ".join(sorted(str(entry.get("name")) for entry in entries)) or "none"
        if name in in_use:
            raise SpyglassError(f"{name} is not an added feed but one of the bundled or downloaded ones, which "
                                f"`spyglass iocs update` replaces; only feeds added with `iocs add` can be "
                                f"removed (added: {added})")
        raise SpyglassError(f"no added feed is named {name} (added: {added})")
    staged = folder / f".{MANIFEST}.{secrets.token_hex(4)}"
    staged.write_text(json.dumps({"feeds": kept}, indent=1) + "\n", encoding="utf-8")
    os.replace(staged, folder / MANIFEST)     # the feed is out of use before its file goes
    for entry in entries:
        relative = entry.get("path")
        if entry.get("name") == name and isinstance(relative, str) and "/" not in relative and "\\" not in relative \
                and not any(other.get("path") == relative for other in kept):
            (folder / relative).unlink(missing_ok=True)
    click.echo(f"Removed {name}")


@iocs.command()
@click.argument("value")
@click.option("--type", "observable_type", type=click.Choice(sorted(NORMALIZERS)), default=None,
              help="What VALUE is (default: guessed, and the guess is said).")
@click.option("--iocs", "iocs_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Feed file or folder used beside the feeds in use (repeatable).")
@click.option("--only-iocs", "only_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Feed file or folder used instead of the feeds in use (repeatable).")
@_errors_exit_2
def match(value: str, observable_type: str | None, iocs_paths: tuple[Path, ...], only_paths: tuple[Path, ...]) -> None:
    """Check one value (a domain, URL, process name, path, hash...) against the feeds. A defanged
    value (hxxp://evil[.]com, 1.2.3[.]4) is refanged first."""
    from spyglass.feeds import feed_paths, feeds_for_check

    paths, with_default = feed_paths(iocs_paths, only_paths)
    plain = refang(value)
    if plain != value:
        click.echo(f"Refanged {value!r} to {plain!r}", err=True)
    if observable_type is None:
        kind, reason = guess(plain)
        click.echo(f"Taken as {kind}: {reason} (give --type to say what it is)", err=True)
    else:
        kind = observable_type
    feeds = feeds_for_check(paths or None, with_default=with_default, directory=_directory())[0]
    matches = IndicatorIndex(feeds).match(Observable(kind, plain))
    if not matches:
        click.echo(f"No indicator matches {kind} {plain!r}")
        return
    for found in matches:
        indicator = found.indicator
        click.echo(f"{found.severity}: {found.observable.type} {found.observable.value!r} matches "
                   f"{indicator.type} {indicator.value!r} ({found.rule}) - {', '.join(indicator.malwares)} "
                   f"[{', '.join(indicator.feeds)}]")
    sys.exit(1)


# Defanging as threat reports write it: brackets or parentheses around the dots, the @ and the
# colon, "dot"/"at" in words, hxxp/fxp for the scheme.
_DEFANGED = [(re.compile(r"\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\}", re.IGNORECASE), "."),
             (re.compile(r"\[\s*(?:@|at)\s*\]|\(\s*(?:@|at)\s*\)", re.IGNORECASE), "@"),
             (re.compile(r"\[\s*:\s*\]"), ":"),
             (re.compile(r"\[\s*(:?//)\s*\]"), r"\1"),
             (re.compile(r"^h(?:xx|\*\*|XX)p(s?)(?=:|\[)", re.IGNORECASE), r"http\1"),
             (re.compile(r"^fxp(s?)(?=:|\[)", re.IGNORECASE), r"ftp\1")]


def refang(value: str) -> str:
    """`hxxp://evil[.]com` -> `http://evil.com`, `1.2.3[.]4` -> `1.2.3.4`; other text unchanged."""
    text = value.strip()
    for pattern, replacement in _DEFANGED:
        text = pattern.sub(replacement, text)
    return text


def guess_type(value: str) -> str:
    """What a value typed on the command line most likely is."""
    return guess(value)[0]


def guess(value: str) -> tuple[str, str]:
    """What a value most likely is, and why, in words."""
    text = value.strip()
    if "://" in text:
        return "url", "it has a scheme (://)"
    if looks_like_ip(text) and normalize("ip", text):
        return "ip", "it is an IP address"
    if "@" in text:
        return "email", "it has an @"
    if text.startswith(("/", "~/")):
        return "file_path", "it starts with /"
    if _HEX.match(text) and len(text) in (32, 40, 64):
        kind = {32: "md5", 40: "sha1", 64: "sha256"}[len(text)]
        return kind, f"{len(text)} hexadecimal digits"
    if text.startswith("+") and normalize("phone", text):
        return "phone", "it starts with + and holds a phone number"
    if "." in text and " " not in text and normalize("domain", text):
        return "domain", "a dotted name (an app identifier such as com.example.app needs --type app_id)"
    return "process", "none of the other kinds fits"


def _echo_feed(feed: LoadedFeed, note: str = "") -> None:
    counts = ", ".join(f"{kind} {count}" for kind, count in sorted(feed.counts.items()))
    when = feed.retrieved or feed.date or "undated"
    skipped = f"; {feed.skipped} skipped" if feed.skipped else ""
    licence = f"; {feed.licence}" if feed.licence else ""
    click.echo(f"  {feed.name}{note}: {feed.count} indicators ({counts}){skipped}; {when}{licence}")
