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
    warnings: list[str] = []
    try:
        from spyglass.indicators.store import resolve_feeds
    except ImportError:
        resolve_feeds = None
    if resolve_feeds is not None:
        feeds, extra = resolve_feeds(paths)
        warnings.extend(extra)
    elif paths:
        from spyglass.indicators import load_paths
        feeds = load_paths(paths)
    else:
        feeds = []
        warnings.append("no indicator feeds are available: only heuristics ran")
    for feed in feeds:
        if feed.skipped:
            reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(feed.skip_reasons.items()))
            warnings.append(f"feed {feed.name}: {feed.skipped} entries not used ({reasons})")
    return feeds, IndicatorIndex(feeds), [feed.to_dict() for feed in feeds], warnings
