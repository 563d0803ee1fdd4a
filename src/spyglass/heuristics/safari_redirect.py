"""Safari redirected within a second to an unrelated domain: the trace of network injection.

Reads the `safari_history` records. In Pegasus network-injection attacks the victim opened
an ordinary http page and was silently redirected, within a fraction of a second, to an
exploit server on an unrelated domain. A redirect that stays inside the same registrable
domain (www.example.com to example.com) is ordinary. Injection needs an unencrypted page,
so an http source is medium; an https source (shorteners, sign-in flows) only low.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.extract import url_host
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="safari_redirect",
    description="Safari visit redirected within a second to an unrelated domain",
    modules=frozenset({"safari_history"}),
    keep=lambda record: bool(record.fields.get("redirect_destination_url") or record.fields.get("redirect_source_url")),
)

MAX_SECONDS = 1.0
# Public suffixes of two labels common enough to matter; the registrable domain is one more.
TWO_LABEL_SUFFIXES = frozenset({
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "com.au", "net.au", "org.au", "gov.au",
    "com.br", "net.br", "org.br", "gov.br", "co.jp", "ne.jp", "or.jp", "co.kr", "co.in", "net.in",
    "org.in", "gov.in", "co.za", "co.nz", "co.il", "co.id", "com.mx", "com.ar", "com.tr", "com.cn",
    "com.hk", "com.sg", "com.tw", "com.my", "com.pk", "com.ng", "com.eg", "com.sa", "com.ua",
    "com.ph", "com.vn", "com.co", "com.pe", "co.ke", "co.th", "com.bd", "com.qa", "com.kw",
})


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    seen: set[tuple[str, object, object]] = set()
    for record in records.get("safari_history", ()):
        fields = record.fields
        pairs = []
        if fields.get("redirect_destination_url"):
            pairs.append((fields.get("url"), fields.get("visit_time"), fields.get("visit_id"),
                          fields.get("redirect_destination_url"), fields.get("redirect_destination_time"),
                          fields.get("redirect_destination")))
        if fields.get("redirect_source_url"):
            pairs.append((fields.get("redirect_source_url"), fields.get("redirect_source_time"),
                          fields.get("redirect_source"), fields.get("url"), fields.get("visit_time"),
                          fields.get("visit_id")))
        for source_url, source_time, source_id, target_url, target_time, target_id in pairs:
            key = (record.source, source_id, target_id)
            if key in seen:
                continue
            seen.add(key)
            reason = _unrelated_quick_redirect(source_url, source_time, target_url, target_time)
            if reason is None:
                continue
            severity = "medium" if str(source_url).lower().startswith("http://") else "low"
            yield suspicious(
                HEURISTIC, record,
                f"Safari went from {source_url} to {target_url} {reason}: an unrelated domain reached "
                "this fast is how network injection looks",
                severity=severity, observable=Observable("url", str(target_url)))


def _unrelated_quick_redirect(source_url: object, source_time: object, target_url: object,
                              target_time: object) -> str | None:
    if not isinstance(source_url, str) or not isinstance(target_url, str):
        return None
    if not isinstance(source_time, int | float) or not isinstance(target_time, int | float):
        return None
    delay = abs(float(target_time) - float(source_time))
    if delay > MAX_SECONDS:
        return None
    source_host, target_host = url_host(source_url), url_host(target_url)
    if not source_host or not target_host:
        return None
    if registrable_domain(source_host) == registrable_domain(target_host):
        return None
    return f"in {delay:.2f} s"


def registrable_domain(host: str) -> str:
    """The domain a site owner registers: the last two labels, three under a two-label suffix."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in TWO_LABEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
