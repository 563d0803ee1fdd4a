"""What a feed holds once loaded (`LoadedFeed`, `Indicator`) and what matching yields (`Match`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spyglass.records import Observable

# The one place severity is decided, by the type of the indicator that matched.
# Traces on the device itself (a process ran, a file exists, a profile or app is installed,
# an attacker's account talked to the phone) are critical; network traces (a link received,
# a host contacted) are high: a link may have been received and never opened.
SEVERITY_BY_TYPE = {
    "process": "critical",
    "file_path": "critical",
    "file_name": "critical",
    "profile_id": "critical",
    "app_id": "critical",
    "android_property": "critical",
    "email": "critical",
    "sha256": "critical",
    "sha1": "critical",
    "md5": "critical",
    "cert_sha256": "critical",
    "cert_sha1": "critical",
    "cert_md5": "critical",
    "domain": "high",
    "url": "high",
    "ip": "high",
    "phone": "high",
}


def severity_of(indicator_type: str) -> str:
    return SEVERITY_BY_TYPE.get(indicator_type, "high")


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator of compromise. `value` is the normal form (see normalize.py),
    `original` the value as the feed wrote it. `feeds`/`malwares` list every feed (and the
    malware each names) when the same indicator comes from several; `feed`/`malware` are
    the first of them."""

    type: str
    value: str
    original: str
    feed: str
    malware: str
    stix_id: str = ""
    feeds: tuple[str, ...] = ()
    malwares: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.feeds:
            object.__setattr__(self, "feeds", (self.feed,))
        if not self.malwares:
            object.__setattr__(self, "malwares", (self.malware,))

    def merged(self, other: Indicator) -> Indicator:
        """This indicator also named by `other`'s feeds (same type and value)."""
        feeds = self.feeds + tuple(name for name in other.feeds if name not in self.feeds)
        malwares = self.malwares + tuple(name for name in other.malwares if name not in self.malwares)
        if feeds == self.feeds and malwares == self.malwares:
            return self
        return Indicator(self.type, self.value, self.original, self.feed, self.malware,
                         self.stix_id, feeds, malwares)

    def to_dict(self) -> dict[str, Any]:
        """The `indicator` object of a detection in detections.jsonl."""
        return {"type": self.type, "value": self.value, "feed": self.feed, "malware": self.malware,
                "id": self.stix_id, "feeds": list(self.feeds), "malwares": list(self.malwares)}


@dataclass(frozen=True, slots=True)
class Match:
    """An indicator matched. `observable` is the value that matched: the observable itself,
    or the part of it that was checked (the host of a URL, the last component of a path).
    `rule` says how: exact, subdomain, url host, truncated process name, path prefix..."""

    indicator: Indicator
    observable: Observable
    severity: str
    rule: str = "exact"


@dataclass(slots=True)
class LoadedFeed:
    """One feed file, loaded. `counts` is indicators by type (after removing repeats within
    the file); `skipped` counts entries not turned into indicators, `skip_reasons` says why."""

    name: str
    path: Path | None
    sha256: str
    format: str = "stix2"
    indicators: list[Indicator] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    version: str | None = None      # upstream commit or release the file comes from
    date: str | None = None         # newest date written in the feed itself (YYYY-MM-DD)
    retrieved: str | None = None    # when this copy was taken from upstream (YYYY-MM-DD)
    licence: str | None = None
    attribution: str | None = None
    source: str | None = None       # upstream repository or URL
    title: str | None = None
    malwares: tuple[str, ...] = ()
    origin: str = "path"            # path (given), bundled, stored (iocs update), added (iocs add)

    @property
    def count(self) -> int:
        return len(self.indicators)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason] = self.skip_reasons.get(reason, 0) + 1

    def add(self, indicators: list[Indicator]) -> None:
        """Keep one indicator per (type, value); a repeat is counted as a duplicate and the
        malware it names is added to the first one's `malwares`."""
        position = {(item.type, item.value): number for number, item in enumerate(self.indicators)}
        for item in indicators:
            key = (item.type, item.value)
            if key in position:
                self.duplicates += 1
                first = self.indicators[position[key]]
                self.indicators[position[key]] = first.merged(item)
                continue
            position[key] = len(self.indicators)
            self.indicators.append(item)
            self.counts[item.type] = self.counts.get(item.type, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        """What case.json records of a feed used."""
        return {"name": self.name, "path": str(self.path) if self.path else None,
                "sha256": self.sha256, "format": self.format, "count": self.count,
                "counts": dict(sorted(self.counts.items())), "skipped": self.skipped,
                "skip_reasons": dict(sorted(self.skip_reasons.items())),
                "duplicates": self.duplicates, "version": self.version, "date": self.date,
                "retrieved": self.retrieved, "licence": self.licence, "attribution": self.attribution,
                "source": self.source, "title": self.title, "origin": self.origin}
