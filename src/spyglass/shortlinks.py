"""Opt-in expansion of shortened links (`--expand-short-links`): the one use of the network in a check.

Each link is resolved with HEAD requests, redirects followed by hand (so every hop is seen and
bounded), over http(s) only, with a per-request timeout, a cap on hops, links and total time.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_LINKS = 100
MAX_HOPS = 5
REQUEST_TIMEOUT = 5.0
TOTAL_TIME = 60.0


@dataclass
class Expansion:
    url: str
    hops: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def target(self) -> str | None:
        return self.hops[-1] if self.hops else None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _next_hop(url: str, timeout: float) -> str | None:
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "spyglass"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            location = response.headers.get("Location")
    except urllib.error.HTTPError as exc:
        if exc.code not in (301, 302, 303, 307, 308):
            raise
        location = exc.headers.get("Location")
    return urllib.parse.urljoin(url, location) if location else None


def expand(urls: Iterable[str], *, max_links: int = MAX_LINKS, max_hops: int = MAX_HOPS,
           timeout: float = REQUEST_TIMEOUT, total_time: float = TOTAL_TIME) -> list[Expansion]:
    """Resolve each distinct URL to the chain of addresses it redirects to."""
    deadline = time.monotonic() + total_time
    results: list[Expansion] = []
    for url in dict.fromkeys(urls):
        if len(results) >= max_links:
            break
        expansion = Expansion(url)
        results.append(expansion)
        current = url
        for _ in range(max_hops):
            if time.monotonic() >= deadline:
                expansion.error = "time limit reached"
                break
            if urllib.parse.urlsplit(current).scheme not in ("http", "https"):
                break
            try:
                following = _next_hop(current, timeout)
            except (OSError, ValueError, urllib.error.URLError) as exc:
                expansion.error = f"{type(exc).__name__}: {exc}"[:200]
                break
            if not following or following == current:
                break
            expansion.hops.append(following)
            current = following
    return results
