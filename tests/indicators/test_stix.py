from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from spyglass.errors import SpyglassError
from spyglass.indicators import load_stix, parse_pattern
from spyglass.indicators.stix import PatternSkipped, key_type
from tests.indicators.stix_bundles import bundle, indicator, malware, related_bundle, relationship, write

SHA256 = "05b5e4070b3b8a130b12ea96c5526b4615fcae121bb802b1a10c3a7a70f39901"
SHA1 = "a9993e364706816aba3e25717850c26c9cd0d89d"
MD5 = "900150983cd24fb0d6963f7d28e17f72"

# One pattern of every supported key, and the indicator it must become.
EVERY_KEY = [
    ("[domain-name:value = 'Evil.COM.']", "domain", "evil.com"),
    ("[url:value = 'HTTPS://Evil.com:443']", "url", "https://evil.com/"),
    ("[ipv4-addr:value = '198.51.100.7']", "ip", "198.51.100.7"),
    ("[ipv6-addr:value = '2001:DB8:0:0:0:0:0:1']", "ip", "2001:db8::1"),
    ("[email-addr:value = 'Bad.Actor@iCloud.com']", "email", "bad.actor@icloud.com"),
    ("[process:name = 'roleaccountd']", "process", "roleaccountd"),
    ("[file:name = 'roleaccountd.plist']", "file_name", "roleaccountd.plist"),
    ("[file:path = '/private/var/tmp/hooker/']", "file_path", "/private/var/tmp/hooker"),
    (f"[file:hashes.sha256 = '{SHA256.upper()}']", "sha256", SHA256),
    (f"[file:hashes.'SHA-256' = '{SHA256}']", "sha256", SHA256),
    (f"[file:hashes.SHA256 = '{SHA256}']", "sha256", SHA256),
    (f"[file:hashes.'SHA-1' = '{SHA1}']", "sha1", SHA1),
    (f"[file:hashes.sha1 = '{SHA1}']", "sha1", SHA1),
    (f"[file:hashes.MD5 = '{MD5}']", "md5", MD5),
    (f"[file:hashes.md5 = '{MD5}']", "md5", MD5),
    ("[app:id = 'com.Serv.Services']", "app_id", "com.serv.services"),
    ("[configuration-profile:id = '76DAB334-7E17-475D-A5D6-0794EB5818A5']", "profile_id",
     "76dab334-7e17-475d-a5d6-0794eb5818a5"),
    ("[android-property:name = 'sys.brand.note']", "android_property", "sys.brand.note"),
    (f"[x509-certificate:hashes.'SHA-256' = '{SHA256}']", "cert_sha256", SHA256),
    (f"[x509-certificate:hashes.'SHA-1' = '{SHA1}']", "cert_sha1", SHA1),
    (f"[x509-certificate:hashes.MD5 = '{MD5}']", "cert_md5", MD5),
    (f"[app:cert.sha256 = '{SHA256}']", "cert_sha256", SHA256),
    (f"[app:cert.md5 = '{MD5}']", "cert_md5", MD5),
]


@pytest.mark.parametrize(("pattern", "kind", "value"), EVERY_KEY)
def test_load_stix_every_key(tmp_path: Path, pattern: str, kind: str, value: str) -> None:
    feed = load_stix(write(tmp_path / "one.stix2", related_bundle([pattern])))
    assert feed.skipped == 0, feed.skip_reasons
    assert [(item.type, item.value) for item in feed.indicators] == [(kind, value)]
    assert feed.counts == {kind: 1}


def test_parse_pattern_plain() -> None:
    assert parse_pattern("[domain-name:value='weather4free.com']") == ("domain-name:value", "weather4free.com")


def test_parse_pattern_quoted_path_component() -> None:
    assert parse_pattern(f"[file:hashes.'SHA-256'='{SHA256}']") == ("file:hashes.'SHA-256'", SHA256)


def test_parse_pattern_escapes() -> None:
    assert parse_pattern(r"[file:name = 'it\'s a \\ name']") == ("file:name", "it's a \\ name")


def test_parse_pattern_special_characters_in_value() -> None:
    pattern = "[url:value = 'https://e.com/a?b=c&d=]x [y] AND z OR w']"
    assert parse_pattern(pattern) == ("url:value", "https://e.com/a?b=c&d=]x [y] AND z OR w")


def test_parse_pattern_spaces_around() -> None:
    assert parse_pattern("  [ process:name   =   'a b' ]  ") == ("process:name", "a b")


@pytest.mark.parametrize(("pattern", "reason"), [
    ("[domain-name:value = 'a.com' OR domain-name:value = 'b.com']", "compound comparison (AND/OR)"),
    ("[file:name = 'a' AND file:size = 3]", "compound comparison (AND/OR)"),
    ("[domain-name:value = 'a.com'] OR [domain-name:value = 'b.com']",
     "more than one observation expression or a qualifier"),
    ("[domain-name:value = 'a.com'] WITHIN 300 SECONDS",
     "more than one observation expression or a qualifier"),
    ("[domain-name:value != 'a.com']", "operator !="),
    ("[domain-name:value LIKE '%.com']", "operator LIKE"),
    ("[domain-name:value MATCHES '^a']", "operator MATCHES"),
    ("[file:size = 3]", "value is not a string"),
    ("[file:name = 'unterminated]", "unterminated string"),
    (r"[file:name = 'bad \n escape']", "invalid escape in string"),
    ("domain-name:value = 'a.com'", "pattern not in brackets"),
    ("[= 'a.com']", "no object path"),
])
def test_parse_pattern_skipped(pattern: str, reason: str) -> None:
    with pytest.raises(PatternSkipped) as raised:
        parse_pattern(pattern)
    assert str(raised.value) == reason


def test_key_type_unknown() -> None:
    assert key_type("file:size") is None
    assert key_type("file:hashes.'SHA-512'") is None
    assert key_type("x-custom:value") is None


def test_load_stix_skipped_patterns_counted(tmp_path: Path) -> None:
    document = related_bundle([
        "[domain-name:value = 'evil.com']",
        "[domain-name:value = 'a.com' OR domain-name:value = 'b.com']",
        "[domain-name:value = 'c.com' AND domain-name:value = 'd.com']",
        "[file:size = '3']",
        f"[file:hashes.'SHA-512' = '{SHA256}']",
        "[domain-name:value = 'no_dot']",
        "[ipv4-addr:value = '999.1.1.1']",
    ])
    document["objects"].append(indicator("rule x {}", pattern_type="yara"))
    document["objects"].append(indicator("[domain-name:value = 'old.com']", revoked=True))
    feed = load_stix(write(tmp_path / "mixed.stix2", document))
    assert [item.value for item in feed.indicators] == ["evil.com"]
    assert feed.skipped == 8
    assert feed.skip_reasons == {
        "compound comparison (AND/OR)": 2,
        "unsupported key file:size": 1,
        "unsupported key file:hashes.'SHA-512'": 1,
        "domain without a dot": 1,
        "invalid ip value": 1,
        "pattern_type yara": 1,
        "revoked": 1,
    }


def test_load_stix_malware_from_relationships(tmp_path: Path) -> None:
    pegasus, predator = malware("Pegasus"), malware("Predator")
    first = indicator("[domain-name:value = 'one.com']")
    second = indicator("[domain-name:value = 'two.com']")
    orphan = indicator("[domain-name:value = 'three.com']")
    document = bundle([first, second, orphan, pegasus, predator,
                       relationship(first, pegasus), relationship(second, predator)])
    feed = load_stix(write(tmp_path / "campaigns.stix2", document))
    assert [(item.value, item.malware, item.stix_id) for item in feed.indicators] == [
        ("one.com", "Pegasus", first["id"]),
        ("two.com", "Predator", second["id"]),
        ("three.com", "campaigns", orphan["id"]),  # two malware objects, no relationship: the feed name
    ]
    assert feed.malwares == ("Pegasus", "Predator")


def test_load_stix_single_malware_without_relationships(tmp_path: Path) -> None:
    document = bundle([malware("KingSpawn"), indicator("[process:name = 'x']")])
    feed = load_stix(write(tmp_path / "kingspawn.stix2", document))
    assert feed.indicators[0].malware == "KingSpawn"
    assert feed.indicators[0].feed == "kingspawn"


def test_load_stix_relationship_to_missing_malware(tmp_path: Path) -> None:
    family = malware("Helios")
    item = indicator("[domain-name:value = 'a.com']")
    dangling = relationship(item, {"id": "malware--00000000-0000-0000-0000-000000000000"})
    feed = load_stix(write(tmp_path / "helios.stix2", bundle([family, item, dangling])))
    assert feed.indicators[0].malware == "Helios"


def test_load_stix_no_malware_uses_feed_name(tmp_path: Path) -> None:
    feed = load_stix(write(tmp_path / "plain.json", bundle([indicator("[process:name = 'x']")])))
    assert (feed.name, feed.indicators[0].malware) == ("plain", "plain")


def test_load_stix_bare_list(tmp_path: Path) -> None:
    feed = load_stix(write(tmp_path / "list.stix2", [malware("M"), indicator("[process:name = 'x']")]))
    assert [(item.value, item.malware) for item in feed.indicators] == [("x", "M")]


def test_load_stix_single_object(tmp_path: Path) -> None:
    feed = load_stix(write(tmp_path / "single.stix2", indicator("[process:name = 'x']")))
    assert [(item.type, item.value) for item in feed.indicators] == [("process", "x")]


def test_load_stix_empty_bundle(tmp_path: Path) -> None:
    feed = load_stix(write(tmp_path / "empty.stix2", bundle([])))
    assert (feed.indicators, feed.counts, feed.skipped, feed.date) == ([], {}, 0, None)


def test_load_stix_corrupt_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.stix2"
    path.write_bytes(b'{"type": "bundle", "objects": [')
    with pytest.raises(SpyglassError, match=r"broken\.stix2: not valid JSON"):
        load_stix(path)


def test_load_stix_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "binary.stix2"
    path.write_bytes(b"\xff\xfe\x00\xd8garbage")
    with pytest.raises(SpyglassError, match=r"binary\.stix2: not valid JSON"):
        load_stix(path)


def test_load_stix_deeply_nested_json(tmp_path: Path) -> None:
    path = tmp_path / "deep.stix2"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SpyglassError, match=r"deep\.stix2"):
        load_stix(path)


def test_load_stix_not_stix(tmp_path: Path) -> None:
    with pytest.raises(SpyglassError, match=r"misp\.json: not a STIX 2 bundle"):
        load_stix(write(tmp_path / "misp.json", {"Event": {"Attribute": []}}))


def test_load_stix_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpyglassError, match=r"absent\.stix2: cannot read feed file"):
        load_stix(tmp_path / "absent.stix2")


def test_load_stix_hostile_objects(tmp_path: Path) -> None:
    document = bundle([
        "not an object", 7, None,
        {"type": "indicator"},
        {"type": "indicator", "pattern": ["list"]},
        {"type": "indicator", "id": ["unhashable"], "pattern": "[process:name = 'ok']"},
        {"type": "relationship", "source_ref": ["x"], "target_ref": {}},
        {"type": "malware", "id": 5, "name": "bad"},
    ])
    feed = load_stix(write(tmp_path / "hostile.stix2", document))
    assert [item.value for item in feed.indicators] == ["ok"]
    assert feed.skip_reasons == {"not a STIX object": 3, "indicator without a pattern": 2}


def test_load_stix_metadata(tmp_path: Path) -> None:
    document = related_bundle(["[process:name = 'a']", "[process:name = 'a']", "[process:name = 'b']"])
    document["objects"].append(malware("Newer", modified="2025-03-04T05:06:07Z"))
    path = write(tmp_path / "2021-07-18_nso" / "pegasus.stix2", document)
    feed = load_stix(path)
    assert feed.name == "pegasus"
    assert feed.path == path
    assert feed.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert feed.date == "2025-03-04"
    assert feed.format == "stix2"
    assert (feed.count, feed.duplicates, feed.counts) == (2, 1, {"process": 2})
    assert feed.to_dict()["count"] == 2
    json.dumps(feed.to_dict())


def test_load_stix_twenty_thousand(tmp_path: Path) -> None:
    # Its speed is measured by benchmarks/bench_indicators.py, never asserted in a test.
    patterns = [f"[domain-name:value = 'host{number}.example{number % 97}.com']" for number in range(20_000)]
    path = write(tmp_path / "big.stix2", related_bundle(patterns))
    feed = load_stix(path)
    assert feed.counts == {"domain": 20_000}
    assert (feed.indicators[0].value, feed.indicators[-1].value) == ("host0.example0.com", "host19999.example17.com")
