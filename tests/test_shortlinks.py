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
