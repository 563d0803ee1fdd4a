from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from spyglass.indicators.cli import guess_type, iocs
from tests.indicators.feed_server import feed_server
from tests.indicators.stix_bundles import related_bundle


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(iocs, list(arguments), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_iocs_list_bundled(tmp_path: Path) -> None:
    code, out, err = run("--iocs-dir", str(tmp_path), "list")
    assert code == 0
    assert out.startswith("Feeds: bundled with spyglass")
    assert "  pegasus: 1549 indicators (domain 1438, email 29, file_name 1, process 81); 2024-12-16; CC-BY-2.0" in out
    assert "17 feeds" in out
    assert "warning: The newest indicator feed is from 2026-06-21" in err or err == ""


def test_iocs_list_env_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPYGLASS_IOCS_DIR", str(tmp_path / "env"))
    code, out, _ = run("list")
    assert code == 0
    assert f"Storage: {tmp_path / 'env'}" in out


def test_iocs_match_found_and_not(tmp_path: Path) -> None:
    code, out, err = run("--iocs-dir", str(tmp_path), "match", "https://x.weather4free.com/a")
    assert code == 1
    assert out == ("high: domain 'x.weather4free.com' matches domain 'weather4free.com' (url host subdomain)"
                   " - Pegasus [pegasus]\n")
    assert err == "Taken as url: it has a scheme (://) (give --type to say what it is)\n"
    code, out, err = run("--iocs-dir", str(tmp_path), "match", "example.org")
    assert (code, out) == (0, "No indicator matches domain 'example.org'\n")
    assert err == ("Taken as domain: a dotted name (an app identifier such as com.example.app needs --type app_id) "
                   "(give --type to say what it is)\n")


def test_iocs_match_given_feeds(tmp_path: Path) -> None:
    # --iocs is used beside the feeds in use (the bundled ones here), --only-iocs instead of them
    feed = tmp_path / "mine.stix2"
    feed.write_text(json.dumps(related_bundle(["[process:name = 'evild']"], "Mine")))
    code, out, err = run("--iocs-dir", str(tmp_path / "store"), "match", "--iocs", str(feed), "--type", "process",
                         "evild")
    assert (code, err) == (1, "")
    assert out == "critical: process 'evild' matches process 'evild' (exact) - Mine [mine]\n"
    code, out, _ = run("--iocs-dir", str(tmp_path / "store"), "match", "--iocs", str(feed), "free247downloads.com")
    assert code == 1 and out.endswith("- Pegasus [pegasus]\n")
    code, out, _ = run("--iocs-dir", str(tmp_path / "store"), "match", "--only-iocs", str(feed),
                       "free247downloads.com")
    assert (code, out) == (0, "No indicator matches domain 'free247downloads.com'\n")


@pytest.mark.parametrize(("defanged", "kind", "plain"), [
    ("hxxp://evil[.]com", "url", "http://evil.com"), ("evil[.]com", "domain", "evil.com"),
    ("1.2.3[.]4", "ip", "1.2.3.4"), ("hxxps[://]free247downloads(.)com/x", "url", "https://free247downloads.com/x"),
    ("spy[@]evil[dot]com", "email", "spy@evil.com"),
])
def test_iocs_match_refangs(tmp_path: Path, defanged: str, kind: str, plain: str) -> None:
    feed = tmp_path / "mine.stix2"
    feed.write_text(json.dumps(related_bundle(["[domain-name:value = 'evil.com']", "[ipv4-addr:value = '1.2.3.4']",
                                               "[email-addr:value = 'spy@evil.com']"], "Mine")))
    code, out, err = run("match", "--only-iocs", str(feed), defanged)
    assert err.startswith(f"Refanged {defanged!r} to {plain!r}\nTaken as {kind}: ")
    if "free247" in plain:
        assert (code, out) == (0, f"No indicator matches url {plain!r}\n")
    else:
        assert code == 1 and out.endswith("- Mine [mine]\n")


def test_iocs_remove(tmp_path: Path) -> None:
    store = tmp_path / "store"
    listing = tmp_path / "watch_domains.txt"
    listing.write_text("watch.example.org\n")
    assert run("--iocs-dir", str(store), "add", str(listing))[0] == 0
    assert (store / "added" / "watch_domains.txt").exists()
    code, out, _ = run("--iocs-dir", str(store), "remove", "watch_domains")
    assert (code, out) == (0, "Removed watch_domains\n")
    assert not (store / "added" / "watch_domains.txt").exists()
    _, out, _ = run("--iocs-dir", str(store), "list")
    assert "watch_domains" not in out and "17 feeds" in out
    code, _, err = run("--iocs-dir", str(store), "remove", "watch_domains")
    assert (code, err) == (2, "error: no added feed is named watch_domains (added: none)\n")
    code, _, err = run("--iocs-dir", str(store), "remove", "pegasus")
    assert code == 2 and err.startswith("error: pegasus is not an added feed but one of the bundled")


def test_iocs_add_then_list(tmp_path: Path) -> None:
    listing = tmp_path / "watch_domains.txt"
    listing.write_text("# mine\nwatch.example.org\n")
    code, out, _ = run("--iocs-dir", str(tmp_path / "store"), "add", str(listing))
    assert code == 0
    assert out.endswith("Added watch_domains (1 indicators)\n")
    code, out, _ = run("--iocs-dir", str(tmp_path / "store"), "list")
    assert "  watch_domains (added): 1 indicators (domain 1)" in out


def test_iocs_add_corrupt_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.stix2"
    broken.write_text("[")
    code, out, err = run("--iocs-dir", str(tmp_path / "store"), "add", str(broken))
    assert code == 2
    assert err.startswith("error: ") and "broken.stix2: not valid JSON" in err


def test_iocs_update_success_and_failure(tmp_path: Path) -> None:
    with feed_server() as server:
        server.add("/feeds/p.stix2", json.dumps(related_bundle(["[domain-name:value = 'evil.com']"])).encode())
        index = server.add("/index.yaml", (f"indicators:\n  - type: download\n    name: P\n"
                                           f"    download_url: {server.url}/feeds/p.stix2\n").encode())
        code, out, _ = run("--iocs-dir", str(tmp_path), "update", "--index", index, "--timeout", "5")
        assert code == 0
        assert "  p: 1 indicators (domain 1)" in out and "Updated 1 feeds into" in out
        del server.routes["/feeds/p.stix2"]
        code, _, err = run("--iocs-dir", str(tmp_path), "update", "--index", index, "--timeout", "5")
        assert code == 2
        assert "feeds in use are unchanged" in err and "HTTP 404" in err
    code, out, _ = run("--iocs-dir", str(tmp_path), "list")
    assert out.startswith("Feeds: stored set") and "  p: 1 indicators" in out


def test_iocs_update_refuses_plain_http(tmp_path: Path) -> None:
    code, _, err = run("--iocs-dir", str(tmp_path), "update", "--index", "http://example.com/i.yaml")
    assert code == 2
    assert "HTTPS only" in err


@pytest.mark.parametrize(("value", "kind"), [
    ("https://evil.com/x", "url"), ("198.51.100.7", "ip"), ("2001:db8::1", "ip"), ("a@b.com", "email"),
    ("/private/var/tmp/x", "file_path"), ("a" * 64, "sha256"), ("a" * 40, "sha1"), ("a" * 32, "md5"),
    ("+1 555 0100", "phone"), ("evil.com", "domain"), ("roleaccountd", "process"),
    ("com.apple.rapports.events", "domain"),
])
def test_guess_type(value: str, kind: str) -> None:
    assert guess_type(value) == kind
