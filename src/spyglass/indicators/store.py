"""Where the feeds in use come from: given paths, the stored set `spyglass iocs update`
downloaded, or the bundled feeds; plus the feeds the user added with `spyglass iocs add`.

Storage (platformdirs user data dir, or $SPYGLASS_IOCS_DIR, or an explicit folder):

    current.json            {"set": "set-20261128T040000Z-ab12cd", "updated": ..., "index": URL}
    sets/<set>/feeds.json   one folder per downloaded set (manifest.py format)
    added/feeds.json        feeds added by hand

An update downloads into sets/.incoming-*, checks that every feed parses, renames the folder
into place and then replaces current.json (an atomic rename): a failed or interrupted update
leaves the set in use untouched. The network is used here only, and only over HTTPS
(plain HTTP is accepted for loopback addresses: local mirrors and tests).
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import platformdirs

from spyglass.errors import SpyglassError
from spyglass.indicators.feed_index import DEFAULT_INDEX_URL, allowed_url, parse_feed_index
from spyglass.indicators.loader import TEXT_SUFFIXES, load_feed_file, load_paths, parse_feed_bytes
from spyglass.indicators.manifest import (
    MANIFEST,
    bundled_feeds,
    entry_for,
    load_manifest,
    read_manifest,
    write_manifest,
)
from spyglass.indicators.model import LoadedFeed
from spyglass.indicators.plain import type_from_name
from spyglass.indicators.stix import feed_name as _feed_name

ENV_IOCS_DIR = "SPYGLASS_IOCS_DIR"
STALE_AFTER_DAYS = 90
DEFAULT_TIMEOUT = 30.0           # seconds without progress on one connection
TOTAL_DOWNLOAD_SECONDS = 600.0   # one file, however slowly it trickles
MAX_DOWNLOAD_BYTES = 128 * 1024 * 1024
POINTER = "current.json"
USER_AGENT = "spyglass-iocs-update"


@dataclass(slots=True)
class UpdateResult:
    """A finished update: the feeds now stored, the folder holding them, feeds left out
    (with `keep_going`), and index entries that were skipped."""

    feeds: list[LoadedFeed]
    set_dir: Path
    errors: list[str] = field(default_factory=list)
    index_skipped: dict[str, int] = field(default_factory=dict)


def iocs_dir(override: Path | None = None) -> Path:
    """The storage folder: `override`, else $SPYGLASS_IOCS_DIR, else the user data dir."""
    if override is not None:
        return Path(override)
    from_environment = os.environ.get(ENV_IOCS_DIR)
    if from_environment:
        return Path(from_environment)
    return Path(platformdirs.user_data_dir("spyglass", appauthor=False)) / "iocs"


def current_set(directory: Path | None = None) -> Path | None:
    """The folder of the stored set in use, None before the first update."""
    root = iocs_dir(directory)
    try:
        pointer = json.loads((root / POINTER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise SpyglassError(f"{root / POINTER}: unreadable ({error})") from None
    name = pointer.get("set") if isinstance(pointer, dict) else None
    if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
        raise SpyglassError(f"{root / POINTER}: names no feed set")
    folder = root / "sets" / name
    if not (folder / MANIFEST).is_file():
        raise SpyglassError(f"{folder}: the stored feed set is missing; run `spyglass iocs update`")
    return folder


def stored_feeds(directory: Path | None = None) -> list[LoadedFeed] | None:
    """The feeds of the last update, None when there was none."""
    folder = current_set(directory)
    return load_manifest(folder) if folder is not None else None


def added_feeds(directory: Path | None = None) -> list[LoadedFeed]:
    folder = iocs_dir(directory) / "added"
    return load_manifest(folder, origin="added") if (folder / MANIFEST).is_file() else []


def resolve_feeds(iocs_paths: list[Path] | None = None, directory: Path | None = None) -> list[LoadedFeed]:
    """The feeds a check uses: the given paths only; else the stored set (after an update)
    or the bundled feeds, with the added feeds."""
    if iocs_paths:
        return load_paths(iocs_paths)
    base = stored_feeds(directory)
    if base is None:
        base = bundled_feeds()
    return base + added_feeds(directory)


def staleness_warning(feeds: list[LoadedFeed], today: date | None = None,
                      max_age_days: int = STALE_AFTER_DAYS) -> str | None:
    """A warning when the newest bundled or downloaded feed copy is older than `max_age_days`,
    by the date recorded for it (feeds given as paths or added by hand do not count). No network."""
    dates = []
    for feed in feeds:
        if feed.origin not in ("bundled", "stored"):
            continue
        try:
            dates.append(date.fromisoformat((feed.retrieved or "")[:10]))
        except ValueError:
            continue
    if not dates:
        return None
    newest = max(dates)
    age = ((today or datetime.now(UTC).date()) - newest).days
    if age <= max_age_days:
        return None
    return (f"The newest indicator feed is from {newest.isoformat()} ({age} days ago): "
            f"run `spyglass iocs update` for current indicators.")


def given_feed_age_warnings(feeds: list[LoadedFeed], today: date | None = None,
                            max_age_days: int = STALE_AFTER_DAYS) -> list[str]:
    """One warning per feed given with --iocs or added by hand whose newest date written in the
    feed itself is older than `max_age_days`: such a copy has no record of when it was taken, so
    its own content dates it. No network."""
    warnings = []
    for feed in feeds:
        if feed.origin not in ("path", "added"):
            continue
        try:
            newest = date.fromisoformat((feed.date or "")[:10])
        except ValueError:
            continue
        age = ((today or datetime.now(UTC).date()) - newest).days
        if age > max_age_days:
            warnings.append(f"The feed {feed.name} names nothing newer than {newest.isoformat()} ({age} days ago): "
                            "look for a newer copy of it.")
    return warnings


def add_feed(path: Path, directory: Path | None = None, indicator_type: str | None = None,
             name: str | None = None) -> LoadedFeed:
    """Check that a feed file parses, then keep a copy among the added feeds (replacing an
    added feed of the same name)."""
    path = Path(path)
    folder = iocs_dir(directory) / "added"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower() if path.suffix else ".txt"
    if indicator_type is None and suffix in TEXT_SUFFIXES:
        indicator_type = type_from_name(path)
        if indicator_type is None:
            raise SpyglassError(f"{path}: cannot tell what this list holds; give its type")
    # Parse the copy that is kept, so that what was checked is what is stored.
    staged = folder / f".staged-{secrets.token_hex(4)}{suffix}"
    try:
        shutil.copyfile(path, staged)
        feed = load_feed_file(staged, name or _feed_name(path), indicator_type)
    except OSError as error:
        staged.unlink(missing_ok=True)
        raise SpyglassError(f"{path}: cannot add ({error.strerror or error})") from None
    except SpyglassError as error:  # name the user's file, not the staged copy
        staged.unlink(missing_ok=True)
        raise SpyglassError(str(error).replace(str(staged), str(path))) from None
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    entries = read_manifest(folder) if (folder / MANIFEST).is_file() else []
    file_name = f"{_safe(feed.name)}{suffix}"
    os.replace(staged, folder / file_name)
    feed.retrieved = datetime.now(UTC).date().isoformat()
    feed.source = str(path.resolve())
    feed.origin = "added"
    entries = [entry for entry in entries if entry.get("name") != feed.name]
    entries.append(entry_for(feed, file_name, type=indicator_type))
    _replace_manifest(folder, entries)
    feed.path = folder / file_name
    return feed


def update_feeds(directory: Path | None = None, index_url: str = DEFAULT_INDEX_URL,
                 timeout: float = DEFAULT_TIMEOUT, keep_going: bool = False) -> UpdateResult:
    """Download every feed the index lists and make them the stored set.

    Any feed that fails (HTTP error, timeout, cut connection, unparsable content) fails the
    whole update and the set in use stays as it was; with `keep_going` failed feeds are left
    out instead (listed in the result's errors) as long as one feed succeeded. Raises
    SpyglassError with every failure listed."""
    root = iocs_dir(directory)
    sets = root / "sets"
    sets.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(sets)
    index = parse_feed_index(download(index_url, timeout), index_url)
    if not index.sources:
        raise SpyglassError(f"{index_url}: the feed index lists no feed")
    today = datetime.now(UTC).date().isoformat()
    incoming = Path(tempfile.mkdtemp(prefix=".incoming-", dir=sets))
    try:
        entries, errors = [], []
        for source in index.sources:
            try:
                data = download(source.url, timeout)
                feed = parse_feed_bytes(data, Path(source.file_name), source.name, required=True)
            except SpyglassError as error:
                errors.append(f"{source.name} ({source.url}): {error}")
                continue
            (incoming / source.file_name).write_bytes(data)
            feed.title, feed.source, feed.retrieved = source.title, source.source, today
            entries.append(entry_for(feed, source.file_name, url=source.url))
        if errors and (not keep_going or not entries):
            raise SpyglassError("indicator update failed; the feeds in use are unchanged:\n  "
                                + "\n  ".join(errors))
        write_manifest(incoming, entries)
        final = sets / f"set-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"
        os.rename(incoming, final)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    _point_to(root, final.name, index_url)
    _remove_old_sets(sets, keep=final.name)
    return UpdateResult(feeds=load_manifest(final), set_dir=final, errors=errors,
                        index_skipped=dict(index.skip_reasons))


def download(url: str, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
    """The body of a 200 answer, whole: a cut connection, a timeout, a redirect away from
    HTTPS or a body over `max_bytes` raise SpyglassError."""
    check_url(url)
    opener = urllib.request.build_opener(_HttpsOnlyRedirects)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    deadline = time.monotonic() + TOTAL_DOWNLOAD_SECONDS
    try:
        with opener.open(request, timeout=timeout) as response:
            if response.status != 200:
                raise SpyglassError(f"{url}: HTTP {response.status}")
            expected = response.headers.get("Content-Length")
            chunks, total = [], 0
            while chunk := response.read(256 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    raise SpyglassError(f"{url}: larger than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise SpyglassError(f"{url}: download took longer than {TOTAL_DOWNLOAD_SECONDS:.0f} s")
                chunks.append(chunk)
    except urllib.error.HTTPError as error:
        raise SpyglassError(f"{url}: HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        reason = "timed out" if isinstance(error.reason, TimeoutError) else error.reason
        raise SpyglassError(f"{url}: {reason}") from None
    except TimeoutError:
        raise SpyglassError(f"{url}: timed out") from None
    except http.client.IncompleteRead as error:
        raise SpyglassError(f"{url}: download interrupted ({len(error.partial)} bytes received)") from None
    except (http.client.HTTPException, OSError, ValueError) as error:
        raise SpyglassError(f"{url}: download failed ({type(error).__name__}: {error})") from None
    if expected is not None and expected.strip().isdigit() and int(expected) != total:
        raise SpyglassError(f"{url}: download interrupted ({total} of {int(expected)} bytes)")
    return b"".join(chunks)


def check_url(url: str) -> None:
    if not allowed_url(url):
        raise SpyglassError(f"{url}: refused, indicator feeds are downloaded over HTTPS only")


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        try:
            check_url(newurl)
        except SpyglassError as error:
            raise urllib.error.URLError(f"redirect refused: {error}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _point_to(root: Path, set_name: str, index_url: str) -> None:
    pointer = {"set": set_name, "updated": datetime.now(UTC).isoformat(timespec="seconds"), "index": index_url}
    staged = root / f".{POINTER}.{secrets.token_hex(4)}"
    staged.write_text(json.dumps(pointer) + "\n", encoding="utf-8")
    os.replace(staged, root / POINTER)


def _replace_manifest(folder: Path, entries: list[dict]) -> None:
    staged = folder / f".{MANIFEST}.{secrets.token_hex(4)}"
    staged.write_text(json.dumps({"feeds": entries}, indent=1) + "\n", encoding="utf-8")
    os.replace(staged, folder / MANIFEST)


def _remove_leftovers(sets: Path) -> None:
    """Folders of updates that were interrupted (killed, power loss)."""
    for folder in sets.glob(".incoming-*"):
        shutil.rmtree(folder, ignore_errors=True)


def _remove_old_sets(sets: Path, keep: str) -> None:
    for folder in sets.glob("set-*"):
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)


def _safe(name: str) -> str:
    return "".join(char if char.isalnum() or char in "._-" else "_" for char in name)[:100].lstrip(".") or "feed"
