"""Plain lists, MISP events, stalkerware-indicators YAML, and the public feed index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spyglass.errors import SpyglassError
from spyglass.indicators import load_feed_file, load_misp, load_paths, load_plain, load_stalkerware
from spyglass.indicators.feed_index import parse_feed_index
from spyglass.indicators.plain import type_from_name

# Real feeds, from the repository only: the bundled copies, and excerpts under tests/data (see its NOTICE).
REPO = Path(__file__).resolve().parents[2]
BUNDLED_IOCS = REPO / "src" / "spyglass" / "data" / "iocs"
TEST_IOCS = REPO / "tests" / "data" / "iocs"
SHA1 = "31A6ECECD97CF39BC4126B8745CD94A7C30BF81C"
SHA256 = "05b5e4070b3b8a130b12ea96c5526b4615fcae121bb802b1a10c3a7a70f39901"


# Plain lists

def test_load_plain_domains(tmp_path: Path) -> None:
    path = tmp_path / "domains.txt"
    path.write_text("# Pegasus domains\nEvil.com\n\n  b.evil.net  # inline note\nnot a domain\nevil.com.\n")
    feed = load_plain(path)
    assert [(item.type, item.value, item.malware) for item in feed.indicators] == [
        ("domain", "evil.com", "domains"), ("domain", "b.evil.net", "domains")]
    assert (feed.format, feed.skip_reasons, feed.duplicates) == ("text", {"invalid domain value": 1}, 1)


def test_load_plain_hosts_file(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_text("0.0.0.0 evil.com\n127.0.0.1 c2.bad.org\n")
    feed = load_plain(path, "domain")
    assert [item.value for item in feed.indicators] == ["evil.com", "c2.bad.org"]


def test_load_plain_urls_keep_fragments(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_text("# comment\nhttps://evil.com/a#b\n")
    assert [item.value for item in load_plain(path).indicators] == ["https://evil.com/a"]


@pytest.mark.parametrize(("file_name", "kind"), [
    ("domains.txt", "domain"), ("v4_validation_domains.txt", "domain"), ("processes.txt", "process"),
    ("emails.txt", "email"), ("files.txt", "file_name"), ("ips.txt", "ip"), ("sha256.txt", "sha256"),
    ("packages.txt", "app_id"), ("notes.txt", None),
])
def test_type_from_name(file_name: str, kind: str | None) -> None:
    assert type_from_name(Path(file_name)) == kind


def test_load_plain_type_unknown(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("x\n")
    with pytest.raises(SpyglassError, match=r"notes\.txt: cannot tell what this list holds"):
        load_plain(path)
    with pytest.raises(SpyglassError, match="unknown indicator type 'nonsense'"):
        load_plain(path, "nonsense")


def test_load_plain_binary(tmp_path: Path) -> None:
    path = tmp_path / "domains.txt"
    path.write_bytes(b"\x00\x01\x02evil.com")
    with pytest.raises(SpyglassError, match="binary content"):
        load_plain(path)


def test_load_plain_real_amnesty_lists() -> None:
    folder = TEST_IOCS / "amnesty" / "2021-07-18_nso"
    counts = {name: load_feed_file(folder / name).counts
              for name in ("domains.txt", "processes.txt", "emails.txt", "files.txt")}
    assert counts == {"domains.txt": {"domain": 1438}, "processes.txt": {"process": 81},
                      "emails.txt": {"email": 29}, "files.txt": {"file_name": 1}}


# MISP

def misp_event() -> dict:
    return {
        "uuid": "a7d60a6a-f4ec-4e9a-ae3b-2cf5e05cd01e", "info": "Stalkerware indicators", "date": "2025-02-03",
        "Attribute": [
            {"uuid": "1", "type": "link", "value": "https://github.com/x", "to_ids": False},
            {"uuid": "2", "type": "ip-dst|port", "value": "198.51.100.7|443"},
            {"uuid": "3", "type": "filename|sha256", "value": f"evil.apk|{SHA256}"},
            {"uuid": "4", "type": "hostname", "value": "C2.Evil.com"},
            {"uuid": "5", "type": "email-src", "value": "bad@evil.com"},
            {"uuid": "6", "type": "domain", "value": "gone.com", "deleted": True},
            {"uuid": "7", "type": "mutex", "value": "x"},
            {"uuid": "8", "type": "domain"},
            "not an attribute",
        ],
        "Object": [{
            "name": "android-app",
            "Attribute": [
                {"object_relation": "name", "type": "text", "value": "TheTruthSpy"},
                {"object_relation": "appid", "type": "text", "value": "com.thetruth"},
                {"object_relation": "certificate", "type": "sha1", "value": SHA1},
                {"object_relation": "domain", "type": "domain", "value": "protocol-a.thetruthspy.com"},
                {"object_relation": "sha256", "type": "sha256", "value": SHA256.upper()},
            ],
        }, "not an object"],
    }


def test_load_misp_event(tmp_path: Path) -> None:
    path = tmp_path / "misp_event.json"
    path.write_text(json.dumps(misp_event()))
    feed = load_misp(path)
    assert [(item.type, item.value, item.malware) for item in feed.indicators] == [
        ("ip", "198.51.100.7", "Stalkerware indicators"),
        ("file_name", "evil.apk", "Stalkerware indicators"),
        ("sha256", SHA256, "Stalkerware indicators"),
        ("domain", "c2.evil.com", "Stalkerware indicators"),
        ("email", "bad@evil.com", "Stalkerware indicators"),
        ("app_id", "com.thetruth", "TheTruthSpy"),
        ("cert_sha1", SHA1.lower(), "TheTruthSpy"),
        ("domain", "protocol-a.thetruthspy.com", "TheTruthSpy"),
    ]
    assert feed.duplicates == 1   # the object's sha256 repeats the event's
    assert feed.skip_reasons == {"MISP type link": 1, "deleted attribute": 1, "MISP type mutex": 1,
                                 "attribute without a value": 1, "malformed attribute": 1,
                                 "malformed object": 1}
    assert (feed.format, feed.date) == ("misp", "2025-02-03")


@pytest.mark.parametrize("wrap", [
    lambda event: {"Event": event},
    lambda event: [{"Event": event}],
    lambda event: {"response": [{"Event": event}]},
])
def test_load_misp_wrapped(tmp_path: Path, wrap) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(wrap(misp_event())))
    assert load_feed_file(path).count == 8


def test_load_misp_real_stalkerware_event() -> None:
    feed = load_feed_file(TEST_IOCS / "stalkerware" / "generated" / "misp_event.json")
    assert feed.format == "misp"
    # Distinct values of the six objects of the excerpt, counted from the JSON by hand.
    assert feed.counts == {"domain": 27, "sha256": 29, "cert_sha1": 25, "app_id": 29}
    assert sorted(feed.malwares) == ["AppSpy", "LetMeSpy", "OwnSpy", "PanSpy", "VIPTrack", "iKeyMonitor"]
    assert feed.skip_reasons == {"MISP type link": 1}


# Stalkerware YAML

STALKERWARE_YAML = f"""
- name: TheTruthSpy
  names: [Copy9, InoSPy]
  type: stalkerware
  packages: [com.apspy.app, Com.Fone]
  certificates: ["{SHA1}", "{SHA256}"]
  websites: [copy9.com, "https://github.com/x/y"]
  distribution: [app.fonetracker.com]
  c2:
    ips: [69.64.74.239]
    domains: [protocol-a.copy9.com]
    ports: [443]
  certificate_organizations: [Xyz]
- name: Other
  c2:
    ip: [85.10.199.40]
  packages: [7, com.other]
  websites: not-a-list
- just a string
- names: [no name]
"""


def test_load_stalkerware_yaml(tmp_path: Path) -> None:
    path = tmp_path / "ioc.yaml"
    path.write_text(STALKERWARE_YAML)
    feed = load_stalkerware(path)
    assert [(item.type, item.value, item.malware) for item in feed.indicators] == [
        ("app_id", "com.apspy.app", "TheTruthSpy"), ("app_id", "com.fone", "TheTruthSpy"),
        ("cert_sha1", SHA1.lower(), "TheTruthSpy"), ("cert_sha256", SHA256, "TheTruthSpy"),
        ("domain", "copy9.com", "TheTruthSpy"), ("url", "https://github.com/x/y", "TheTruthSpy"),
        ("domain", "app.fonetracker.com", "TheTruthSpy"), ("ip", "69.64.74.239", "TheTruthSpy"),
        ("domain", "protocol-a.copy9.com", "TheTruthSpy"),
        ("ip", "85.10.199.40", "Other"), ("app_id", "com.other", "Other"),
    ]
    assert feed.malwares == ("TheTruthSpy", "Other")
    assert feed.skip_reasons == {"unsupported field c2.ports": 1, "unsupported field certificate_organizations": 1,
                                 "malformed value": 1, "malformed value list": 1, "malformed entry": 2}


def test_load_stalkerware_real_ioc_yaml() -> None:
    feed = load_feed_file(BUNDLED_IOCS / "stalkerware" / "ioc.yaml")
    assert feed.format == "stalkerware-yaml"
    assert len(feed.malwares) == 147
    assert feed.counts == {"app_id": 612, "cert_sha1": 471, "domain": 1453, "ip": 68, "url": 2}
    assert feed.skip_reasons == {"unsupported field certificate_cname_re": 1,
                                 "unsupported field certificate_organizations": 5}


def test_load_stalkerware_corrupt_yaml(tmp_path: Path) -> None:
    path = tmp_path / "ioc.yaml"
    path.write_text("- name: [unclosed\n")
    with pytest.raises(SpyglassError, match=r"ioc\.yaml: not valid YAML"):
        load_feed_file(path)


def test_load_feed_file_yaml_feed_index(tmp_path: Path) -> None:
    path = tmp_path / "indicators.yaml"
    path.write_text("indicators: []\n")
    with pytest.raises(SpyglassError, match="a feed index"):
        load_feed_file(path)


def test_load_feed_file_json_neither(tmp_path: Path) -> None:
    path = tmp_path / "tinycheck.json"
    path.write_text('{"iocs": []}')
    with pytest.raises(SpyglassError, match="not a STIX 2 bundle nor a MISP event"):
        load_feed_file(path)


def test_load_paths_folders_all_formats() -> None:
    feeds = load_paths([BUNDLED_IOCS, TEST_IOCS])
    assert [feed.format for feed in feeds].count("stix2") == 16
    assert sorted(feed.name for feed in feeds if feed.format != "stix2") == ["ioc", "misp_event", "watchware"]


# Feed index

def test_parse_feed_index_real() -> None:
    index = parse_feed_index((TEST_IOCS / "mvt" / "indicators.yaml").read_bytes())
    assert index.skipped == 0
    assert len(index.sources) == 15
    first = index.sources[0]
    assert (first.name, first.file_name, first.source, first.url) == (
        "pegasus", "pegasus.stix2", "AmnestyTech/investigations",
        "https://raw.githubusercontent.com/AmnestyTech/investigations/master/2021-07-18_nso/pegasus.stix2")
    assert first.title == "NSO Group Pegasus Indicators of Compromise"


def test_parse_feed_index_odd_entries() -> None:
    data = b"""
indicators:
  - type: download
    name: A mirror
    download_url: https://example.org/feeds/a.stix2
  - type: download
    download_url: http://example.org/b.stix2
  - type: github
    github: {owner: x, repo: y, branch: main, path: ../../etc/passwd}
  - type: github
    github: {owner: "x/z", repo: y, branch: main, path: a.stix2}
  - type: github
    github: nope
  - type: gitlab
  - just text
  - type: download
    download_url: https://example.org/other/a.stix2
"""
    index = parse_feed_index(data)
    assert [(source.name, source.url) for source in index.sources] == [
        ("a", "https://example.org/feeds/a.stix2")]
    assert index.skip_reasons == {
        "download_url is not an https URL": 1, "github entry with a bad path": 1,
        "github entry with a bad owner, repo or branch": 1, "github entry without github fields": 1,
        "unknown entry type gitlab": 1, "malformed entry": 1, "duplicate feed name": 1}


def test_parse_feed_index_not_an_index() -> None:
    with pytest.raises(SpyglassError, match="not a feed index"):
        parse_feed_index(b"- a\n- b\n")


def test_load_stalkerware_shared_value_keeps_both_apps(tmp_path: Path) -> None:
    path = tmp_path / "ioc.yaml"
    path.write_text("- name: Cocospy\n  packages: [com.sc.spyier.v2]\n- name: Spyier\n  packages: [com.sc.spyier.v2]\n")
    feed = load_stalkerware(path)
    assert [(item.value, item.malware, item.malwares) for item in feed.indicators] == [
        ("com.sc.spyier.v2", "Cocospy", ("Cocospy", "Spyier"))]
    assert (feed.count, feed.duplicates) == (1, 1)
