"""A folder of feed files described by `feeds.json`: the bundled feeds, and each feed set that
`spyglass iocs update` stores.

    {"feeds": [{"name": "pegasus", "title": "...", "path": "amnesty/pegasus.stix2",
                "format": "stix2", "type": null, "source": "AmnestyTech/investigations",
                "commit": "3d8f248", "date": "2024-12-16", "retrieved": null,
                "licence": "CC-BY-2.0", "attribution": "...", "url": null, "sha256": "..."}]}

`date` is when the copy was taken from upstream (the commit date for bundled feeds, the
download day for stored ones); it is what the staleness warning reads.
"""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from spyglass.errors import SpyglassError
from spyglass.indicators.loader import load_feed_file
from spyglass.indicators.model import LoadedFeed

MANIFEST = "feeds.json"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024


def bundled_dir() -> Path:
    return Path(str(files("spyglass") / "data" / "iocs"))


def bundled_feeds() -> list[LoadedFeed]:
    """The feeds shipped with spyglass (src/spyglass/data/iocs)."""
    return load_manifest(bundled_dir(), origin="bundled")


def read_manifest(folder: Path) -> list[dict[str, Any]]:
    path = folder / MANIFEST
    try:
        data = path.read_bytes()[:MAX_MANIFEST_BYTES + 1]
    except OSError as error:
        raise SpyglassError(f"{path}: cannot read feed manifest ({error.strerror or error})") from None
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise SpyglassError(f"{path}: feed manifest is not valid JSON") from None
    entries = document.get("feeds") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise SpyglassError(f"{path}: feed manifest has no `feeds` list")
    return entries


def write_manifest(folder: Path, entries: list[dict[str, Any]]) -> None:
    (folder / MANIFEST).write_text(json.dumps({"feeds": entries}, indent=1) + "\n", encoding="utf-8")


def load_manifest(folder: Path, origin: str = "stored") -> list[LoadedFeed]:
    """Every feed a manifest lists, its file checked against the recorded sha256."""
    feeds = []
    root = folder.resolve()
    for entry in read_manifest(folder):
        relative = entry.get("path")
        name = entry.get("name")
        if not isinstance(relative, str) or not isinstance(name, str) or not name:
            raise SpyglassError(f"{folder / MANIFEST}: an entry without a name or path")
        path = (folder / relative).resolve()
        if root not in path.parents:
            raise SpyglassError(f"{folder / MANIFEST}: feed path {relative!r} is outside the folder")
        feed = load_feed_file(path, name, entry.get("type") if isinstance(entry.get("type"), str) else None)
        expected = entry.get("sha256")
        if expected and expected != feed.sha256:
            raise SpyglassError(f"{path}: content differs from its manifest (sha256 {feed.sha256})")
        apply_entry(feed, entry)
        feed.origin = origin
        feeds.append(feed)
    return feeds


def apply_entry(feed: LoadedFeed, entry: dict[str, Any]) -> None:
    def text(key: str) -> str | None:
        value = entry.get(key)
        return value if isinstance(value, str) and value else None

    feed.title = text("title") or feed.title
    feed.version = text("commit") or text("version") or feed.version
    feed.retrieved = text("retrieved") or text("date")
    feed.licence = text("licence")
    feed.attribution = text("attribution")
    feed.source = text("source") or text("url")


def entry_for(feed: LoadedFeed, relative_path: str, **extra: Any) -> dict[str, Any]:
    """The manifest entry recording `feed`, stored at `relative_path` in the set's folder."""
    entry = {"name": feed.name, "title": feed.title, "path": relative_path, "format": feed.format,
             "source": feed.source, "commit": feed.version, "date": feed.retrieved,
             "licence": feed.licence, "attribution": feed.attribution, "sha256": feed.sha256,
             "count": feed.count}
    entry.update(extra)
    return entry


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
