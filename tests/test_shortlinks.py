from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from spyglass.shortlinks import expand


class Redirector(BaseHTTPRequestHandler):
    routes = {"/a": "/b", "/b": "https://evil.example.net/landing", "/loop": "/loop2", "/loop2": "/loop"}

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        target = self.routes.get(self.path)
        if target:
            self.send_response(301)
            self.send_header("Location", target)
        else:
            self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_expand_follows_each_hop(server: str) -> None:
    # Two hops at most, so the test never reaches out to the final (off-machine) address.
    [expansion] = expand([f"{server}/a"], max_hops=2, total_time=10)
    assert expansion.hops == [f"{server}/b", "https://evil.example.net/landing"]
    assert expansion.target == "https://evil.example.net/landing"


def test_expand_bounds_hops_and_links(server: str) -> None:
    [looping] = expand([f"{server}/loop"], max_hops=3, total_time=10)
    assert looping.hops == [f"{server}/loop2", f"{server}/loop", f"{server}/loop2"]
    many = expand([f"{server}/x{i}" for i in range(10)], max_links=4, total_time=10)
    assert len(many) == 4
    assert all(e.hops == [] and e.error and "404" in e.error for e in many)


def test_expand_refuses_other_schemes() -> None:
    [expansion] = expand(["file:///etc/passwd"])
    assert (expansion.hops, expansion.error) == ([], None)


def test_check_expands_short_links_and_matches_targets(server: str, tmp_path, monkeypatch) -> None:
    import json

    from spyglass import analysis
    from spyglass.check import check
    from spyglass.indicators import IndicatorIndex, load_paths
    from tests.builders.full_backup import indicator_bundle
    from tests.builders.ios_artifacts_core import add_sms, sms_rows
    from tests.builders.ios_backup import BackupBuilder

    monkeypatch.setattr(Redirector, "routes", {**Redirector.routes, "/s": "/landing"})
    monkeypatch.setattr(analysis, "SHORTENER_DOMAINS", frozenset({"127.0.0.1"}))
    rows = sms_rows(17)
    rows["message"][0] = {**rows["message"][0], "text": f"Your parcel: {server}/s"}
    builder = BackupBuilder()
    add_sms(builder, 17, rows)
    feed = tmp_path / "feed.stix2"
    feed.write_text(json.dumps(indicator_bundle([("url:value", f"{server}/landing")])))
    feeds = load_paths([feed])
    plain = check(builder.build(tmp_path / "backup"), tmp_path / "plain", feeds, IndicatorIndex(feeds))
    assert plain.detections == []
    assert plain.case["short_links"]["links"] == [{"url": f"{server}/s", "module": "sms",
                                                   "source": "HomeDomain/Library/SMS/sms.db",
                                                   "status": "not expanded"}]
    expanded = check(tmp_path / "backup", tmp_path / "expanded", feeds, IndicatorIndex(feeds),
                     expand_short_links=True)
    assert [(d.module, d.observable.value) for d in expanded.detections] == [("short_links", f"{server}/landing")]
    assert expanded.case["short_links"]["links"][0]["target"] == f"{server}/landing"
    assert expanded.case["modules"]["short_links"]["records"] == 1
