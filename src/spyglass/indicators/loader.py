"""Feed files and folders -> LoadedFeed objects, whatever their format."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from spyglass.errors import SpyglassError
from spyglass.indicators.model import LoadedFeed
from spyglass.indicators.stix import (
    decode_json,
    feed_from_objects,
    feed_name,
    load_stix,
    read_feed_bytes,
    stix_objects,
)

STIX_SUFFIXES = (".stix2", ".stix")
FOLDER_SUFFIXES = (*STIX_SUFFIXES, ".json")


def load_paths(paths: list[Path]) -> list[LoadedFeed]:
    """Load feed files, and every feed file found in folders (recursively: *.stix2, *.stix,
    and *.json holding STIX; other files in a folder are not feeds and are passed over).

    A file named explicitly must be a feed. Raises SpyglassError naming the file that cannot
    be read or parsed. A feed whose name is taken is named `folder/name`."""
    feeds: list[LoadedFeed] = []
    taken: set[str] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for found in _feed_files(path):
                feed = _load_found(found, _unique_name(found, taken))
                if feed is not None:
                    feeds.append(feed)
                    taken.add(feed.name)
        elif path.exists():
            feed = load_feed_file(path, _unique_name(path, taken))
            feeds.append(feed)
            taken.add(feed.name)
        else:
            raise SpyglassError(f"{path}: no such feed file or folder")
    return feeds


def load_feed_file(path: Path, name: str | None = None) -> LoadedFeed:
    """One feed file named explicitly, by its format."""
    return load_stix(path, name)


def _feed_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, directories, files in os.walk(folder):
        directories.sort()
        found.extend(Path(root) / name for name in sorted(files)
                     if Path(name).suffix.lower() in FOLDER_SUFFIXES)
    return found


def _load_found(path: Path, name: str) -> LoadedFeed | None:
    if path.suffix.lower() in STIX_SUFFIXES:
        return load_stix(path, name)
    # A .json file in a folder is a feed only when it holds STIX (MISP events, tool configs
    # and the like sit beside feeds).
    data = read_feed_bytes(path)
    objects = stix_objects(decode_json(data, str(path)))
    if objects is None:
        return None
    return feed_from_objects(objects, name, path, hashlib.sha256(data).hexdigest())


def _unique_name(path: Path, taken: set[str]) -> str:
    name = feed_name(path)
    if name in taken:
        name = f"{path.parent.name}/{name}"
    return name
