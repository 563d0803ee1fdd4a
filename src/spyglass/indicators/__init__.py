"""Indicators of compromise: feeds loaded into `LoadedFeed`s, compiled into an `IndicatorIndex`.

    feeds = resolve_feeds(iocs_paths)          # given paths, else stored or bundled (+ added)
    warning = staleness_warning(feeds)         # a string when the feeds are over 90 days old
    index = IndicatorIndex(feeds)
    for match in index.match(Observable("url", "https://a.evil.com/x")): ...
"""

from __future__ import annotations

from spyglass.indicators.index import IndicatorIndex
from spyglass.indicators.loader import load_feed_file, load_paths
from spyglass.indicators.manifest import bundled_feeds
from spyglass.indicators.misp import load_misp
from spyglass.indicators.model import SEVERITY_BY_TYPE, Indicator, LoadedFeed, Match, severity_of
from spyglass.indicators.normalize import normalize
from spyglass.indicators.plain import load_plain
from spyglass.indicators.stalkerware import load_stalkerware
from spyglass.indicators.stix import load_stix, parse_pattern, parse_stix
from spyglass.indicators.store import resolve_feeds, staleness_warning, update_feeds

__all__ = [
    "SEVERITY_BY_TYPE", "Indicator", "IndicatorIndex", "LoadedFeed", "Match", "bundled_feeds",
    "load_feed_file", "load_misp", "load_paths", "load_plain", "load_stalkerware", "load_stix",
    "normalize", "parse_pattern", "parse_stix", "resolve_feeds", "severity_of", "staleness_warning",
    "update_feeds",
]
