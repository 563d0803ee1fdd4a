from __future__ import annotations

from pathlib import Path

import pytest

from spyglass.errors import SpyglassError
from spyglass.indicators import IndicatorIndex, load_paths, load_stix
from spyglass.records import Observable
from tests.indicators.stix_bundles import bundle, indicator, related_bundle, write

# The feeds bundled in the package: verbatim public data (data/iocs/feeds.json names each upstream).
BUNDLED_IOCS = Path(__file__).resolve().parents[2] / "src" / "spyglass" / "data" / "iocs"
PEGASUS = BUNDLED_IOCS / "amnesty" / "pegasus.stix2"


def test_load_paths_folder_recursive(tmp_path: Path) -> None:
    write(tmp_path / "a" / "pegasus.stix2", related_bundle(["[process:name = 'bh']"]))
    write(tmp_path / "b" / "c" / "predator.json", related_bundle(["[domain-name:value = 'x.com']"], "Predator"))
    write(tmp_path / "b" / "tinycheck.json", {"iocs": []})   # JSON, not a feed
    (tmp_path / "b" / "workflow.yaml").write_text("on: push\n")  # YAML, not a feed
    (tmp_path / "b" / "domains.txt").write_text("x.com\n")
    (tmp_path / "README.md").write_text("# feeds\n")
    feeds = load_paths([tmp_path])
    assert [(feed.name, feed.count, feed.indicators[0].malware) for feed in feeds] == [
        ("pegasus", 1, "Pegasus"), ("predator", 1, "Predator")]


def test_load_paths_files_and_folders(tmp_path: Path) -> None:
    one = write(tmp_path / "one.stix2", related_bundle(["[process:name = 'a']"]))
    write(tmp_path / "more" / "two.stix2", related_bundle(["[process:name = 'b']"]))
    assert [feed.name for feed in load_paths([one, tmp_path / "more"])] == ["one", "two"]


def test_load_paths_same_name_twice(tmp_path: Path) -> None:
    write(tmp_path / "2023-03-29_android" / "malware.stix2", bundle([indicator("[process:name = 'a']")]))
    write(tmp_path / "2024-01-01_other" / "malware.stix2", bundle([indicator("[process:name = 'b']")]))
    feeds = load_paths([tmp_path])
    assert [feed.name for feed in feeds] == ["malware", "2024-01-01_other/malware"]
    assert [feed.indicators[0].feed for feed in feeds] == ["malware", "2024-01-01_other/malware"]


def test_load_paths_explicit_file_must_be_a_feed(tmp_path: Path) -> None:
    path = write(tmp_path / "tinycheck.json", {"iocs": []})
    with pytest.raises(SpyglassError, match="not a STIX 2 bundle nor a MISP event"):
        load_paths([path])


def test_load_paths_corrupt_file_in_folder(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{nope")
    with pytest.raises(SpyglassError, match=r"broken\.json: not valid JSON"):
        load_paths([tmp_path])


def test_load_paths_missing(tmp_path: Path) -> None:
    with pytest.raises(SpyglassError, match=r"absent: no such feed file or folder"):
        load_paths([tmp_path / "absent"])


def test_load_paths_empty_folder(tmp_path: Path) -> None:
    assert load_paths([tmp_path]) == []


def test_load_stix_real_pegasus_feed() -> None:
    feed = load_stix(PEGASUS)
    assert feed.name == "pegasus"
    assert feed.counts == {"domain": 1438, "process": 81, "email": 29, "file_name": 1}
    assert (feed.count, feed.skipped, feed.duplicates) == (1549, 0, 0)
    assert {indicator.malware for indicator in feed.indicators} == {"Pegasus"}
    assert feed.date == "2024-01-26"
    index = IndicatorIndex([feed])
    [match] = index.match(Observable("url", "https://free247downloads.com/x"))
    assert (match.indicator.value, match.severity) == ("free247downloads.com", "high")
    assert len(index.match(Observable("file_path", "/private/var/db/roleaccountd.plist"))) == 1


def test_load_paths_every_bundled_feed() -> None:
    feeds = load_paths([BUNDLED_IOCS])
    by_name = {feed.name: feed for feed in feeds}
    assert len(feeds) == 17   # 16 STIX and the stalkerware ioc.yaml
    assert by_name["predator"].counts == {"domain": 568, "file_path": 12, "profile_id": 1}
    assert by_name["predator"].skip_reasons == {"domain without a dot": 1}
    assert by_name["predator"].duplicates == 3   # /tmp/x and /private/var/tmp/x are one path on iOS
    assert by_name["coruna"].counts == {"domain": 177, "sha256": 20, "file_path": 12, "file_name": 7}
    assert by_name["residentbat"].counts == {"ip": 24, "app_id": 8, "cert_sha256": 8, "sha256": 8}
    assert by_name["wintego_helios"].indicators[0].malware == "Wintego Helios"
    assert sum(feed.skipped for feed in feeds if feed.format == "stix2") == 1
