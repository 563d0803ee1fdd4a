"""Feed files and folders -> LoadedFeed objects, whatever their format.

Formats: STIX 2.1 (stix.py), MISP events (misp.py), stalkerware-indicators YAML
(stalkerware.py), plain lists (plain.py). The format is told by the content for JSON and
YAML, by the suffix or a given type for plain lists.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from spyglass.errors import SpyglassError
from spyglass.indicators.misp import events_of, feed_from_events
from spyglass.indicators.model import LoadedFeed
from spyglass.indicators.plain import load_plain
from spyglass.indicators.stalkerware import decode_yaml, feed_from_apps, is_stalkerware_document
from spyglass.indicators.stix import decode_json, feed_from_objects, feed_name, read_feed_bytes, stix_objects

JSON_SUFFIXES = (".stix2", ".stix", ".json")
YAML_SUFFIXES = (".yaml", ".yml")
TEXT_SUFFIXES = (".txt", ".list")
FOLDER_SUFFIXES = (*JSON_SUFFIXES, *YAML_SUFFIXES)


def load_paths(paths: list[Path]) -> list[LoadedFeed]:
    """Load feed files, and every feed file found in folders (recursively: *.stix2, *.stix,
    *.json holding STIX or a MISP event, *.yaml / *.yml in the stalkerware-indicators format;
    other files in a folder, plain lists included, are passed over).

    A file named explicitly must be a feed. Raises SpyglassError naming the file that cannot
    be read or parsed. A feed whose name is taken is named `folder/name`."""
    feeds: list[LoadedFeed] = []
    taken: set[str] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for found in _feed_files(path):
                feed = parse_feed_bytes(read_feed_bytes(found), found, _unique_name(found, taken),
                                        required=False)
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


def load_feed_file(path: Path, name: str | None = None, indicator_type: str | None = None) -> LoadedFeed:
    """One feed file named explicitly. `indicator_type` makes it a plain list of that type;
    a *.txt / *.list file is a plain list whose type its name tells (domains.txt...)."""
    path = Path(path)
    name = name or feed_name(path)
    if indicator_type is not None or path.suffix.lower() in TEXT_SUFFIXES:
        return load_plain(path, indicator_type, name)
    feed = parse_feed_bytes(read_feed_bytes(path), path, name, required=True)
    assert feed is not None
    return feed


def parse_feed_bytes(data: bytes, path: Path, name: str, required: bool = True) -> LoadedFeed | None:
    """A feed from the bytes of a STIX, MISP or stalkerware YAML file, told apart by content.

    When the content is none of these: SpyglassError if `required`, else None."""
    sha256 = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() in YAML_SUFFIXES:
        document = decode_yaml(data, str(path))
        if is_stalkerware_document(document):
            return feed_from_apps(document, name, path, sha256)
        if isinstance(document, dict) and isinstance(document.get("indicators"), list):
            what = "a feed index (give it to `spyglass iocs update --index`)"
        else:
            what = "not a stalkerware-indicators YAML list of apps"
    else:
        document = decode_json(data, str(path))
        objects = stix_objects(document)
        if objects is not None:
            return feed_from_objects(objects, name, path, sha256)
        events = events_of(document)
        if events is not None:
            return feed_from_events(events, name, path, sha256)
        what = "not a STIX 2 bundle nor a MISP event"
    if required:
        raise SpyglassError(f"{path}: {what}")
    return None


def _feed_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, directories, files in os.walk(folder):
        directories[:] = sorted(name for name in directories if not name.startswith("."))
        found.extend(Path(root) / name for name in sorted(files)
                     if Path(name).suffix.lower() in FOLDER_SUFFIXES)
    return found


def _unique_name(path: Path, taken: set[str]) -> str:
    name = feed_name(path)
    if name in taken:
        name = f"{path.parent.name}/{name}"
    return name
