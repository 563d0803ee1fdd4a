"""Choosing the indicator feeds for a check and compiling them into one index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spyglass.indicators.index import IndicatorIndex


def feeds_for_check(paths: list[Path] | None) -> tuple[list[Any], IndicatorIndex, list[dict[str, Any]], list[str]]:
    """Feeds from `paths` when given, else the stored (updated) set, else the bundled snapshot.

    Returns the feeds, their compiled index, what case.json records of each, and warnings
    (old feeds, skipped patterns) for the summary.
    """
    from spyglass.indicators.store import resolve_feeds, staleness_warning

    feeds = resolve_feeds(paths)
    warnings: list[str] = []
    if not feeds:
        warnings.append("no indicator feeds are available: only heuristics ran")
    stale = staleness_warning(feeds)
    if stale:
        warnings.append(stale)
    for feed in feeds:
        # Skips in the bundled and stored feeds are known and listed by `iocs list`; a feed the
        # user named is worth a word in every summary.
        if feed.skipped and feed.origin == "path":
            reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(feed.skip_reasons.items()))
            warnings.append(f"feed {feed.name}: {feed.skipped} entries not used ({reasons})")
    return feeds, IndicatorIndex(feeds), [feed.to_dict() for feed in feeds], warnings
