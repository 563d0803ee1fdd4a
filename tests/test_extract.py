"""The shared free-text extractor: exact observables for links, bare domains, addresses,
phone numbers and IPs, and no false domains from ordinary prose."""

from __future__ import annotations

import pytest

from spyglass.extract import MAX_TEXT_CHARS, extract, url_host
from spyglass.records import Observable


def pairs(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((item.type, item.value) for item in extract(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("visit evil-site.com now", (("domain", "evil-site.com"),)),
    ("Go to https://evil.com/a?b=1.", (("url", "https://evil.com/a?b=1"),)),
    ("links: https://a.com/x, https://b.com/y; ftp://c.net/z!", (
        ("url", "https://a.com/x"), ("url", "https://b.com/y"), ("url", "ftp://c.net/z"))),
    ("really?? https://evil.com/?!...", (("url", "https://evil.com/"),)),
    ("'https://evil.com/q' and \"https://evil.com/r\" and «https://evil.com/s»", (
        ("url", "https://evil.com/q"), ("url", "https://evil.com/r"), ("url", "https://evil.com/s"))),
    ("See https://en.wikipedia.org/wiki/Pegasus_(spyware).",
     (("url", "https://en.wikipedia.org/wiki/Pegasus_(spyware)"),)),
    ("(see https://en.wikipedia.org/wiki/Pegasus_(spyware))",
     (("url", "https://en.wikipedia.org/wiki/Pegasus_(spyware)"),)),
    ("(https://evil.com/a)", (("url", "https://evil.com/a"),)),
    ("[https://evil.com/a] {https://evil.com/b}", (
        ("url", "https://evil.com/a"), ("url", "https://evil.com/b"))),
    ("[click here](https://evil.com/a) now", (("url", "https://evil.com/a"),)),
    ("<https://evil.com/a b>", (("url", "https://evil.com/a"),)),
    ("go <URL:https://EVIL.com:8443/a?b=c>.", (("url", "https://evil.com:8443/a?b=c"),)),
    ("HTTPS://Evil.COM/Path", (("url", "https://evil.com/Path"),)),
    ("https://user:pw@Host.COM:80/p", (("url", "https://user:pw@host.com:80/p"),)),
    ("http://[2001:DB8::1]:80/x", (("url", "http://[2001:db8::1]:80/x"),)),
    ("http://10.0.0.1:8080/x", (("url", "http://10.0.0.1:8080/x"),)),
    ("www.Example.ORG/x. and WWW.evil.com", (("url", "www.example.org/x"), ("url", "www.evil.com"))),
    ("www.notatld.lan and www. alone", ()),
    ("请访问https://evil.com/a。谢谢", (("url", "https://evil.com/a"),)),
    ("https://evil.com/a\u200bhidden", (("url", "https://evil.com/a"),)),
    ("https:// and http:///x", ()),
])
def test_extract_urls(text: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert pairs(text) == expected


def test_extract_url_hides_its_host_email_and_ip() -> None:
    text = "https://evil.com/?to=a@b.com&ip=1.2.3.4&tel=+15550100000 then evil.com"
    assert pairs(text) == (
        ("url", "https://evil.com/?to=a@b.com&ip=1.2.3.4&tel=+15550100000"), ("domain", "evil.com"))


@pytest.mark.parametrize(("text", "expected"), [
    ("пример.рф", (("domain", "xn--e1afmkfd.xn--p1ai"),)),
    ("ПРИМЕР.РФ and xn--e1afmkfd.xn--p1ai", (("domain", "xn--e1afmkfd.xn--p1ai"),)),
    ("https://bücher.de/straße and https://xn--bcher-kva.de/x", (
        ("url", "https://xn--bcher-kva.de/straße"), ("url", "https://xn--bcher-kva.de/x"))),
    ("www.пример.рф/путь", (("url", "www.xn--e1afmkfd.xn--p1ai/путь"),)),
    ("mail: иван@пример.рф", (("email", "иван@xn--e1afmkfd.xn--p1ai"),)),
])
def test_extract_idn(text: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert pairs(text) == expected


@pytest.mark.parametrize("text", [
    "Please send file.txt and report.pdf", "e.g. this, i.e. that", "upgrade to v1.2.3 or 2.0.1",
    "Mr.Smith and Dr.Who", "Hello.World it's me", "it costs 3.50 at 10.30pm", "U.S.A. Ph.D.",
    "snake_case.name", "a..b", "the .com bubble", "-.com", "",
])
def test_extract_no_false_domains(text: str) -> None:
    assert extract(text) == ()


def test_extract_real_tlds_that_look_like_files() -> None:
    # .zip and .mov are real TLDs bought for phishing; a match on them is worth a look.
    assert pairs("archive.zip photo.png video.mov") == (("domain", "archive.zip"), ("domain", "video.mov"))


@pytest.mark.parametrize(("text", "expected"), [
    ("evil.com. Evil.com, EVIL.COM!", (("domain", "evil.com"),)),
    ("a.b.evil.co.uk:8080/path", (("domain", "a.b.evil.co.uk"),)),
    ("-evil.com- and (evil.org)", (("domain", "evil.com"), ("domain", "evil.org"))),
    ("sub_domain.evil.com", ()),
])
def test_extract_domains(text: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert pairs(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("mail me: John.Doe@Evil.COM.", (("email", "John.Doe@evil.com"),)),
    ("a+tag@evil.com,b-c@mail.evil.org", (("email", "a+tag@evil.com"), ("email", "b-c@mail.evil.org"))),
    ("mailto:x@evil.com", (("email", "x@evil.com"),)),
    ("x@localhost, x@@evil.com, @evil-handle, a.@b.c", ()),
])
def test_extract_emails(text: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert pairs(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("call +44 (0)20 7946 0958 or +1 (555) 010-0000!",
     (("phone", "+442079460958"), ("phone", "+15550100000"))),
    ("+33.1.23.45.67.89", (("phone", "+33123456789"),)),
    ("(+49) 30 1234567", (("phone", "+49301234567"),)),
    ("+1 555 123 4567.", (("phone", "+15551234567"),)),
    ("+123 and +1234567890123456 and a+15550100000 and 5550100000", ()),
])
def test_extract_phones(text: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert pairs(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("ip 10.0.0.1, 8.8.8.8:53 and 10.0.0.1", (("ip", "10.0.0.1"), ("ip", "8.8.8.8"))),
    ("999.1.1.1 1.2.3.4.5 01.2.3.4 1.2.3", ()),
])
def test_extract_ips(text: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert pairs(text) == expected


def test_extract_mixed_in_order_of_appearance() -> None:
    text = "From +15550100000: see evil.com or https://evil.com/x, write to a@evil.org, server 10.0.0.1"
    assert extract(text) == (
        Observable("phone", "+15550100000"), Observable("domain", "evil.com"),
        Observable("url", "https://evil.com/x"), Observable("email", "a@evil.org"),
        Observable("ip", "10.0.0.1"))


def test_extract_not_text() -> None:
    assert extract(None) == ()
    assert extract(b"https://evil.com") == ()  # type: ignore[arg-type]


def test_extract_cut_at_limit() -> None:
    text = "x " * (MAX_TEXT_CHARS // 2) + "evil.com"
    assert extract(text) == ()
    assert extract("evil.com " + "x" * MAX_TEXT_CHARS) == (Observable("domain", "evil.com"),)


@pytest.mark.parametrize("hostile", [
    "a" * 1_000_000, "a." * 500_000, "a@" * 500_000, "http://" * 150_000, "www." * 250_000,
    "+1 " * 330_000, "1" * 1_000_000, "a.." * 333_333, "+(1)" * 250_000, "-" * 1_000_000,
])
def test_extract_long_hostile_input(hostile: str) -> None:
    # Patterns are linear by construction (possessive runs, matches start only where a run
    # starts); here the values must still be right at the 64 KiB cut.
    result = pairs(hostile)
    assert len(result) <= 1
    assert all(len(value) <= MAX_TEXT_CHARS for _, value in result)


def test_extract_long_closing_brackets() -> None:
    link = "https://evil.com/" + ")" * 1_000_000
    assert pairs(link) == (("url", "https://evil.com/"),)
    opened = "https://evil.com/" + "(" * 1_000_000
    assert pairs(opened) == (("url", opened[:MAX_TEXT_CHARS]),)


@pytest.mark.parametrize(("link", "expected"), [
    ("https://user:pw@Пример.РФ:443/x", "xn--e1afmkfd.xn--p1ai"),
    ("HTTP://EVIL.com./x", "evil.com"),
    ("www.evil.com/x?y", "www.evil.com"),
    ("evil.com:8080", "evil.com"),
    ("//cdn.evil.com/a.js", "cdn.evil.com"),
    ("http://[2001:DB8::1]:80/", "2001:db8::1"),
    ("https://10.0.0.1:8443/", "10.0.0.1"),
    ("https://evil.com\\@good.com/", "evil.com"),
    ("https://evil.com#@good.com", "evil.com"),
])
def test_url_host(link: str, expected: str) -> None:
    assert url_host(link) == expected


@pytest.mark.parametrize("link", ["", "https://", "https:///x", "http://:80/", None])
def test_url_host_none(link: str | None) -> None:
    assert url_host(link) is None  # type: ignore[arg-type]
