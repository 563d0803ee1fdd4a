"""Matching records against the indicator index, and running the heuristics over them.

Used alike by `check` (records straight from the modules) and `recheck` (records read back
from a case folder): a finished case is re-matched without the device.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from spyglass.detections import INDICATOR, SEVERITY_RANK, Detection, is_finding
from spyglass.extract import url_host
from spyglass.heuristics import LoadedHeuristic
from spyglass.records import Observable, Record

# Well-known URL shorteners: their targets are hidden until expanded, which needs the network.
SHORTENER_DOMAINS = frozenset({
    "bit.ly", "bitly.com", "t.co", "tinyurl.com", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
    "cutt.ly", "shorturl.at", "t.ly", "bit.do", "tiny.cc", "rb.gy", "s.id", "lnkd.in", "v.gd", "shorte.st",
    "adf.ly", "bl.ink", "clck.ru", "qr.ae", "tr.im", "x.co", "youtu.be", "amzn.to", "fb.me", "wp.me",
    "tiny.one", "urlz.fr", "surl.li", "shrtco.de", "short.gy", "soo.gd", "u.to", "gg.gg", "1url.com",
    "trib.al", "ift.tt", "dlvr.it", "lc.chat", "cli.gs", "snip.ly", "mcaf.ee", "su.pr", "po.st", "db.tt",
})
MAX_SHORT_LINKS = 1000

TYPE_PHRASES = {
    "domain": "{value}, a known {malware} domain",
    "url": "{value}, a known {malware} link",
    "ip": "{value}, a known {malware} server address",
    "email": "account {value}, used by {malware} operators",
    "phone": "number {value}, used by {malware} operators",
    "process": "process '{value}', a known {malware} process",
    "file_name": "file {value}, a known {malware} file",
    "file_path": "{value}, a known {malware} file location",
    "app_id": "app {value}, a known {malware} app",
    "profile_id": "configuration profile {value}, used by {malware}",
    "android_property": "system property {value}, set by {malware}",
}


def indicator_message(module_description: str, observable: Observable, indicator: dict[str, Any]) -> str:
    malware = indicator.get("malware") or "spyware"
    template = TYPE_PHRASES.get(observable.type, "{type} {value}, a known {malware} indicator")
    phrase = template.format(value=observable.value, malware=malware, type=observable.type)
    if indicator.get("value") and str(indicator["value"]) != observable.value:
        phrase += f" (indicator {indicator['value']})"
    return f"{module_description}: {phrase}" if module_description else phrase


class Analyser:
    """Matches records as they stream by and keeps only what the heuristics need."""

    def __init__(self, index: Any, heuristics: list[LoadedHeuristic],
                 descriptions: dict[str, str] | None = None) -> None:
        self.index = index
        self.heuristics = heuristics
        self.descriptions = descriptions or {}
        # module -> the predicates of the heuristics reading it (None: keep every record)
        self.wanted: dict[str, list[Any]] = defaultdict(list)
        for heuristic in heuristics:
            for module in heuristic.heuristic.modules:
                self.wanted[module].append(heuristic.heuristic.keep)
        self.kept: dict[str, list[Record]] = defaultdict(list)
        self.detections: list[Detection] = []
        self.short_links: list[dict[str, str]] = []
        self.short_link_count = 0
        self.heuristic_results: dict[str, dict[str, Any]] = {}

    def add(self, record: Record) -> None:
        keeps = self.wanted.get(record.module)
        if keeps:
            for keep in keeps:
                if keep is None or keep(record):
                    self.kept[record.module].append(record)
                    break
        if not record.observables:
            return
        index = self.index
        seen: set[tuple[str, str]] | None = None
        for observable in record.observables:
            if observable.type == "url":
                self._note_short_link(record, observable.value)
            if index is None:
                continue
            matches = index.match(observable)
            if not matches:
                continue
            if seen is None:
                seen = set()
            for match in matches:
                indicator = match.indicator.to_dict()
                key = (indicator.get("type", ""), indicator.get("value", ""))
                if key in seen:
                    continue
                seen.add(key)
                self.detections.append(Detection(
                    kind=INDICATOR, severity=match.severity,
                    message=indicator_message(self.descriptions.get(record.module, ""), match.observable,
                                              indicator),
                    record=record, observable=match.observable, indicator=indicator))

    def add_all(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def _note_short_link(self, record: Record, url: str) -> None:
        host = url_host(url)
        if host in SHORTENER_DOMAINS:
            self.short_link_count += 1
            if len(self.short_links) < MAX_SHORT_LINKS:
                self.short_links.append({"url": url, "module": record.module, "source": record.source,
                                         "status": "not expanded"})

    def finish(self) -> list[Detection]:
        """Run every heuristic (each isolated) and return all detections, most severe first."""
        for heuristic in self.heuristics:
            found = 0
            try:
                keep = heuristic.heuristic.keep
                selected = {name: [r for r in self.kept.get(name, []) if keep is None or keep(r)]
                            for name in heuristic.heuristic.modules}
                for detection in heuristic.check(selected):
                    self.detections.append(detection)
                    found += 1
                self.heuristic_results[heuristic.name] = {
                    "status": "ok", "findings": found, "message": None,
                    "description": heuristic.heuristic.description}
            except Exception as exc:  # a heuristic bug must not lose the indicator findings
                self.heuristic_results[heuristic.name] = {
                    "status": "error", "findings": found, "message": f"{type(exc).__name__}: {exc}",
                    "description": heuristic.heuristic.description}
        self.detections.sort(key=Detection.sort_key)
        return self.detections


def summarise(detections: list[Detection]) -> dict[str, Any]:
    by_severity: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for detection in detections:
        by_severity[detection.severity] = by_severity.get(detection.severity, 0) + 1
        by_kind[detection.kind] = by_kind.get(detection.kind, 0) + 1
    ordered = dict(sorted(by_severity.items(), key=lambda item: SEVERITY_RANK.get(item[0], 9)))
    return {"total": len(detections), "by_severity": ordered, "by_kind": by_kind}


def verdict(detections: list[Detection]) -> str:
    detections = [d for d in detections if is_finding(d)]
    malware = sorted({str(d.indicator.get("malware")) for d in detections
                      if d.kind == INDICATOR and d.indicator and d.indicator.get("malware")})
    if any(d.kind == INDICATOR for d in detections):
        names = ", ".join(malware) if malware else "known spyware"
        return f"Traces of known spyware were found ({names}). Seek expert help before acting."
    if any(SEVERITY_RANK.get(d.severity, 9) <= SEVERITY_RANK["high"] for d in detections):
        return "No known spyware indicator matched, but serious suspicious signs were found: have an expert review them."
    if detections:
        return "No known spyware indicator matched; some signs worth a closer look were found."
    return "No known traces of spyware were found. This does not prove the phone is clean."
