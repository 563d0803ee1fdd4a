from __future__ import annotations

import pytest

from spyglass.indicators.normalize import normalize


@pytest.mark.parametrize(("value", "expected"), [
    ("Evil.COM", "evil.com"),
    ("evil.com.", "evil.com"),
    ("  evil.com  ", "evil.com"),
    ("*.evil.com", "evil.com"),
    ("münchen.de", "xn--mnchen-3ya.de"),
    ("MÜNCHEN.DE", "xn--mnchen-3ya.de"),
    ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
    ("straße.de", "xn--strae-oqa.de"),        # IDNA 2008, as browsers resolve it
    ("☃.net", "xn--n3h.net"),                 # refused by IDNA 2008, kept through IDNA 2003
    ("under_score.evil.com", "under_score.evil.com"),
    ("fgr1w2gnsdvsb.xyz/x", "fgr1w2gnsdvsb.xyz"),  # a feed's domain written with a path
    ("single", None),
    ("a..b.com", None),
    ("evil .com", None),
    ("", None),
    ("x" * 300 + ".com", None),
    ("\udcff.com", None),
])
def test_normalize_domain(value: str, expected: str | None) -> None:
    assert normalize("domain", value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("HTTPS://Evil.COM", "https://evil.com/"),
    ("https://evil.com:443/", "https://evil.com/"),
    ("http://evil.com:80/a", "http://evil.com/a"),
    ("http://evil.com:8080/a", "http://evil.com:8080/a"),
    ("https://evil.com/Path?Q=1#frag", "https://evil.com/Path?Q=1"),
    ("https://user:pw@evil.com./x", "https://evil.com/x"),
    ("evil.com/x", "http://evil.com/x"),
    ("https://münchen.de/x", "https://xn--mnchen-3ya.de/x"),
    ("http://[2001:DB8::1]:80/", "http://[2001:db8::1]/"),
    ("http://198.51.100.7/", "http://198.51.100.7/"),
    ("https://evil.com:99999/", None),
    ("https://", None),
    ("", None),
])
def test_normalize_url(value: str, expected: str | None) -> None:
    assert normalize("url", value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("198.51.100.7", "198.51.100.7"),
    (" 198.51.100.7 ", "198.51.100.7"),
    ("2001:0DB8:0000::0001", "2001:db8::1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("fe80::1%en0", "fe80::1"),
    ("::ffff:198.51.100.7", "198.51.100.7"),
    ("198.51.100.0/24", "198.51.100.0/24"),
    ("198.51.100.7/32", "198.51.100.7"),
    ("198.51.100.300", None),
    ("evil.com", None),
])
def test_normalize_ip(value: str, expected: str | None) -> None:
    assert normalize("ip", value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("+1 (555) 010-0000", "+15550100000"),
    ("tel:+44 20 7946 0000", "+442079460000"),
    ("555.010.0000", "5550100000"),
    ("12", None),
    ("call me", None),
])
def test_normalize_phone(value: str, expected: str | None) -> None:
    assert normalize("phone", value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("/private/var/tmp/hooker/", "/private/var/tmp/hooker"),
    ("/var/tmp/hooker", "/private/var/tmp/hooker"),
    ("/tmp/kusama.txt", "/private/var/tmp/kusama.txt"),
    ("/etc/hosts", "/private/etc/hosts"),
    ("/var", "/private/var"),
    ("/variable/x", "/variable/x"),
    ("private/var/db//x", "/private/var/db/x"),
    ("Library/Preferences/x.plist", "Library/Preferences/x.plist"),
    ("~/Library/x", "Library/x"),
    ("/data/local/tmp/wd/", "/data/local/tmp/wd"),
    ("/", None),
    ("", None),
])
def test_normalize_file_path(value: str, expected: str | None) -> None:
    assert normalize("file_path", value) == expected


def test_normalize_email() -> None:
    assert normalize("email", "mailto:Bergers.O79@GMAIL.com") == "bergers.o79@gmail.com"
    assert normalize("email", "no at sign") is None
    assert normalize("email", "a b@c.com") is None


def test_normalize_hashes() -> None:
    assert normalize("sha1", "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D") == \
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    assert normalize("sha256", "abc") is None
    assert normalize("md5", "z" * 32) is None


def test_normalize_case_rules() -> None:
    assert normalize("app_id", " Com.Example.App ") == "com.example.app"
    assert normalize("process", "BackupAgent") == "BackupAgent"
    assert normalize("file_name", "Roleaccountd.plist") == "Roleaccountd.plist"
    assert normalize("android_property", "sys.Brand") == "sys.Brand"


def test_normalize_unknown_type_or_value() -> None:
    assert normalize("nonsense", "x") is None
    assert normalize("domain", None) is None  # type: ignore[arg-type]
