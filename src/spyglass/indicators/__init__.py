"""Indicators of compromise: feeds loaded into `LoadedFeed`s, compiled into an `IndicatorIndex`.

    feeds = load_paths([Path("pegasus.stix2")])
    index = IndicatorIndex(feeds)
    for match in index.match(Observable("url", "https://a.evil.com/x")): ...
"""

from __future__ import annotations

from spyglass.indicators.index import IndicatorIndex
from spyglass.indicators.loader import load_feed_file, load_paths
from spyglass.indicators.model import SEVERITY_BY_TYPE, Indicator, LoadedFeed, Match, severity_of
from spyglass.indicators.normalize import normalize
from spyglass.indicators.stix import load_stix, parse_pattern, parse_stix

__all__ = [
    "SEVERITY_BY_TYPE", "Indicator", "IndicatorIndex", "LoadedFeed", "Match", "load_feed_file",
    "load_paths", "load_stix", "normalize", "parse_pattern", "parse_stix", "severity_of",
]
