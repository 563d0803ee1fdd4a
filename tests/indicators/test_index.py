from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.indicators import Indicator, IndicatorIndex, LoadedFeed, Match
from spyglass.indicators.normalize import normalize
from spyglass.records import Observable, Record


def feed_of(name: str, *pairs: tuple[str, str], malware: str = "Pegasus") -> LoadedFeed:
    feed = LoadedFeed(name=name, path=None, sha256="0" * 64)
    feed.add([Indicator(kind, normalize(kind, value), value, name, malware, f"indicator--{name}-{n}")
              for n, (kind, value) in enumerate(pairs)])
    return feed


def matched(index: IndicatorIndex, kind: str, value: str) -> list[tuple[str, str, str, str]]:
    """(indicator value, matched observable type, matched value, rule) for each match."""
    return [(match.indicator.value, match.observable.type, match.observable.value, match.rule)
            for match in index.match(Observable(kind, value))]


@pytest.fixture()
def index() -> IndicatorIndex:
    return IndicatorIndex([feed_of(
        "pegasus",
        ("domain", "evil.com"), ("domain", "xn--mnchen-3ya.de"),
        ("url", "https://links.example.org/AbC?id=1"),
        ("ip", "198.51.100.7"), ("ip", "2001:db8::1"), ("ip", "203.0.113.0/24"),
        ("email", "bergers.o79@gmail.com"),
        ("process", "roleaccountd"), ("process", "com.apple.rapports.events"),
        ("process", "ReminderIntentsUIExtension"),
        ("file_path", "/private/var/db/com.apple.xpc.roleaccountd.staging/"),
        ("file_path", "/private/var/tmp/hooker"), ("file_path", "/tmp/kusama.txt"),
        ("file_path", "Library/Preferences/com.apple.photolibraryd.plist"),
        ("file_name", "roleaccountd.plist"),
        ("sha256", "05b5e4070b3b8a130b12ea96c5526b4615fcae121bb802b1a10c3a7a70f39901"),
        ("cert_sha256", "d12616542268d32329f1c4357b5d5a57e954e13d2338d27bb8439794291b8c6d"),
        ("app_id", "com.serv.services"), ("profile_id", "76DAB334-7E17-475D-A5D6-0794EB5818A5"),
        ("android_property", "sys.brand.note"), ("phone", "+1 555 010 0000"),
    )])


@pytest.mark.parametrize(("value", "expected"), [
    ("evil.com", [("evil.com", "domain", "evil.com", "exact")]),
    ("EVIL.com.", [("evil.com", "domain", "evil.com", "exact")]),
    ("b.evil.com", [("evil.com", "domain", "b.evil.com", "subdomain")]),
    ("a.b.evil.com", [("evil.com", "domain", "a.b.evil.com", "subdomain")]),
    ("münchen.de", [("xn--mnchen-3ya.de", "domain", "xn--mnchen-3ya.de", "exact")]),
    ("www.MÜNCHEN.de", [("xn--mnchen-3ya.de", "domain", "www.xn--mnchen-3ya.de", "subdomain")]),
    ("198.51.100.7", [("198.51.100.7", "ip", "198.51.100.7", "exact")]),
])
def test_match_domain(index: IndicatorIndex, value: str, expected: list) -> None:
    assert matched(index, "domain", value) == expected


@pytest.mark.parametrize("value", [
    "notevil.com", "evil.com.example.net", "evil.co", "vil.com", "evil.comx", "com",
    "evil-com.net", "xevil.com", "evil..com", "", "münchen.de.evil.org",
])
def test_match_domain_look_alikes_never_match(index: IndicatorIndex, value: str) -> None:
    assert matched(index, "domain", value) == []


@pytest.mark.parametrize(("value", "expected"), [
    ("https://links.example.org/AbC?id=1", [("https://links.example.org/AbC?id=1", "url",
                                             "https://links.example.org/AbC?id=1", "exact")]),
    ("HTTP://LINKS.example.org:80/AbC?id=1#top", [("https://links.example.org/AbC?id=1", "url",
                                                   "HTTP://LINKS.example.org:80/AbC?id=1#top", "exact")]),
    ("links.example.org/AbC?id=1", [("https://links.example.org/AbC?id=1", "url",
                                     "links.example.org/AbC?id=1", "exact")]),
    ("https://links.example.org/abc?id=1", []),        # paths are case-sensitive
    ("https://links.example.org/AbC?id=2", []),
    ("https://x.evil.com/landing", [("evil.com", "domain", "x.evil.com", "url host subdomain")]),
    ("https://evil.com", [("evil.com", "domain", "evil.com", "url host exact")]),
    ("http://198.51.100.7:8080/x", [("198.51.100.7", "ip", "198.51.100.7", "url host exact")]),
    ("http://[2001:db8:0::1]/", [("2001:db8::1", "ip", "2001:db8::1", "url host exact")]),
    ("https://evil.com.example.net/x", []),
    ("https://example.net/?u=evil.com", []),
    ("not a url at all", []),
])
def test_match_url(index: IndicatorIndex, value: str, expected: list) -> None:
    assert matched(index, "url", value) == expected


def test_match_ip(index: IndicatorIndex) -> None:
    assert matched(index, "ip", "2001:0db8::0001") == [("2001:db8::1", "ip", "2001:db8::1", "exact")]
    assert matched(index, "ip", "::ffff:198.51.100.7") == [("198.51.100.7", "ip", "198.51.100.7", "exact")]
    assert matched(index, "ip", "203.0.113.200") == [("203.0.113.0/24", "ip", "203.0.113.200", "network")]
    assert matched(index, "ip", "203.0.114.1") == []
    assert matched(index, "ip", "198.51.100.70") == []
    assert matched(index, "ip", "garbage") == []


def test_match_email(index: IndicatorIndex) -> None:
    assert matched(index, "email", "Bergers.O79@Gmail.com") == [
        ("bergers.o79@gmail.com", "email", "Bergers.O79@Gmail.com", "exact")]
    assert matched(index, "email", "someone@evil.com") == []  # mail domains are not domain indicators


@pytest.mark.parametrize(("value", "expected"), [
    ("roleaccountd", [("roleaccountd", "process", "roleaccountd", "exact")]),
    ("Roleaccountd", []),
    ("roleaccount", []),
    ("/usr/libexec/roleaccountd", [("roleaccountd", "process", "roleaccountd", "exact")]),
    # 16 characters: XNU's MAXCOMLEN; 15 characters: Linux/Android comm.
    ("com.apple.rappor", [("com.apple.rapports.events", "process", "com.apple.rappor",
                           "truncated process name")]),
    ("com.apple.rappo", [("com.apple.rapports.events", "process", "com.apple.rappo",
                          "truncated process name")]),
    ("ReminderIntentsU", [("ReminderIntentsUIExtension", "process", "ReminderIntentsU",
                           "truncated process name")]),
    ("com.apple.rapp", []),                 # 14 characters is a whole name, not a truncation
    ("com.apple.rapporX", []),
    ("/private/var/tmp/hooker", [("/private/var/tmp/hooker", "file_path", "/private/var/tmp/hooker",
                                  "exact")]),
])
def test_match_process(index: IndicatorIndex, value: str, expected: list) -> None:
    assert matched(index, "process", value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("/private/var/db/com.apple.xpc.roleaccountd.staging",
     [("/private/var/db/com.apple.xpc.roleaccountd.staging", "file_path",
       "/private/var/db/com.apple.xpc.roleaccountd.staging", "exact")]),
    ("/private/var/db/com.apple.xpc.roleaccountd.staging/x",
     [("/private/var/db/com.apple.xpc.roleaccountd.staging", "file_path",
       "/private/var/db/com.apple.xpc.roleaccountd.staging/x", "path prefix")]),
    ("/var/db/com.apple.xpc.roleaccountd.staging/PlugIns/a.appex/a",
     [("/private/var/db/com.apple.xpc.roleaccountd.staging", "file_path",
       "/private/var/db/com.apple.xpc.roleaccountd.staging/PlugIns/a.appex/a", "path prefix")]),
    ("/private/var/db/com.apple.xpc.roleaccountd.stagingx", []),
    ("/private/var/db/com.apple.xpc.roleaccountd", []),
    ("/private/var/tmp/hooker", [("/private/var/tmp/hooker", "file_path", "/private/var/tmp/hooker", "exact")]),
    ("/private/var/tmp/hooker/dump.db", [("/private/var/tmp/hooker", "file_path",
                                          "/private/var/tmp/hooker/dump.db", "path prefix")]),
    ("/private/var/tmp/hookers", []),
    ("/private/var/tmp/kusama.txt", [("/private/var/tmp/kusama.txt", "file_path",
                                      "/private/var/tmp/kusama.txt", "exact")]),
    ("/private/var/mobile/Library/Preferences/com.apple.photolibraryd.plist",
     [("Library/Preferences/com.apple.photolibraryd.plist", "file_path",
       "/private/var/mobile/Library/Preferences/com.apple.photolibraryd.plist", "relative path")]),
    ("/private/var/mobile/MyLibrary/Preferences/com.apple.photolibraryd.plist", []),
    ("/private/var/mobile/Library/Preferences/com.apple.photolibraryd.plist.bak", []),
    ("/private/var/mobile/Library/roleaccountd.plist",
     [("roleaccountd.plist", "file_name", "roleaccountd.plist", "file name of path")]),
    ("/private/var/mobile/Library/xroleaccountd.plist", []),
])
def test_match_file_path(index: IndicatorIndex, value: str, expected: list) -> None:
    assert matched(index, "file_path", value) == expected


def test_match_path_indicator_never_matches_sibling_prefix() -> None:
    index = IndicatorIndex([feed_of("f", ("file_path", "/private/var/db/"))])
    assert matched(index, "file_path", "/private/var/dbx") == []
    assert matched(index, "file_path", "/private/var/db/x")[0][3] == "path prefix"


def test_match_file_name(index: IndicatorIndex) -> None:
    assert matched(index, "file_name", "roleaccountd.plist") == [
        ("roleaccountd.plist", "file_name", "roleaccountd.plist", "exact")]
    assert matched(index, "file_name", "RoleAccountd.plist") == []


def test_match_exact_types(index: IndicatorIndex) -> None:
    assert len(index.match(Observable("sha256", "05B5E4070B3B8A130B12EA96C5526B4615FCAE121BB802B1A10C3A7A70F39901"))) == 1
    assert len(index.match(Observable("cert_sha256",
                                      "D1:26:16:54:22:68:D3:23:29:F1:C4:35:7B:5D:5A:57:E9:54:E1:3D:23:38:"
                                      "D2:7B:B8:43:97:94:29:1B:8C:6D"))) == 1
    assert len(index.match(Observable("sha1", "05b5e4070b3b8a130b12ea96c5526b4615fcae12"))) == 0
    assert len(index.match(Observable("app_id", "Com.Serv.Services"))) == 1
    assert len(index.match(Observable("profile_id", "76dab334-7e17-475d-a5d6-0794eb5818a5"))) == 1
    assert len(index.match(Observable("android_property", "sys.brand.note"))) == 1
    assert len(index.match(Observable("android_property", "SYS.BRAND.NOTE"))) == 0
    assert len(index.match(Observable("phone", "+1 (555) 010-0000"))) == 1
    assert len(index.match(Observable("phone", "1 555 010 0000"))) == 0
    assert index.match(Observable("unknown_type", "x")) == []
    assert index.match(Observable("domain", None)) == []  # type: ignore[arg-type]


def test_match_severity(index: IndicatorIndex) -> None:
    assert [m.severity for m in index.match(Observable("process", "roleaccountd"))] == ["critical"]
    assert [m.severity for m in index.match(Observable("url", "https://a.evil.com/"))] == ["high"]
    assert [m.severity for m in index.match(Observable("email", "bergers.o79@gmail.com"))] == ["critical"]


def test_match_duplicates_merged_across_feeds() -> None:
    amnesty = feed_of("pegasus", ("domain", "evil.com"), ("process", "bh"), malware="Pegasus")
    mvt = feed_of("predator", ("domain", "EVIL.COM."), malware="Predator")
    index = IndicatorIndex([amnesty, mvt])
    assert len(index) == 2
    assert index.counts() == {"domain": 1, "process": 1}
    [match] = index.match(Observable("domain", "x.evil.com"))
    assert match.indicator.feeds == ("pegasus", "predator")
    assert match.indicator.malwares == ("Pegasus", "Predator")
    assert (match.indicator.feed, match.indicator.malware) == ("pegasus", "Pegasus")
    assert match.indicator.to_dict() == {
        "type": "domain", "value": "evil.com", "feed": "pegasus", "malware": "Pegasus",
        "id": "indicator--pegasus-0", "feeds": ["pegasus", "predator"], "malwares": ["Pegasus", "Predator"]}


def test_match_truncated_process_merged_across_feeds() -> None:
    first = feed_of("a", ("process", "com.apple.rapports.events"))
    second = feed_of("b", ("process", "com.apple.rapports.events"))
    [match] = IndicatorIndex([first, second]).match(Observable("process", "com.apple.rappor"))
    assert match.indicator.feeds == ("a", "b")


def test_match_record(index: IndicatorIndex) -> None:
    record = Record(timestamp=datetime(2021, 7, 1, tzinfo=UTC), timestamp_desc="received",
                    message="SMS", observables=(Observable("url", "https://evil.com/x"),
                                                Observable("email", "nobody@example.org")))
    assert [type(m) for m in index.match_record(record)] == [Match]


def test_match_empty_index() -> None:
    index = IndicatorIndex()
    assert len(index) == 0
    for kind in ("domain", "url", "ip", "process", "file_path", "email"):
        assert index.match(Observable(kind, "/private/var/tmp/x.evil.com")) == []


def test_match_hostile_values(index: IndicatorIndex) -> None:
    deep_host = ".".join(["a"] * 5000) + ".evil.com"
    assert matched(index, "domain", deep_host) == []
    long_path = "/" + "/".join(["d"] * 10_000) + "/roleaccountd.plist"
    assert matched(index, "file_path", long_path) == [
        ("roleaccountd.plist", "file_name", "roleaccountd.plist", "file name of path")]
    deep_inside = "/private/var/tmp/hooker/" + "/".join(["d"] * 10_000)
    assert matched(index, "file_path", deep_inside) == [
        ("/private/var/tmp/hooker", "file_path", deep_inside, "path prefix")]
    deep_relative = "/" + "/".join(["d"] * 10_000) + "/Library/Preferences/com.apple.photolibraryd.plist/x"
    assert [m[3] for m in matched(index, "file_path", deep_relative)] == ["relative path"]
    assert matched(index, "url", "https://" + "a." * 40_000 + "evil.com/") == []
    assert matched(index, "process", "\x00" * 16) == []
