"""The indicator index: every feed compiled once into hash tables per observable type.

Matching one observable costs a few dictionary look-ups (a walk over a host's parent domains,
a path's parent directories), never a pass over the indicators. The walks start from the short
end and stop at the first part no indicator has (every suffix of the domain indicators and every
parent of the path indicators is kept in a set), and the result of a host's walk is remembered
in a bounded cache: a host comes back in visit after visit and message after message.

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
    CANDIDATES,
    looks_like_ip,
    normalize,
    plain_domain,
    simple_normal,
    simple_url,
    url_host,
    url_key,
)
from spyglass.indicators.normalize import (
    url as url_normal,
)
from spyglass.records import Observable, Record

TRUNCATED_PROCESS_LENGTHS = (15, 16)
MAX_DOMAIN_LABELS = 127
HOST_CACHE_SIZE = 16_384      # hosts whose walk is remembered; emptied whole when full
MAX_CACHED_HOST = 253         # longer values are not remembered (a host is at most this long)
MAX_CACHED_FOLDER = 1024
RELATIVE_SCAN = 8             # up to this many relative path indicators, paths are searched for them first
# Observable types whose values come back again and again (the same hosts and programs in
# record after record), each matched once per value: their results are remembered too.
REMEMBERED_TYPES = ("domain", "process")
REMEMBERED_SIZE = 65_536      # values per type (at most MAX_CACHED_HOST characters each)
_NO_HITS: tuple[tuple[Indicator, str], ...] = ()


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
        # Every suffix (from a dot) of a domain indicator, every parent (to a slash) of an
        # absolute path indicator: a walk stops at the first candidate not in these.
        self.domain_suffixes: set[str] = set()
        self.path_prefixes: set[str] = set()
        self.url_hosts: set[str] = set()        # the host of every URL indicator
        self.relative_prefixes: set[str] = set()
        self._relative_needles: tuple[str, ...] = ()   # "" (every path) once there are many
        self._host_hits: dict[str, tuple[tuple[Indicator, str], ...]] = {}
        self._folder_hits: dict[str, tuple[Indicator, ...]] = {}
        self._remembered: dict[str, dict[str, tuple[Match, ...]]] = {kind: {} for kind in REMEMBERED_TYPES}
        # observable type -> (its handler, its remembered results or None); other types are exact
        self._routes = {kind: (getattr(self, name), self._remembered.get(kind)) for kind, name in _HANDLERS.items()}
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
        self._host_hits.clear()
        self._folder_hits.clear()
        for remembered in self._remembered.values():
            remembered.clear()
        if table is self.exact.get("domain"):
            self.domain_suffixes.add(key)
            dot = key.find(".")
            while dot >= 0:
                self.domain_suffixes.add(key[dot + 1:])
                dot = key.find(".", dot + 1)
        if table is self.urls:
            self.url_hosts.add(url_host(merged.value))
        elif indicator.type == "process":
            for length in TRUNCATED_PROCESS_LENGTHS:
                if len(merged.value) > length:
                    bucket = self.truncated[length].setdefault(merged.value[:length], [])
                    bucket[:] = [item for item in bucket if item.value != merged.value] + [merged]
        elif table is self.relative_paths:
            self.relative_first.add(merged.value.split("/", 1)[0])
            self.relative_prefixes.add(key)
            self._relative_needles = tuple(self.relative_paths) if len(self.relative_paths) <= RELATIVE_SCAN else ("",)
            slash = key.find("/")
            while slash >= 0:
                self.relative_prefixes.add(key[:slash])
                slash = key.find("/", slash + 1)
            self.relative_depth = max(self.relative_depth, merged.value.count("/") + 1)
        elif indicator.type == "file_path":
            self.absolute_depth = max(self.absolute_depth, merged.value.count("/"))
            self.path_prefixes.add(key)
            slash = key.find("/", 1)
            while slash >= 0:
                self.path_prefixes.add(key[:slash])
                slash = key.find("/", slash + 1)

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
        kind = observable.type
        route = self._routes.get(kind)
        found: list[Match] = []
        if route is None:
            table = self.exact.get(kind)
            if table:   # exact types: one normal form, one look-up
                candidate = CANDIDATES.get(kind)
                if candidate is not None and (quick := candidate(value)) is not None and quick not in table:
                    return found
                normal = normalize(kind, value)
                indicator = table.get(normal) if normal is not None else None
                if indicator is not None:
                    found.append(Match(indicator, Observable(kind, value), severity_of(kind)))
            return found
        handler, remembered = route
        if remembered is not None:
            known = remembered.get(value)
            if known is not None:
                return list(known)
        handler(kind, value, found)
        if len(found) > 1:
            found = _unique(found)
        if remembered is not None and len(value) <= MAX_CACHED_HOST:
            if len(remembered) >= REMEMBERED_SIZE:
                remembered.clear()
            remembered[value] = tuple(found)
        return found

    # Each handler appends Match objects to `found`.

    def _match_domain(self, kind: str, value: str, found: list[Match]) -> None:
        plain = plain_domain(value)
        if plain is not None:   # what the rules below give for it, sooner
            self._walk_domain(plain, found, "")
            return
        if looks_like_ip(value.strip().strip("[]")):
            self._match_ip("ip", value, found)
            return
        host = normalize("domain", value)
        if host is not None:
            self._walk_domain(host, found, "")

    def _walk_domain(self, host: str, found: list[Match], via: str) -> None:
        hits = self._host_hits.get(host)
        if hits is None:
            hits = self._domain_hits(host)
            if len(host) <= MAX_CACHED_HOST:
                if len(self._host_hits) >= HOST_CACHE_SIZE:
                    self._host_hits.clear()
                self._host_hits[host] = hits
        if hits:
            observed = Observable("domain", host)
            for indicator, rule in hits:
                found.append(Match(indicator, observed, severity_of("domain"), f"{via}{rule}"))

    def _domain_hits(self, host: str) -> tuple[tuple[Indicator, str], ...]:
        """The domain indicators `host` or a parent domain of it equals, `host` first."""
        table = self.exact.get("domain")
        if not table:
            return _NO_HITS
        suffixes = self.domain_suffixes
        hits: list[tuple[Indicator, str]] = []
        dot = host.rfind(".")
        for _ in range(MAX_DOMAIN_LABELS):
            candidate = host[dot + 1:]     # the whole host once dot is -1
            if candidate not in suffixes:
                break
            indicator = table.get(candidate)
            if indicator is not None:
                hits.append((indicator, "exact" if dot < 0 else "subdomain"))
            if dot < 0:
                break
            dot = host.rfind(".", 0, dot)
        if not hits:
            return _NO_HITS
        hits.reverse()
        return tuple(hits)

    def _match_url(self, kind: str, value: str, found: list[Match]) -> None:
        simple = simple_url(value)
        if simple is not None:  # the common link: its host first, the whole link only if needed
            parts, host = simple
            if host is None:
                return
            if host in self.url_hosts:
                indicator = self.urls.get(url_key(simple_normal(parts, host)))
                if indicator is not None:
                    found.append(Match(indicator, Observable("url", value), severity_of("url")))
            # A host name or an IPv4 address as url() writes them: only an address ends in a digit.
            is_ip = host[-1].isdigit() and looks_like_ip(host)
        else:
            normal = url_normal(value)
            if normal is None:
                return
            indicator = self.urls.get(url_key(normal))
            if indicator is not None:
                found.append(Match(indicator, Observable("url", value), severity_of("url")))
            host = url_host(normal)
            is_ip = looks_like_ip(host)
        if is_ip:
            self._match_ip("ip", host, found, "url host ")
        else:
            self._walk_domain(host, found, "url host ")

    def _match_ip(self, kind: str, value: str, found: list[Match], via: str = "") -> None:
        address = normalize("ip", value)
        if address is None:
            return
        exact = self.exact.get("ip")
        indicator = exact.get(address) if exact else None
        if indicator is not None:
            found.append(Match(indicator, Observable("ip", address), severity_of("ip"), f"{via}exact"))
        if not self.networks or "/" in address:
            return
        observed = Observable("ip", address)
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
        indicator = table.get(name)
        if indicator is not None:
            found.append(Match(indicator, Observable("process", name), severity_of("process")))
        if len(name) in self.truncated:
            for indicator in self.truncated[len(name)].get(name, ()):
                found.append(Match(indicator, Observable("process", name), severity_of("process"),
                                   "truncated process name"))

    def _match_path(self, kind: str, value: str, found: list[Match]) -> None:
        path = normalize("file_path", value)
        if path is None:
            return
        absolute = self.exact.get("file_path")
        if absolute and path.startswith("/"):
            # The path's parent directories from the top, then the path itself. Files share
            # their folders: the parents' result is remembered by folder.
            folder = path[:path.rfind("/")]
            hits = self._folder_hits.get(folder)
            if hits is None:
                hits = self._parent_hits(folder, absolute)
                if len(folder) <= MAX_CACHED_FOLDER:
                    if len(self._folder_hits) >= HOST_CACHE_SIZE:
                        self._folder_hits.clear()
                    self._folder_hits[folder] = hits
            for indicator in hits:
                found.append(Match(indicator, Observable("file_path", path), severity_of("file_path"),
                                   "path prefix"))
            indicator = absolute.get(path)
            if indicator is not None:
                found.append(Match(indicator, Observable("file_path", path), severity_of("file_path")))
        for needle in self._relative_needles:  # a relative indicator matches only where it is written
            if needle in path:
                self._match_relative(path.strip("/").split("/"), path, found)
                break
        names = self.exact.get("file_name")
        if names:
            last = path[path.rfind("/") + 1:]
            indicator = names.get(last)
            if indicator is not None:
                found.append(Match(indicator, Observable("file_name", last),
                                   severity_of("file_name"), "file name of path"))

    def _parent_hits(self, folder: str, absolute: dict[str, Indicator]) -> tuple[Indicator, ...]:
        """The absolute path indicators that `folder` (no trailing slash) or a parent of it
        equals, from the top; the walk stops at the first directory no indicator is in."""
        prefixes = self.path_prefixes
        hits: list[Indicator] = []
        slash = 0
        for _ in range(self.absolute_depth):
            slash = folder.find("/", slash + 1)
            candidate = folder if slash < 0 else folder[:slash]
            if candidate not in prefixes:
                break
            indicator = absolute.get(candidate)
            if indicator is not None:
                hits.append(indicator)
            if slash < 0:
                break
        return tuple(hits)

    def _match_relative(self, components: list[str], path: str, found: list[Match]) -> None:
        for start, first in enumerate(components):
            if first not in self.relative_first:
                continue
            candidate = first
            for end in range(start + 1, min(len(components), start + self.relative_depth) + 1):
                if end > start + 1:
                    candidate = f"{candidate}/{components[end - 1]}"
                if candidate not in self.relative_prefixes:
                    break
                indicator = self.relative_paths.get(candidate)
                if indicator is not None:
                    found.append(Match(indicator, Observable("file_path", path), severity_of("file_path"),
                                       "relative path"))


def _unique(found: list[Match]) -> list[Match]:
    """Each indicator once, first match kept."""
    unique: dict[tuple[str, str], Match] = {}
    for match in found:
        unique.setdefault((match.indicator.type, match.indicator.value), match)
    return list(unique.values())


_HANDLERS = {
    "domain": "_match_domain",
    "url": "_match_url",
    "ip": "_match_ip",
    "process": "_match_process",
    "file_path": "_match_path",
}
