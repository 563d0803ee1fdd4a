"""The matcher's fast paths and caches give what the general rules give.

Each fast path (a plain link without urlsplit, a plain host name, a plain IPv4 address, an
e-mail address or phone number an index does not hold, walks that stop early, results
remembered by host, folder and value) is checked against the general rule it shortcuts, written
out here the slow way, on values built to sit on either side of each shortcut's conditions.
"""

from __future__ import annotations

import ipaddress
import itertools
from urllib.parse import urlsplit

import pytest

from spyglass.extract import MAX_TEXT_CHARS, _split_url, url_host
from spyglass.indicators import Indicator, IndicatorIndex, LoadedFeed
from spyglass.indicators import index as index_module
from spyglass.indicators.normalize import (
    CANDIDATES,
    DEFAULT_PORTS,
    domain,
    host,
    ip,
    looks_like_ip,
    normalize,
    plain_domain,
    url,
)
from spyglass.records import Observable

HOSTS = ["evil.com", "EVIL.com.", "b.evil.com", "a.b.c.deep.org", "münchen.de", "198.51.100.7", "1.2.3.", "01.2.3.4",
         "localhost", ".evil.com", "evil..com", "under_score.net", "-bad.com", "a" * 300 + ".com", "ｅｖｉｌ.com",
         "1.2.3.4.5", "x1.y2", "", "_"]
TAILS = ["", "/", "/AbC?id=1", "/AbC?id=1#frag", "?id=1", "#x", "/p\tq", "/x y", ":8080/x", ":443/", "/a?#b", "?", "\\x",
         " ", "\n"]
SCHEMES = ["https://", "http://", "HTTP://", "", "ftp://", "//", "https:///", " https://", "\x01https://"]


def url_reference(value: str) -> str | None:
    """url() written with urlsplit alone, as it was before its fast path."""
    text = value.strip()
    if not text or len(text) > 64 * 1024:
        return None
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    hostname = parts.hostname or ""
    host_text = ip(hostname) if looks_like_ip(hostname) else host(hostname)
    if not scheme or not host_text:
        return None
    if ":" in host_text:
        host_text = f"[{host_text}]"
    netloc = host_text if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host_text}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}{'?' + parts.query if parts.query else ''}"


def host_reference(value: str) -> str | None:
    text = value.strip().rstrip(".")
    if not text or len(text) > 4 * 253:
        return None
    text = text.lower()
    if len(text) > 253 or ".." in text:
        return None
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789_-.")
    ends = set("abcdefghijklmnopqrstuvwxyz0123456789_")
    if not set(text) <= allowed or text[0] not in ends or text[-1] not in ends:
        return None
    return text


def ip_reference(value: str) -> str | None:
    text = value.strip().strip("[]")
    if "%" in text:
        text = text.split("%", 1)[0]
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            return str(network.network_address) if network.num_addresses == 1 else str(network)
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def links() -> list[str]:
    made = [f"{scheme}{name}{tail}" for scheme, name, tail in itertools.product(SCHEMES, HOSTS, TAILS)]
    made += [f"{scheme}user@{name}/x" for scheme, name in itertools.product(SCHEMES, HOSTS)]
    return made + ["https://[2001:db8::5]/p", "https://[2001:db8::5", "https://evil.com%00/x", "https://ex%41mple.com/",
                   "https://evil.com" + "/x" * 40_000, "https://evil.com/\r\nx", "https://Evil.Com./AbC?id=1"]


def test_url_fast_path_is_urlsplit_s_answer() -> None:
    for value in links():
        assert url(value) == url_reference(value), value


def test_host_fast_path_is_the_general_rule() -> None:
    for value in [*HOSTS, "Evil.COM", "evil.com\n", " evil.com", "a-.com", "a.-b", "x" * 254, "x" * 253]:
        if value.isascii():
            assert host(value) == host_reference(value), value


def test_ip_fast_path_is_ipaddress_s_answer() -> None:
    for value in ["198.51.100.7", " 198.51.100.7 ", "[198.51.100.7]", "198.051.100.7", "256.1.1.1", "1.2.3.4.5",
                  "2001:DB8::1", "::ffff:198.51.100.7", "fe80::1%en0", "203.0.113.0/24", "1.2.3.4/32", "1.2.3"]:
        assert ip(value) == ip_reference(value), value


def test_ip_with_a_line_break_inside_is_not_an_address() -> None:
    # Before the fast path each octet was tested with `^...$`, which let "2\n" through: the
    # value was kept as an address and the network look-up then raised ValueError.
    assert ip("1.2\n.3.4") is None
    index = IndicatorIndex([feed_of(("ip", "203.0.113.0/24"))])
    assert index.match(Observable("ip", "1.2\n.3.4")) == []


@pytest.mark.parametrize("value", [*HOSTS, "Evil.COM", "evil.com\n", "*.evil.com", "evil.com/x", "1.2.3.4", "a.b1"])
def test_plain_domain_is_domain_or_undecided(value: str) -> None:
    plain = plain_domain(value)
    assert plain is None or (plain == domain(value) and not looks_like_ip(value))


@pytest.mark.parametrize(("kind", "value"), [
    ("email", "x@evil.com"), ("email", "X@Evil.COM"), ("email", "x@evil.com."), ("email", " x@evil.com"),
    ("email", "mailto:x@evil.com"), ("email", "x@evil..com"), ("email", "x@ evil.com"), ("email", "x@münchen.de"),
    ("email", "x\x1c@evil.com"), ("phone", "+41791234567"), ("phone", "+4"), ("phone", "+"), ("phone", "+41 79 123"),
    ("phone", "41791234567"), ("phone", "+١٢٣٤٥"),
])
def test_candidate_is_the_only_possible_normal_form(kind: str, value: str) -> None:
    candidate = CANDIDATES[kind](value)
    assert candidate is None or normalize(kind, value) in (candidate, None)


def feed_of(*pairs: tuple[str, str]) -> LoadedFeed:
    feed = LoadedFeed(name="f", path=None, sha256="0" * 64)
    feed.add([Indicator(kind, normalize(kind, value), value, "f", "Pegasus") for kind, value in pairs])
    return feed


def naive_domain(index: IndicatorIndex, name: str) -> list[tuple[str, str]]:
    """Every parent domain looked up, longest first: the walk without its shortcuts."""
    labels = name.split(".")
    table = index.exact.get("domain", {})
    return [(table[".".join(labels[n:])].value, "exact" if n == 0 else "subdomain")
            for n in range(len(labels)) if ".".join(labels[n:]) in table]


def test_domain_walk_from_the_short_end_finds_what_every_parent_finds() -> None:
    index = IndicatorIndex([feed_of(("domain", "evil.com"), ("domain", "a.b.evil.com"), ("domain", "deep.x.y.z.org"),
                                    ("domain", "c.co.uk"))])
    for name in ["evil.com", "x.evil.com", "a.b.evil.com", "z.a.b.evil.com", "b.evil.com", "x.y.z.org",
                 "deep.x.y.z.org", "q.deep.x.y.z.org", "co.uk", "a.c.co.uk", "evil.co", "notevil.com"]:
        found = [(m.indicator.value, m.rule) for m in index.match(Observable("domain", name))]
        assert found == naive_domain(index, name), name
        again = [(m.indicator.value, m.rule) for m in index.match(Observable("domain", name))]
        assert again == found   # the second answer comes from the caches


def test_caches_forget_when_an_indicator_is_added() -> None:
    index = IndicatorIndex([feed_of(("domain", "evil.com"))])
    assert index.match(Observable("domain", "x.other.org")) == []
    assert index.match(Observable("url", "https://x.other.org/p")) == []
    assert index.match(Observable("file_path", "/private/var/tmp/x/y")) == []
    index.add_feed(feed_of(("domain", "other.org"), ("file_path", "/private/var/tmp/x")))
    assert [m.rule for m in index.match(Observable("domain", "x.other.org"))] == ["subdomain"]
    assert [m.rule for m in index.match(Observable("url", "https://x.other.org/p"))] == ["url host subdomain"]
    assert [m.rule for m in index.match(Observable("file_path", "/private/var/tmp/x/y"))] == ["path prefix"]


def test_path_parents_remembered_by_folder_keep_the_order_of_the_walk() -> None:
    index = IndicatorIndex([feed_of(("file_path", "/private/var/tmp"), ("file_path", "/private/var/tmp/a"),
                                    ("file_path", "/private/var/tmp/a/b.plist"), ("file_name", "b.plist"))])
    expected = [("/private/var/tmp", "path prefix"), ("/private/var/tmp/a", "path prefix"),
                ("/private/var/tmp/a/b.plist", "exact"), ("b.plist", "file name of path")]
    for _ in range(2):
        found = [(m.indicator.value, m.rule) for m in index.match(Observable("file_path", "/tmp/a/b.plist"))]
        assert found == expected


def test_relative_paths_match_when_there_are_many() -> None:
    names = [f"Library/Prefs{n}/x.plist" for n in range(index_module.RELATIVE_SCAN + 3)]
    index = IndicatorIndex([feed_of(*(("file_path", name) for name in names))])
    for name in (names[0], names[-1]):
        found = index.match(Observable("file_path", f"/private/var/mobile/{name}"))
        assert [(m.indicator.value, m.rule) for m in found] == [(name, "relative path")]
    assert index.match(Observable("file_path", "/private/var/mobile/Library/Prefs0/y.plist")) == []


def test_remembered_values_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "REMEMBERED_SIZE", 4)
    monkeypatch.setattr(index_module, "HOST_CACHE_SIZE", 4)
    index = IndicatorIndex([feed_of(("domain", "evil.com"))])
    for number in range(50):
        index.match(Observable("domain", f"h{number}.evil.com"))
        index.match(Observable("url", f"https://h{number}.example.org/"))
    assert len(index._remembered["domain"]) <= 4 and len(index._host_hits) <= 4
    assert [m.rule for m in index.match(Observable("domain", "h1.evil.com"))] == ["subdomain"]


def test_url_host_fast_path_is_split_url_s_answer() -> None:
    for value in [*links(), "Ftp://bit.ly/x", "hxxp://bit.ly/x", "BIT.LY/x", "https://bit.ly\\x"]:
        parts = _split_url(value.strip()[:MAX_TEXT_CHARS])
        assert url_host(value) == (parts[2] if parts else None), value
