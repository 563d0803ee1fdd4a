"""`--expand-short-links`: one HEAD to the shortener only, public addresses only, TLS verified.

Every network test runs against a redirector on 127.0.0.1; the address policy is widened to
loopback for those tests only (`loopback_shortener`), and names are resolved by a fake resolver
so no lookup leaves the machine.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from spyglass import analysis, shortlinks
from spyglass.shortlinks import expand

NAME = "sho.rt"  # a made-up shortener name, resolved only by the fake resolver below


class Redirector(BaseHTTPRequestHandler):
    routes: dict[str, str] = {}
    seen: list[tuple[str, str, str]] = []

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.seen.append((self.command, self.path, self.headers.get("Host", "")))
        target = self.routes.get(self.path)
        if target:
            self.send_response(301)
            self.send_header("Location", target)
        else:
            self.send_response(404)
        self.end_headers()

    do_GET = do_HEAD  # a GET would be recorded too

    def log_message(self, *args: object) -> None:
        pass


def serve(httpd: ThreadingHTTPServer) -> Iterator[int]:
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    requests: list[tuple[str, str, str]] = []
    monkeypatch.setattr(Redirector, "seen", requests)
    return requests


@pytest.fixture
def server(seen: list[tuple[str, str, str]]) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    for port in serve(httpd):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def loopback_shortener(monkeypatch: pytest.MonkeyPatch) -> None:
    """127.0.0.1 and `NAME` count as shorteners; loopback addresses may be contacted."""
    monkeypatch.setattr(shortlinks, "address_allowed", lambda address: address.is_loopback)
    monkeypatch.setattr(analysis, "SHORTENER_DOMAINS", analysis.SHORTENER_DOMAINS | {"127.0.0.1", NAME})


def fake_resolver(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> list[str]:
    """Resolve each name to its next answer (the last one repeats); record the names asked."""
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        asked.append(host)
        queue = answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port, 0, 0) if ":" in a else (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


# -- who is contacted ------------------------------------------------------------------------------
def test_expand_asks_only_the_shortener_never_the_target(server, seen, loopback_shortener, monkeypatch):
    monkeypatch.setattr(Redirector, "routes", {"/s": f"{server}/landing", "/r": "/b",
                                               "/landing": "/elsewhere"})
    first, relative = expand([f"{server}/s", f"{server}/r"], total_time=10)
    assert (first.hops, first.target, first.error) == ([f"{server}/landing"], f"{server}/landing", None)
    assert (relative.hops, relative.error) == ([f"{server}/b"], None)
    assert [(method, path) for method, path, _host in seen] == [("HEAD", "/s"), ("HEAD", "/r")]


def test_expand_contacts_known_shorteners_only(server, seen, monkeypatch):
    monkeypatch.setattr(shortlinks, "address_allowed", lambda address: address.is_loopback)
    monkeypatch.setattr(Redirector, "routes", {"/s": "/landing"})
    [expansion] = expand([f"{server}/s"], total_time=10)
    assert (expansion.hops, expansion.error) == ([], "not a known link shortener; not contacted")
    assert seen == []


def test_expand_refuses_other_schemes_and_ambiguous_hosts(loopback_shortener, monkeypatch):
    asked = fake_resolver(monkeypatch, {NAME: [["127.0.0.1"]], "evil.example": [["127.0.0.1"]]})
    other, ambiguous = expand(["file://sho.rt/etc/passwd", "http://sho.rt\\@evil.example/x"])
    assert (other.hops, other.error) == ([], "not an http(s) link; not contacted")
    assert (ambiguous.hops, ambiguous.error) == ([], "the link's host is ambiguous; not contacted")
    assert asked == []


# -- which addresses ---------------------------------------------------------------------------------
@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "fd00::1",
                                     "::ffff:127.0.0.1", "0.0.0.0", "100.64.0.1", "224.0.0.1", "192.168.1.1"])
def test_public_address_policy_refuses_internal(address):
    assert shortlinks.is_public_address(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", ["1.1.1.1", "67.199.248.10", "2606:4700:4700::1111"])
def test_public_address_policy_allows_public(address):
    assert shortlinks.is_public_address(ipaddress.ip_address(address)) is True


def test_expand_refuses_internal_addresses_by_default_without_connecting(monkeypatch):
    addresses = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "fd00::1"]
    asked = fake_resolver(monkeypatch, {"bit.ly": [[a] for a in addresses],
                                        "t.co": [["1.1.1.1", "169.254.169.254"]]})
    connections: list[object] = []

    def no_connection(*args: object, **kwargs: object) -> None:
        connections.append(args)
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "socket", no_connection)
    monkeypatch.setattr(socket, "create_connection", no_connection)
    results = expand([f"https://bit.ly/x{i}" for i in range(len(addresses))] + ["https://t.co/mixed"])
    assert [e.error for e in results] == [
        f"bit.ly resolves to {a}, not a public address; not contacted" for a in addresses] + [
        "t.co resolves to 169.254.169.254, not a public address; not contacted"]
    assert all(e.hops == [] for e in results)
    assert asked == ["bit.ly"] * len(addresses) + ["t.co"]
    assert connections == []


def test_expand_connects_to_the_address_it_checked(server, seen, loopback_shortener, monkeypatch):
    port = server.rsplit(":", 1)[1]
    monkeypatch.setattr(Redirector, "routes", {"/s": "https://evil.example.net/landing"})
    # A rebinding resolver: the first answer is checked; any later lookup would say 127.0.0.2,
    # where nothing listens, so a second resolution at connect time would fail the request.
    asked = fake_resolver(monkeypatch, {NAME: [["127.0.0.1"], ["127.0.0.2"]]})
    checked: list[str] = []
    monkeypatch.setattr(shortlinks, "address_allowed", lambda a: checked.append(str(a)) or a.is_loopback)
    [expansion] = expand([f"http://{NAME}:{port}/s"], total_time=10)
    assert (expansion.hops, expansion.error) == (["https://evil.example.net/landing"], None)
    assert asked == [NAME] and checked == ["127.0.0.1"]
    assert seen == [("HEAD", "/s", f"{NAME}:{port}")]


# -- TLS -----------------------------------------------------------------------------------------------
def write_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a certificate for `NAME` signed by it: (ca.pem, cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "spyglass test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)]))
            .issuer_name(ca_name).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    return paths


@pytest.fixture
def tls_server(tmp_path: Path, seen) -> Iterator[tuple[int, Path, list[str | None]]]:
    ca, cert, key = write_certificates(tmp_path)
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    for port in serve(httpd):
        yield port, ca, names


def test_expand_https_verifies_the_certificate_for_the_real_name(tls_server, seen, loopback_shortener,
                                                                 monkeypatch):
    port, ca, names = tls_server
    monkeypatch.setattr(Redirector, "routes", {"/s": "https://evil.example.net/landing"})
    fake_resolver(monkeypatch, {NAME: [["127.0.0.1"]]})
    [untrusted] = expand([f"https://{NAME}:{port}/s"], total_time=10)
    assert untrusted.hops == [] and "CERTIFICATE_VERIFY_FAILED" in (untrusted.error or "")
    assert seen == []

    monkeypatch.setattr(shortlinks, "tls_context", lambda: ssl.create_default_context(cafile=str(ca)))
    [trusted] = expand([f"https://{NAME}:{port}/s"], total_time=10)
    assert (trusted.hops, trusted.error) == (["https://evil.example.net/landing"], None)
    assert seen == [("HEAD", "/s", f"{NAME}:{port}")]
    assert names == [NAME, NAME]


# -- bounds ----------------------------------------------------------------------------------------------
def test_expand_bounds_links_time_and_location(server, seen, loopback_shortener, monkeypatch):
    monkeypatch.setattr(Redirector, "routes", {"/long": "/" + "x" * shortlinks.MAX_LOCATION_CHARS})
    many = expand([f"{server}/x{i}" for i in range(10)] + [f"{server}/x0"], max_links=4, total_time=10)
    assert [e.error for e in many] == ["HTTP 404 from 127.0.0.1, no redirect"] * 4
    assert len(seen) == 4
    late = expand([f"{server}/a", f"{server}/b"], total_time=0)
    assert [(e.hops, e.error) for e in late] == [([], "time limit reached")] * 2
    [long] = expand([f"{server}/long"], total_time=10)
    assert (long.hops, long.error) == (
        [], f"127.0.0.1 answered a Location over {shortlinks.MAX_LOCATION_CHARS} characters")
    assert len(seen) == 5


# -- in a check --------------------------------------------------------------------------------------------
def test_check_expands_short_links_and_matches_targets(server, seen, loopback_shortener, tmp_path, monkeypatch):
    from spyglass.check import check
    from spyglass.indicators import IndicatorIndex, load_paths
    from tests.builders.full_backup import indicator_bundle
    from tests.builders.ios_artifacts_core import add_sms, sms_rows
    from tests.builders.ios_backup import BackupBuilder

    monkeypatch.setattr(Redirector, "routes", {"/s": "/landing", "/landing": "/further"})
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
    assert seen == []
    expanded = check(tmp_path / "backup", tmp_path / "expanded", feeds, IndicatorIndex(feeds),
                     expand_short_links=True)
    assert [(d.module, d.observable.value) for d in expanded.detections] == [("short_links", f"{server}/landing")]
    assert expanded.case["short_links"]["links"][0]["target"] == f"{server}/landing"
    assert expanded.case["modules"]["short_links"]["records"] == 1
    assert [(method, path) for method, path, _host in seen] == [("HEAD", "/s")]
