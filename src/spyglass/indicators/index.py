"""The indicator index: every feed compiled once into hash tables per observable type.

Matching one observable costs a few dictionary look-ups (a walk over a host's parent domains,
a path's parent directories), never a pass over the indicators.

Rules, by observable type:
- domain: the host or any parent domain equals an indicator (a.b.evil.com -> evil.com);
  IP literals given as domains are matched as IPs.
- url: URL indicators on the normal URL without its scheme (normalize.url); the URL's host is
  also matched against domain and IP indicators, so modules emit only the URL.
- ip: exact normal form; CIDR indicators through one look-up per prefix length in use.
- email: exact, case-insensitive. The domain of an address is NOT matched against domain
  indicators: feeds list attacker infrastructure, an address is a person or a provider, and a
  match on a shared mail domain would be noise next to a real finding.
- process: exact and case-sensitive; a name of exactly 15 or 16 characters also matches
  indicators it is the beginning of (XNU keeps p_comm to MAXCOMLEN = 16 characters, Linux and
  Android keep comm to 15). A value with a slash is a path: its last component is matched as a
  process name and the whole as a file path.
- file_path: an absolute indicator matches the path itself or any parent directory (whole
  components only); a relative indicator (`Library/Preferences/x.plist`) matches any run of
  whole components. The last component is also matched against file_name indicators.
- file_name, android_property: exact, case-sensitive. app_id, profile_id: case-insensitive.
- hashes and certificate fingerprints: lowercase hex. phone: digits and leading +.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from spyglass.indicators.model import Indicator, LoadedFeed, Match, severity_of
from spyglass.indicators.normalize import (
    looks_like_ip,
    normalize,
    url_host,
    url_key,
)
from spyglass.records import Observable, Record

TRUNCATED_PROCESS_LENGTHS = (15, 16)
MAX_DOMAIN_LABELS = 127


class IndicatorIndex:
    """Compile feeds once with `IndicatorIndex(feeds)`; then `match(observable)`."""

    def __init__(self, feeds: Iterable[LoadedFeed] = ()) -> None:
        self.exact: dict[str, dict[str, Indicator]] = {}
        self.urls: dict[str, Indicator] = {}
        self.networks: dict[tuple[int, int], dict[str, Indicator]] = {}
        self.truncated: dict[int, dict[str, list[Indicator]]] = {n: {} for n in TRUNCATED_PROCESS_LENGTHS}
        self.relative_paths: dict[str, Indicator] = {}
        self.relative_first: set[str] = set()
        self.absolute_depth = 0   # components in the deepest absolute file_path indicator
        self.relative_depth = 0
        self.feeds: list[LoadedFeed] = []
        for feed in feeds:
            self.add_feed(feed)

    def add_feed(self, feed: LoadedFeed) -> None:
        self.feeds.append(feed)
        for indicator in feed.indicators:
            self.add(indicator)

    def add(self, indicator: Indicator) -> None:
        """Add one indicator; one already present (same type and value) gains its feeds."""
        table = self._table_for(indicator)
        key = url_key(indicator.value) if indicator.type == "url" else indicator.value
        present = table.get(key)
        merged = present.merged(indicator) if present is not None else indicator
        table[key] = merged
        if indicator.type == "process":
            for length in TRUNCATED_PROCESS_LENGTHS:
                if len(merged.value) > length:
                    bucket = self.truncated[length].setdefault(merged.value[:length], [])
                    bucket[:] = [item for item in bucket if item.value != merged.value] + [merged]
        elif table is self.relative_paths:
            self.relative_first.add(merged.value.split("/", 1)[0])
            self.relative_depth = max(self.relative_depth, merged.value.count("/") + 1)
        elif indicator.type == "file_path":
            self.absolute_depth = max(self.absolute_depth, merged.value.count("/"))

    def _table_for(self, indicator: Indicator) -> dict[str, Indicator]:
        if indicator.type == "url":
            return self.urls
        if indicator.type == "ip" and "/" in indicator.value:
            network = ipaddress.ip_network(indicator.value)
            return self.networks.setdefault((network.version, network.prefixlen), {})
        if indicator.type == "file_path" and not indicator.value.startswith("/"):
            return self.relative_paths
        return self.exact.setdefault(indicator.type, {})

    def __len__(self) -> int:
        return (sum(len(table) for table in self.exact.values()) + len(self.urls)
                + sum(len(table) for table in self.networks.values()) + len(self.relative_paths))

    def counts(self) -> dict[str, int]:
        """Distinct indicators by type, after merging feeds."""
        counts = {kind: len(table) for kind, table in self.exact.items() if table}
        for kind, size in (("url", len(self.urls)), ("file_path", len(self.relative_paths)),
                           ("ip", sum(len(table) for table in self.networks.values()))):
            if size:
                counts[kind] = counts.get(kind, 0) + size
        return dict(sorted(counts.items()))

    def match_record(self, record: Record) -> list[Match]:
        matches: list[Match] = []
        for observable in record.observables:
            matches.extend(self.match(observable))
        return matches

    def match(self, observable: Observable) -> list[Match]:
        """Every indicator this observable matches, each once."""
        value = observable.value
        if not isinstance(value, str) or not value:
            return []
        handler = _HANDLERS.get(observable.type, IndicatorIndex._match_exact)
        found: list[Match] = []
        handler(self, observable.type, value, found)
        if len(found) > 1:
            unique: dict[tuple[str, str], Match] = {}
            for match in found:
                unique.setdefault((match.indicator.type, match.indicator.value), match)
            found = list(unique.values())
        return found

    # Each handler appends Match objects to `found`.

    def _match_exact(self, kind: str, value: str, found: list[Match]) -> None:
        table = self.exact.get(kind)
        if not table:
            return
        normal = normalize(kind, value)
        indicator = table.get(normal) if normal is not None else None
        if indicator is not None:
            found.append(Match(indicator, Observable(kind, value), severity_of(kind)))

    def _match_domain(self, kind: str, value: str, found: list[Match]) -> None:
        if looks_like_ip(value.strip().strip("[]")):
            self._match_ip("ip", value, found)
            return
        host = normalize("domain", value)
        if host is not None:
            self._walk_domain(host, found, "")

    def _walk_domain(self, host: str, found: list[Match], via: str) -> None:
        table = self.exact.get("domain")
        if not table:
            return
        candidate = host
        for _ in range(MAX_DOMAIN_LABELS):
            indicator = table.get(candidate)
            if indicator is not None:
                rule = "exact" if candidate == host else "subdomain"
                found.append(Match(indicator, Observable("domain", host), severity_of("domain"),
                                   f"{via}{rule}"))
            dot = candidate.find(".")
            if dot < 0:
                return
            candidate = candidate[dot + 1:]

    def _match_url(self, kind: str, value: str, found: list[Match]) -> None:
        normal = normalize("url", value)
        if normal is None:
            return
        indicator = self.urls.get(url_key(normal))
        if indicator is not None:
            found.append(Match(indicator, Observable("url", value), severity_of("url")))
        host = url_host(normal)
        if looks_like_ip(host):
            self._match_ip("ip", host, found, "url host ")
        else:
            self._walk_domain(host, found, "url host ")

    def _match_ip(self, kind: str, value: str, found: list[Match], via: str = "") -> None:
        address = normalize("ip", value)
        if address is None:
            return
        observed = Observable("ip", address)
        indicator = self.exact.get("ip", {}).get(address)
        if indicator is not None:
            found.append(Match(indicator, observed, severity_of("ip"), f"{via}exact"))
        if not self.networks or "/" in address:
            return
        parsed = ipaddress.ip_address(address)
        for (version, prefix), table in self.networks.items():
            if version != parsed.version:
                continue
            network = str(ipaddress.ip_network((parsed, prefix), strict=False))
            indicator = table.get(network)
            if indicator is not None:
                found.append(Match(indicator, observed, severity_of("ip"), f"{via}network"))

    def _match_process(self, kind: str, value: str, found: list[Match]) -> None:
        name = value.strip()
        if "/" in name:
            self._match_path("file_path", name, found)
            name = name.rstrip("/").rsplit("/", 1)[-1]
        table = self.exact.get("process")
        if not table or not name:
            return
        observed = Observable("process", name)
        indicator = table.get(name)
        if indicator is not None:
            found.append(Match(indicator, observed, severity_of("process")))
        if len(name) in self.truncated:
            for indicator in self.truncated[len(name)].get(name, ()):
                found.append(Match(indicator, observed, severity_of("process"), "truncated process name"))

    def _match_path(self, kind: str, value: str, found: list[Match]) -> None:
        path = normalize("file_path", value)
        if path is None:
            return
        observed = Observable("file_path", path)
        absolute = self.exact.get("file_path")
        if absolute and path.startswith("/"):
            # Parent directories from the top, no deeper than the deepest indicator.
            slash = 0
            for _ in range(self.absolute_depth):
                slash = path.find("/", slash + 1)
                candidate = path if slash < 0 else path[:slash]
                indicator = absolute.get(candidate)
                if indicator is not None:
                    rule = "exact" if slash < 0 else "path prefix"
                    found.append(Match(indicator, observed, severity_of("file_path"), rule))
                if slash < 0:
                    break
        components = path.strip("/").split("/")
        if self.relative_paths:
            self._match_relative(components, observed, found)
        names = self.exact.get("file_name")
        if names:
            indicator = names.get(components[-1])
            if indicator is not None:
                found.append(Match(indicator, Observable("file_name", components[-1]),
                                   severity_of("file_name"), "file name of path"))

    def _match_relative(self, components: list[str], observed: Observable, found: list[Match]) -> None:
        for start, first in enumerate(components):
            if first not in self.relative_first:
                continue
            candidate = first
            for end in range(start + 1, min(len(components), start + self.relative_depth) + 1):
                if end > start + 1:
                    candidate = f"{candidate}/{components[end - 1]}"
                indicator = self.relative_paths.get(candidate)
                if indicator is not None:
                    found.append(Match(indicator, observed, severity_of("file_path"), "relative path"))


_HANDLERS = {
    "domain": IndicatorIndex._match_domain,
    "url": IndicatorIndex._match_url,
    "ip": IndicatorIndex._match_ip,
    "process": IndicatorIndex._match_process,
    "file_path": IndicatorIndex._match_path,
}
