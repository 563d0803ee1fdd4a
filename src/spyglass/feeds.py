"""Choosing the indicator feeds for a check and compiling them into one index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spyglass.errors import SpyglassError
from spyglass.indicators.index import IndicatorIndex


def feeds_for_check(paths: list[Path] | None, *, with_default: bool = False, directory: Path | None = None,
                    ) -> tuple[list[Any], IndicatorIndex, list[dict[str, Any]], list[str]]:
    """The feeds of a check, their compiled index, what case.json records of each, and warnings
    (old feeds, skipped patterns) for the summary.

    The feeds in use (the stored set after `spyglass iocs update`, else the bundled snapshot, with
    the added feeds; `directory` is the storage folder, see indicators/store.py) are used when no
    `paths` are given, and with `with_default` also beside the feeds at `paths` (the command line's
    `--iocs`); otherwise the feeds at `paths` replace them (`--only-iocs`).
    """
    from spyglass.indicators.loader import load_paths
    from spyglass.indicators.store import resolve_feeds

    if paths and with_default:
        feeds = resolve_feeds(None, directory) + load_paths(paths)
    elif paths:
        feeds = load_paths(paths)
    else:
        feeds = resolve_feeds(None, directory)
    warnings = feed_warnings(feeds)
    return feeds, IndicatorIndex(feeds), [feed.to_dict() for feed in feeds], warnings


def feed_paths(iocs: tuple[Path, ...] | list[Path], only_iocs: tuple[Path, ...] | list[Path]) -> tuple[list[Path], bool]:
    """The command line's `--iocs` (beside the feeds in use) and `--only-iocs` (instead of them)
    as (paths, with_default). Both at once is refused: it would be unclear which was meant."""
    if iocs and only_iocs:
        raise SpyglassError("--iocs adds feeds to the ones in use and --only-iocs replaces them: give one of the two")
    return (list(only_iocs), False) if only_iocs else (list(iocs), True)


def feed_warnings(feeds: list[Any]) -> list[str]:
    """What a summary says of the feeds of a check: none at all, old ones, entries not used."""
    from spyglass.indicators.store import given_feed_age_warnings, staleness_warning

    warnings: list[str] = []
    if not feeds:
        warnings.append("no indicator feeds are available: only heuristics ran")
    stale = staleness_warning(feeds)
    if stale:
        warnings.append(stale)
    warnings.extend(given_feed_age_warnings(feeds))
    for feed in feeds:
        # Skips in the bundled and stored feeds are known and listed by `iocs list`; a feed the
        # user named is worth a word in every summary.
        if feed.skipped and feed.origin == "path":
            reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(feed.skip_reasons.items()))
            warnings.append(f"feed {feed.name}: {feed.skipped} entries not used ({reasons})")
    return warnings
