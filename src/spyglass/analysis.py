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
        # By module, each cut at MAX_SHORT_LINKS, and joined in the modules' order (`short_links`):
        # the links kept are the same whichever process read which module (spyglass/parallel.py).
        self.links_by_module: dict[str, list[dict[str, str]]] = {}
        self.links_seen: dict[str, int] = {}
        self.heuristic_results: dict[str, dict[str, Any]] = {}

    @property
    def short_link_count(self) -> int:
        return sum(self.links_seen.values())

    @property
    def short_links(self) -> list[dict[str, str]]:
        """The shortened links seen, in the order of the modules' descriptions (the check's module
        order), at most MAX_SHORT_LINKS."""
        order = {name: number for number, name in enumerate(self.descriptions)}
        joined = [link for module in sorted(self.links_by_module, key=lambda name: order.get(name, len(order)))
                  for link in self.links_by_module[module]]
        return joined[:MAX_SHORT_LINKS]

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
            self.links_seen[record.module] = self.links_seen.get(record.module, 0) + 1
            links = self.links_by_module.setdefault(record.module, [])
            if len(links) < MAX_SHORT_LINKS:
                links.append({"url": url, "module": record.module, "source": record.source,
                              "status": "not expanded"})

    def share(self, module: str) -> dict[str, Any]:
        """What `add` kept of one module's records, as JSON (a worker process hands it over)."""
        return {"detections": [d.to_dict() for d in self.detections if d.module == module],
                "kept": [r.to_dict() for r in self.kept.get(module, ())],
                "short_links": self.links_by_module.get(module, []),
                "short_links_seen": self.links_seen.get(module, 0)}

    def take(self, module: str, share: dict[str, Any]) -> None:
        """A worker's `share` of `module` (or of one slice of it, slices taken in order), as if
        its records had been added here."""
        self.detections.extend(Detection.from_dict(data) for data in share["detections"])
        if share["kept"]:
            self.kept[module].extend(Record.from_dict(data) for data in share["kept"])
        if share["short_links"]:
            links = self.links_by_module.setdefault(module, [])
            links.extend(share["short_links"][:MAX_SHORT_LINKS - len(links)])
        if share["short_links_seen"]:
            self.links_seen[module] = self.links_seen.get(module, 0) + share["short_links_seen"]

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
