"""Feed storage: update over HTTP (a real server on 127.0.0.1), add, resolve, staleness."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from spyglass.errors import SpyglassError
from spyglass.indicators import (
    IndicatorIndex,
    LoadedFeed,
    bundled_feeds,
    resolve_feeds,
    staleness_warning,
    store,
)
from spyglass.indicators.manifest import load_manifest
from spyglass.indicators.store import (
    add_feed,
    current_set,
    download,
    given_feed_age_warnings,
    iocs_dir,
    stored_feeds,
    update_feeds,
)
from spyglass.records import Observable
from tests.indicators.feed_server import FeedServer, feed_server
from tests.indicators.stix_bundles import related_bundle

PEGASUS = json.dumps(related_bundle(["[domain-name:value = 'evil.com']", "[process:name = 'bh']"])).encode()
PREDATOR = json.dumps(related_bundle(["[domain-name:value = 'predator.net']"], "Predator")).encode()
STALKERWARE = b"- name: TheTruthSpy\n  packages: [com.thetruth]\n  c2: {domains: [c2.truth.com]}\n"


def index_yaml(server: FeedServer, *names: str) -> bytes:
    lines = ["indicators:"]
    for name in names:
        lines += ["  - type: download", f"    name: Feed {name}", f"    download_url: {server.url}/feeds/{name}"]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture()
def server() -> Iterator[FeedServer]:
    with feed_server() as running:
        yield running


def serve_good_set(server: FeedServer) -> str:
    server.add("/feeds/pegasus.stix2", PEGASUS)
    server.add("/feeds/predator.stix2", PREDATOR)
    server.add("/feeds/ioc.yaml", STALKERWARE)
    return server.add("/index.yaml", index_yaml(server, "pegasus.stix2", "predator.stix2", "ioc.yaml"))


def test_update_feeds_success(tmp_path: Path, server: FeedServer) -> None:
    index_url = serve_good_set(server)
    result = update_feeds(tmp_path, index_url, timeout=5)
    assert [(feed.name, feed.count, feed.origin, feed.title) for feed in result.feeds] == [
        ("pegasus", 2, "stored", "Feed pegasus.stix2"), ("predator", 1, "stored", "Feed predator.stix2"),
        ("ioc", 2, "stored", "Feed ioc.yaml")]
    assert result.errors == []
    assert current_set(tmp_path) == result.set_dir
    assert sorted(path.name for path in result.set_dir.iterdir()) == [
        "feeds.json", "ioc.yaml", "pegasus.stix2", "predator.stix2"]
    assert [path.name for path in (tmp_path / "sets").iterdir()] == [result.set_dir.name]
    stored = stored_feeds(tmp_path)
    assert [feed.sha256 for feed in stored] == [feed.sha256 for feed in result.feeds]
    assert stored[0].retrieved == datetime.now(UTC).date().isoformat()
    assert stored[0].source == "127.0.0.1"


def test_update_feeds_second_update_replaces_first(tmp_path: Path, server: FeedServer) -> None:
    index_url = serve_good_set(server)
    first = update_feeds(tmp_path, index_url, timeout=5)
    server.add("/index.yaml", index_yaml(server, "predator.stix2"))
    second = update_feeds(tmp_path, index_url, timeout=5)
    assert [feed.name for feed in stored_feeds(tmp_path)] == ["predator"]
    assert not first.set_dir.exists()
    assert [path.name for path in (tmp_path / "sets").iterdir()] == [second.set_dir.name]


def assert_unchanged(directory: Path, before: Path) -> None:
    assert current_set(directory) == before
    assert [feed.name for feed in stored_feeds(directory)] == ["pegasus", "predator", "ioc"]
    assert [path.name for path in (directory / "sets").iterdir()] == [before.name]  # no leftovers


def test_update_feeds_404_feed_keeps_previous(tmp_path: Path, server: FeedServer) -> None:
    before = update_feeds(tmp_path, serve_good_set(server), timeout=5).set_dir
    del server.routes["/feeds/predator.stix2"]
    with pytest.raises(SpyglassError, match=r"feeds in use are unchanged:\n  predator .*HTTP 404"):
        update_feeds(tmp_path, server.url + "/index.yaml", timeout=5)
    assert_unchanged(tmp_path, before)


def test_update_feeds_timeout_keeps_previous(tmp_path: Path, server: FeedServer) -> None:
    before = update_feeds(tmp_path, serve_good_set(server), timeout=5).set_dir
    server.add("/feeds/ioc.yaml", STALKERWARE, delay=1.5)
    with pytest.raises(SpyglassError, match=r"ioc .*timed out"):
        update_feeds(tmp_path, server.url + "/index.yaml", timeout=0.3)
    assert_unchanged(tmp_path, before)


def test_update_feeds_corrupt_feed_keeps_previous(tmp_path: Path, server: FeedServer) -> None:
    before = update_feeds(tmp_path, serve_good_set(server), timeout=5).set_dir
    server.add("/feeds/pegasus.stix2", PEGASUS[:-40])
    with pytest.raises(SpyglassError, match=r"pegasus .*not valid JSON"):
        update_feeds(tmp_path, server.url + "/index.yaml", timeout=5)
    assert_unchanged(tmp_path, before)


def test_update_feeds_interrupted_download_keeps_previous(tmp_path: Path, server: FeedServer) -> None:
    before = update_feeds(tmp_path, serve_good_set(server), timeout=5).set_dir
    server.add("/feeds/predator.stix2", PREDATOR, cut_after=50)
    with pytest.raises(SpyglassError, match=r"predator .*interrupted"):
        update_feeds(tmp_path, server.url + "/index.yaml", timeout=5)
    assert_unchanged(tmp_path, before)


def test_update_feeds_crash_before_switch_keeps_previous(tmp_path: Path, server: FeedServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    before = update_feeds(tmp_path, serve_good_set(server), timeout=5).set_dir

    def rename_fails(source: Path, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.os, "rename", rename_fails)
    with pytest.raises(OSError):
        update_feeds(tmp_path, server.url + "/index.yaml", timeout=5)
    assert_unchanged(tmp_path, before)


def test_update_feeds_leftover_of_killed_update_removed(tmp_path: Path, server: FeedServer) -> None:
    killed = tmp_path / "sets" / ".incoming-abc"
    killed.mkdir(parents=True)
    (killed / "pegasus.stix2").write_bytes(PEGASUS[:10])
    assert stored_feeds(tmp_path) is None
    update_feeds(tmp_path, serve_good_set(server), timeout=5)
    assert not killed.exists()


def test_update_feeds_keep_going(tmp_path: Path, server: FeedServer) -> None:
    index_url = serve_good_set(server)
    del server.routes["/feeds/predator.stix2"]
    result = update_feeds(tmp_path, index_url, timeout=5, keep_going=True)
    assert [feed.name for feed in result.feeds] == ["pegasus", "ioc"]
    assert len(result.errors) == 1 and "HTTP 404" in result.errors[0]


def test_update_feeds_keep_going_nothing_left(tmp_path: Path, server: FeedServer) -> None:
    index_url = server.add("/index.yaml", index_yaml(server, "absent.stix2"))
    with pytest.raises(SpyglassError, match="HTTP 404"):
        update_feeds(tmp_path, index_url, timeout=5, keep_going=True)
    assert current_set(tmp_path) is None


def test_update_feeds_bad_index(tmp_path: Path, server: FeedServer) -> None:
    with pytest.raises(SpyglassError, match="HTTP 404"):
        update_feeds(tmp_path, server.url + "/missing.yaml", timeout=5)
    url = server.add("/empty.yaml", b"indicators: []\n")
    with pytest.raises(SpyglassError, match="lists no feed"):
        update_feeds(tmp_path, url, timeout=5)
    url = server.add("/garbage.yaml", b"{{{{")
    with pytest.raises(SpyglassError, match="not valid YAML"):
        update_feeds(tmp_path, url, timeout=5)


def test_download_https_only() -> None:
    with pytest.raises(SpyglassError, match="HTTPS only"):
        download("http://example.com/feed.stix2")
    with pytest.raises(SpyglassError, match="HTTPS only"):
        download("file:///etc/passwd")


def test_download_redirect_away_from_https_refused(server: FeedServer) -> None:
    url = server.add("/moved", status=302, location="http://example.com/feed.stix2")
    with pytest.raises(SpyglassError, match="redirect refused"):
        download(url, timeout=5)


def test_download_size_bound(server: FeedServer) -> None:
    url = server.add("/big", b"x" * 5000)
    with pytest.raises(SpyglassError, match="larger than 1000 bytes"):
        download(url, timeout=5, max_bytes=1000)
    assert download(url, timeout=5) == b"x" * 5000


def test_iocs_dir_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPYGLASS_IOCS_DIR", str(tmp_path / "from-env"))
    assert iocs_dir() == tmp_path / "from-env"
    assert iocs_dir(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv("SPYGLASS_IOCS_DIR")
    assert iocs_dir().name == "iocs"


def test_resolve_feeds_bundled_when_never_updated(tmp_path: Path) -> None:
    feeds = resolve_feeds(None, tmp_path)
    assert [feed.name for feed in feeds] == [feed.name for feed in bundled_feeds()]
    assert {feed.origin for feed in feeds} == {"bundled"}


def test_resolve_feeds_stored_then_added(tmp_path: Path, server: FeedServer) -> None:
    update_feeds(tmp_path, serve_good_set(server), timeout=5)
    extra = tmp_path / "mine.txt"
    extra.write_text("watch.example.org\n")
    add_feed(extra, tmp_path, "domain")
    feeds = resolve_feeds(None, tmp_path)
    assert [(feed.name, feed.origin) for feed in feeds] == [
        ("pegasus", "stored"), ("predator", "stored"), ("ioc", "stored"), ("mine", "added")]
    assert len(IndicatorIndex(feeds).match(Observable("domain", "a.watch.example.org"))) == 1


def test_resolve_feeds_given_paths_only(tmp_path: Path) -> None:
    path = tmp_path / "given.stix2"
    path.write_bytes(PREDATOR)
    assert [(feed.name, feed.origin) for feed in resolve_feeds([path], tmp_path)] == [("given", "path")]


def test_add_feed_replaces_same_name(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    first = tmp_path / "domains.txt"
    first.write_text("one.example.com\n")
    add_feed(first, store_dir)
    first.write_text("two.example.com\nthree.example.com\n")
    feed = add_feed(first, store_dir)
    assert (feed.name, feed.count, feed.origin) == ("domains", 2, "added")
    stored = load_manifest(store_dir / "added", origin="added")
    assert [(item.name, item.count) for item in stored] == [("domains", 2)]


def test_add_feed_corrupt_leaves_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.stix2"
    broken.write_text("{")
    with pytest.raises(SpyglassError, match="not valid JSON"):
        add_feed(broken, tmp_path / "store")
    assert list((tmp_path / "store" / "added").iterdir()) == []
    untyped = tmp_path / "notes.txt"
    untyped.write_text("x\n")
    with pytest.raises(SpyglassError, match="give its type"):
        add_feed(untyped, tmp_path / "store")


def test_stored_set_tampered(tmp_path: Path, server: FeedServer) -> None:
    result = update_feeds(tmp_path, serve_good_set(server), timeout=5)
    (result.set_dir / "pegasus.stix2").write_bytes(PREDATOR)
    with pytest.raises(SpyglassError, match="content differs from its manifest"):
        stored_feeds(tmp_path)


def test_current_set_pointer_damaged(tmp_path: Path) -> None:
    (tmp_path / "current.json").write_text('{"set": "../../etc"}')
    with pytest.raises(SpyglassError, match="names no feed set"):
        current_set(tmp_path)
    (tmp_path / "current.json").write_text('{"set": "set-gone"}')
    with pytest.raises(SpyglassError, match="stored feed set is missing"):
        current_set(tmp_path)


def feed_dated(retrieved: str | None, origin: str = "bundled") -> LoadedFeed:
    return LoadedFeed(name="f", path=None, sha256="", retrieved=retrieved, origin=origin)


def test_staleness_warning() -> None:
    today = date(2026, 11, 28)
    feeds = [feed_dated("2026-06-21"), feed_dated("2024-12-16")]
    assert staleness_warning(feeds, today) == (
        "The newest indicator feed is from 2026-06-21 (160 days ago): "
        "run `spyglass iocs update` for current indicators.")
    assert staleness_warning([feed_dated("2026-09-01")], today) is None
    assert staleness_warning([feed_dated("2026-08-30", "stored")], today) is None   # 90 days
    assert staleness_warning([feed_dated("2026-08-29", "stored")], today) is not None
    assert staleness_warning([feed_dated("2020-01-01", "path")], today) is None
    assert staleness_warning([feed_dated("2026-06-21"), feed_dated("2026-11-27", "added")], today) is not None
    assert staleness_warning([feed_dated(None), feed_dated("garbage")], today) is None
    assert staleness_warning([], today) is None


def test_given_feed_age_warnings_by_the_feeds_own_date() -> None:
    today = date(2026, 11, 28)
    old = LoadedFeed(name="pegasus.stix2", path=None, sha256="", date="2021-07-18", origin="path")
    fresh = LoadedFeed(name="new.stix2", path=None, sha256="", date="2026-11-01", origin="added")
    bundled = LoadedFeed(name="b", path=None, sha256="", date="2020-01-01", origin="bundled")
    undated = LoadedFeed(name="u", path=None, sha256="", date=None, origin="path")
    assert given_feed_age_warnings([old, fresh, bundled, undated], today) == [
        "The feed pegasus.stix2 names nothing newer than 2021-07-18 (1959 days ago): look for a newer copy of it."]
    assert given_feed_age_warnings([LoadedFeed(name="x", path=None, sha256="", date="2026-08-30")], today) == []


def test_bundled_feeds_manifest() -> None:
    feeds = bundled_feeds()
    assert len(feeds) == 17
    by_name = {feed.name: feed for feed in feeds}
    assert by_name["pegasus"].counts == {"domain": 1438, "process": 81, "email": 29, "file_name": 1}
    assert (by_name["pegasus"].licence, by_name["pegasus"].version, by_name["pegasus"].retrieved) == (
        "CC-BY-2.0", "3d8f248", "2024-12-16")
    assert by_name["stalkerware"].format == "stalkerware-yaml"
    assert by_name["stalkerware"].attribution == \
        "Indicators (c) Echap, CC-BY 4.0, github.com/AssoEchap/stalkerware-indicators"
    assert all(feed.attribution and feed.licence and feed.title for feed in feeds)
