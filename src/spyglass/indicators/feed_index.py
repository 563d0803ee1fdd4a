"""The public feed index (`indicators.yaml` of mvt-project/mvt-indicators): where to download
each feed.

    indicators:
      - type: github
        name: NSO Group Pegasus Indicators of Compromise
        github: {owner: AmnestyTech, repo: investigations, branch: master, path: 2021-07-18_nso/pegasus.stix2}
      - type: download
        name: ...
        download_url: https://...

Entries of an unknown type or with missing or odd fields are counted as skipped with a reason.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from spyglass.errors import SpyglassError
from spyglass.indicators.stalkerware import decode_yaml

RAW_GITHUB = "https://raw.githubusercontent.com"
DEFAULT_INDEX_URL = f"{RAW_GITHUB}/mvt-project/mvt-indicators/main/indicators.yaml"
_NAME_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True, slots=True)
class FeedSource:
    """One feed to download: a short `name` (the file name without suffix), the index's
    `title`, the `url`, and the upstream `source` (owner/repo or the URL's host)."""

    name: str
    title: str
    url: str
    source: str
    file_name: str


@dataclass(slots=True)
class FeedIndex:
    sources: list[FeedSource] = field(default_factory=list)
    skipped: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason] = self.skip_reasons.get(reason, 0) + 1


def parse_feed_index(data: bytes, where: str = "feed index") -> FeedIndex:
    document = decode_yaml(data, where)
    entries = document.get("indicators") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise SpyglassError(f"{where}: not a feed index (no `indicators` list)")
    index = FeedIndex()
    taken: set[str] = set()
    for entry in entries:
        source = _source(entry, index)
        if source is None:
            continue
        if source.name in taken:
            index.skip("duplicate feed name")
            continue
        taken.add(source.name)
        index.sources.append(source)
    return index


def _source(entry: Any, index: FeedIndex) -> FeedSource | None:
    if not isinstance(entry, dict):
        index.skip("malformed entry")
        return None
    kind = entry.get("type")
    title = entry.get("name") if isinstance(entry.get("name"), str) else ""
    if kind == "github":
        github = entry.get("github")
        if not isinstance(github, dict):
            index.skip("github entry without github fields")
            return None
        owner, repo, branch, path = (github.get(key) for key in ("owner", "repo", "branch", "path"))
        if not all(isinstance(part, str) and _NAME_PART.match(part) for part in (owner, repo, branch)):
            index.skip("github entry with a bad owner, repo or branch")
            return None
        if not isinstance(path, str) or not _safe_path(path):
            index.skip("github entry with a bad path")
            return None
        url = f"{RAW_GITHUB}/{owner}/{repo}/{branch}/{quote(path)}"
        return _made(path.rsplit("/", 1)[-1], title, url, f"{owner}/{repo}")
    if kind == "download":
        url = entry.get("download_url")
        if not isinstance(url, str):
            index.skip("download entry without download_url")
            return None
        parts = urlsplit(url)
        if not allowed_url(url) or not _safe_path(parts.path.lstrip("/")):
            index.skip("download_url is not an https URL")
            return None
        return _made(parts.path.rsplit("/", 1)[-1] or parts.hostname, title, url, parts.hostname)
    index.skip(f"unknown entry type {str(kind)[:30]}")
    return None


def allowed_url(url: str) -> bool:
    """HTTPS only; plain HTTP to a loopback address (a local mirror, a test server)."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return False
    if not hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and _is_loopback(hostname)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _made(file_name: str, title: str, url: str, source: str) -> FeedSource:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", file_name)[:100].lstrip(".") or "feed"
    return FeedSource(name=safe.split(".", 1)[0] or safe, title=title.strip()[:200], url=url,
                      source=source, file_name=safe)


def _safe_path(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and len(path) < 1000 and all(part not in ("", ".", "..") for part in parts) \
        and not any(char in path for char in "\\\x00?#")
