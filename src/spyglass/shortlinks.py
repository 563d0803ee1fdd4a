"""Opt-in expansion of shortened links (`--expand-short-links`): the one use of the network in a check.

Only the shortening service is asked, never the target: one HEAD request per link, to the link's
own host, and only when that host is a known shortener (`analysis.SHORTENER_DOMAINS`, the same list
that decides what counts as a short link). The `Location` of its answer is the target; it is read,
never fetched.

The host is resolved here and every address it resolves to must pass `address_allowed` (public
addresses only). The connection goes to an address that was checked, so a DNS answer that changes
between the check and the connection (rebinding) cannot point the request inside the network. TLS
is verified against the real hostname, which is also sent as SNI and in the Host header.
Bounded in links, bytes (http.client's header limits, no body read, a cap on the Location's
length) and time (per request and in total). Proxies from the environment are not used: a proxy
would be one more party contacted.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from spyglass import analysis
from spyglass.extract import url_host

MAX_LINKS = 100
REQUEST_TIMEOUT = 5.0
TOTAL_TIME = 60.0
MAX_LOCATION_CHARS = 4096
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressInfo = tuple[Any, ...]  # one getaddrinfo entry: family, type, proto, canonname, sockaddr


def is_public_address(address: IPAddress) -> bool:
    """True for a globally routable unicast address; False for private, loopback, link-local
    (cloud metadata at 169.254.169.254), multicast, reserved and unspecified ones."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 reaches 127.0.0.1.
        address = address.ipv4_mapped
    return address.is_global and not (address.is_private or address.is_loopback or address.is_link_local
                                      or address.is_multicast or address.is_reserved
                                      or address.is_unspecified)


# Which resolved addresses may be contacted. Only tests that run a shortener on loopback change it.
address_allowed: Callable[[IPAddress], bool] = is_public_address


def tls_context() -> ssl.SSLContext:
    """Certificates verified against the system's roots, hostname checked."""
    return ssl.create_default_context()


@dataclass
class Expansion:
    url: str
    hops: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def target(self) -> str | None:
        return self.hops[-1] if self.hops else None


class NotExpanded(Exception):
    """Why a link has no target, in words for the case."""


def _checked_addresses(host: str, port: int) -> list[AddressInfo]:
    """Every address `host` resolves to, each passing `address_allowed`; one that fails refuses all."""
    try:
        resolved = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise NotExpanded(f"{host} does not resolve; not contacted") from None
    for entry in resolved:
        try:
            address = ipaddress.ip_address(entry[4][0])
        except ValueError:
            raise NotExpanded(f"{host} resolves to an unusable address; not contacted") from None
        if not address_allowed(address):
            raise NotExpanded(f"{host} resolves to {address}, not a public address; not contacted")
    if not resolved:
        raise NotExpanded(f"{host} does not resolve; not contacted")
    return resolved


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand, not to whatever `host` resolves to now."""

    def __init__(self, host: str, port: int, address: AddressInfo, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def _open_socket(self) -> socket.socket:
        family, kind, proto, _name, sockaddr = self._address
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(self.timeout)
            sock.connect(sockaddr)
        except BaseException:
            sock.close()
            raise
        return sock

    def connect(self) -> None:
        self.sock = self._open_socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        sock = self._open_socket()
        try:
            self.sock = tls_context().wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _ask_shortener(url: str, timeout: float) -> str | None:
    """Send one HEAD request for `url` to its shortening service; where its answer points, if anywhere."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise NotExpanded("not an http(s) link; not contacted")
    host = url_host(url)
    if host is None or host not in analysis.SHORTENER_DOMAINS:
        raise NotExpanded("not a known link shortener; not contacted")
    # Two URL parsers that disagree on the host (a backslash, an '@') must not send it elsewhere.
    if (parts.hostname or "").rstrip(".") != host:
        raise NotExpanded("the link's host is ambiguous; not contacted")
    port = parts.port or DEFAULT_PORTS[scheme]
    path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    connection_type = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    failure: OSError | None = None
    for address in _checked_addresses(host, port):
        connection = connection_type(host, port, address, timeout)
        try:
            connection.connect()
        except OSError as exc:
            failure = exc
            connection.close()
            continue
        try:
            connection.request("HEAD", path, headers={"User-Agent": "spyglass"})
            response = connection.getresponse()
            status, location = response.status, response.getheader("Location")
        finally:
            connection.close()
        if status not in REDIRECT_STATUSES:
            raise NotExpanded(f"HTTP {status} from {host}, no redirect")
        if not location:
            return None
        if len(location) > MAX_LOCATION_CHARS:
            raise NotExpanded(f"{host} answered a Location over {MAX_LOCATION_CHARS} characters")
        return urllib.parse.urljoin(url, location.strip())
    raise failure or OSError(f"{host}: no address to connect to")


def expand(urls: Iterable[str], *, max_links: int = MAX_LINKS, timeout: float = REQUEST_TIMEOUT,
           total_time: float = TOTAL_TIME) -> list[Expansion]:
    """Ask the shortening service of each distinct URL where it points (its target, the one hop)."""
    deadline = time.monotonic() + total_time
    results: list[Expansion] = []
    for url in dict.fromkeys(urls):
        if len(results) >= max_links:
            break
        expansion = Expansion(url)
        results.append(expansion)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            expansion.error = "time limit reached"
            continue
        try:
            target = _ask_shortener(url, min(timeout, remaining))
        except NotExpanded as exc:
            expansion.error = str(exc)[:200]
            continue
        except (OSError, ValueError, http.client.HTTPException) as exc:
            expansion.error = f"{type(exc).__name__}: {exc}"[:200]
            continue
        if target and target != url:
            expansion.hops.append(target)
    return results
