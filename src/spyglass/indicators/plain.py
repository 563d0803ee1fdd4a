"""Plain text indicator lists: one value a line, `#` starts a comment, the type given or
named by the file (`domains.txt`, `processes.txt`, `emails.txt`, `files.txt`...).

Feeds seen: AmnestyTech/investigations `*/domains.txt`, `processes.txt`, `emails.txt`,
`files.txt`; stalkerware-indicators `generated/hosts` (hosts-file lines `0.0.0.0 name`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from spyglass.errors import SpyglassError
from spyglass.indicators.model import Indicator, LoadedFeed
from spyglass.indicators.normalize import NORMALIZERS, normalize
from spyglass.indicators.stix import feed_name, read_feed_bytes

# Words in a file name that say what a list holds, checked in this order.
TYPE_BY_NAME_WORD = (
    ("domain", "domain"), ("host", "domain"), ("url", "url"), ("ip", "ip"), ("email", "email"),
    ("process", "process"), ("sha256", "sha256"), ("sha1", "sha1"), ("md5", "md5"),
    ("package", "app_id"), ("app", "app_id"), ("path", "file_path"), ("file", "file_name"),
    ("phone", "phone"), ("propert", "android_property"), ("profile", "profile_id"),
)


def type_from_name(path: Path) -> str | None:
    """`domains.txt` -> domain, `v4_validation_domains.txt` -> domain, `notes.txt` -> None."""
    stem = path.name.split(".", 1)[0].lower()
    words = stem.replace("-", "_").split("_")
    for word, kind in TYPE_BY_NAME_WORD:
        if any(part.startswith(word) for part in words):
            return kind
    return None


def load_plain(path: Path, indicator_type: str | None = None, name: str | None = None) -> LoadedFeed:
    """Load a plain list. Raises SpyglassError when the type is neither given nor in the name."""
    path = Path(path)
    kind = indicator_type or type_from_name(path)
    if kind is None:
        raise SpyglassError(f"{path}: cannot tell what this list holds; give its type "
                            f"({', '.join(sorted(NORMALIZERS))})")
    return parse_plain(read_feed_bytes(path), kind, name or feed_name(path), path)


def parse_plain(data: bytes, indicator_type: str, name: str, path: Path | None = None) -> LoadedFeed:
    if indicator_type not in NORMALIZERS:
        raise SpyglassError(f"{path or name}: unknown indicator type {indicator_type!r}")
    if b"\x00" in data[:4096]:
        raise SpyglassError(f"{path or name}: not a text list (binary content)")
    feed = LoadedFeed(name=name, path=path, sha256=hashlib.sha256(data).hexdigest(), format="text",
                      malwares=(name,))
    indicators: list[Indicator] = []
    for line in data.decode("utf-8-sig", errors="replace").splitlines():
        text = line.split("#", 1)[0].strip() if indicator_type != "url" else _url_line(line)
        if not text:
            continue
        fields = text.split()
        if indicator_type == "domain" and len(fields) == 2 and normalize("ip", fields[0]):
            text = fields[1]  # a hosts-file line: 0.0.0.0 evil.com
        value = normalize(indicator_type, text)
        if value is None:
            feed.skip(f"invalid {indicator_type} value")
            continue
        indicators.append(Indicator(indicator_type, value, text, name, name))
    feed.add(indicators)
    return feed


def _url_line(line: str) -> str:
    # A URL may hold `#` (a fragment): only a line that starts with it is a comment.
    text = line.strip()
    return "" if text.startswith("#") else text
