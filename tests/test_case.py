from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spyglass import case as case_module
from spyglass.case import CaseWriter, prepare_output, read_case, read_detections
from spyglass.errors import SpyglassError
from spyglass.records import Record


def test_timeline_sorted_across_spilled_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_module, "TIMELINE_RUN", 7)
    out = prepare_output(tmp_path / "case", force=False)
    writer = CaseWriter(out)
    start = datetime(2021, 7, 1, tzinfo=UTC)
    order = [13, 2, 29, 5, 0, 21, 8, 17, 1, 30, 11, 25, 3, 19, 7, 27, 12, 4, 23, 9, 16, 6, 28, 14, 10, 20, 15, 24, 18,
             26, 22]
    writer.begin_module("sms")
    for number in order:
        writer.write_record(Record(start + timedelta(minutes=number), "sent", f"message {number}",
                                   module="sms", source="sms.db"))
    writer.write_record(Record(None, "", "no time", module="sms", source="sms.db"))
    writer.finish({"tool": {}}, [])
    with (out / "timeline.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["datetime", "timestamp_desc", "message", "module", "source", "timestamp", "tag"]
    assert [row[2] for row in rows[1:]] == [f"message {n}" for n in sorted(order)]
    assert rows[1] == ["2021-07-01T00:00:00+00:00", "sent", "message 0", "sms", "sms.db", "1625097600000000", "[]"]
    assert sorted(p.name for p in out.iterdir()) == ["case.json", "detections.jsonl", "records", "timeline.csv",
                                                     "timeline_detected.csv"]
    assert len((out / "records" / "sms.jsonl").read_text().splitlines()) == 32


def test_case_reading_refuses_junk(tmp_path: Path) -> None:
    with pytest.raises(SpyglassError, match="no case.json"):
        read_case(tmp_path)
    (tmp_path / "case.json").write_text("[1, 2]")
    with pytest.raises(SpyglassError, match="not a spyglass case file"):
        read_case(tmp_path)
    (tmp_path / "detections.jsonl").write_text('{"kind": "indicator"}\n')
    with pytest.raises(SpyglassError, match="not a spyglass finding"):
        read_detections(tmp_path)


def test_dumps_survives_what_orjson_refuses() -> None:
    assert case_module.dumps({"lone": "\ud800", "big": 2**70, "raw": b"\x00\xff", 1: "x"}) == \
        ' {"lone":"\\ud800","big":1180591620717411303424,"raw":"00ff","1":"x"}'   # marked for loads()


def test_case_with_lone_surrogates_is_written(tmp_path: Path) -> None:
    out = prepare_output(tmp_path / "case", force=False)
    writer = CaseWriter(out)
    writer.begin_module("sms")
    writer.write_record(Record(datetime(2021, 7, 1, tzinfo=UTC), "sent", "bad \ud800 text", {"t": "\udfff"},
                               module="sms", source="sms.db"))
    writer.finish({"tool": {}, "verdict": "x \ud800"}, [])
    assert "bad \\ud800 text" in (out / "timeline.csv").read_text(encoding="utf-8")
    assert read_case(out)["verdict"] == "x \ud800"


def test_timeline_csv_every_time_of_a_record_tagged_and_importable(tmp_path: Path) -> None:
    """timeline.csv holds the rows of the Timesketch time table (file MACB times, first and last
    network use, message read) sorted by time, a finding's rows tagged; checked as Timesketch's
    importer library reads a CSV (pandas.read_csv, then ImportStreamer._fix_data_frame) and as its
    server reads the tag column (timesketch/lib/utils.py `_parse_tag_field`: a value in brackets
    is JSON)."""
    import json

    import pandas
    from timesketch_import_client import importer  # a test dependency, as for the JSONL

    from spyglass.detections import Detection
    from spyglass.records import Observable
    from tests.reports.test_timesketch import MANIFEST, PROCESS, SMS, TIMELESS

    out = prepare_output(tmp_path / "case", force=False)
    writer = CaseWriter(out)
    for record in (MANIFEST, PROCESS, SMS, TIMELESS):
        writer.begin_module(record.module)
        writer.write_record(record)
    found = Detection(kind="indicator", severity="critical", message="Pegasus process bh", record=PROCESS,
                      observable=Observable("process", "bh"),
                      indicator={"type": "process", "value": "bh", "feed": "pegasus", "malware": "Pegasus",
                                 "feeds": ["pegasus"], "malwares": ["Pegasus"]})
    writer.finish({"tool": {}}, [found])
    with (out / "timeline.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["datetime"], row["timestamp_desc"], row["module"], row["tag"]) for row in rows] == [
        ("2021-06-29T07:00:00.250000+00:00", "file created", "manifest", "[]"),
        ("2021-06-30T08:00:00+00:00", "file modified", "manifest", "[]"),
        ("2021-06-30T09:00:00+00:00", "file status changed", "manifest", "[]"),
        ("2021-07-01T09:00:00+00:00", "process first used the network", "datausage",
         '["spyglass", "critical", "Pegasus"]'),
        ("2021-07-01T10:00:00+00:00", "message received", "sms", "[]"),
        ("2021-07-01T10:05:00+00:00", "message read", "sms", "[]"),
        ("2021-07-02T03:04:05+00:00", "process last used the network", "datausage",
         '["spyglass", "critical", "Pegasus"]')]
    assert rows[0]["timestamp"] == "1624950000250000"
    frame = importer.ImportStreamer()._fix_data_frame(pandas.read_csv(out / "timeline.csv"))
    assert {"message", "datetime", "timestamp_desc"} <= set(frame.columns)
    assert frame["datetime"].tolist()[:2] == ["2021-06-29T07:00:00.250000+0000", "2021-06-30T08:00:00.000000+0000"]
    assert frame["timestamp"].tolist() == [int(row["timestamp"]) for row in rows]
    assert all(tag.startswith("[") and tag.endswith("]") for tag in frame["tag"])
    assert [json.loads(tag) for tag in frame["tag"]][3] == ["spyglass", "critical", "Pegasus"]


def test_loads_reads_back_exactly_what_dumps_wrote() -> None:
    values = [{"big": 2**70, "neg": -(2**64) - 1, "lone": "\ud800", "nan": float("nan")},
              {"id": "1234567890123456789012", "n": 9_223_372_036_854_775_807, "f": 1.5e308, "s": "é\x00"},
              ["plain", 1, 2.5, None, True, {"k": []}]]
    for value in values:
        line = case_module.dumps(value)
        again = case_module.loads(line)
        assert case_module.dumps(again) == line
    assert case_module.loads(case_module.dumps({"big": 2**70}))["big"] == 2**70      # not a float
    assert type(case_module.loads('{"n": 12}')["n"]) is int
    assert case_module.loads(' {"n": 123456789012345678901234567890}')["n"] == 123456789012345678901234567890
    with pytest.raises(ValueError):
        case_module.loads('{"cut": ')


def test_timeline_runs_with_lone_surrogates_and_wide_integers_merge(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Rows spilled to runs are read back (orjson refuses an escaped lone surrogate: the
    # standard library reads that line).
    monkeypatch.setattr(case_module, "TIMELINE_RUN", 1)
    out = prepare_output(tmp_path / "case", force=False)
    writer = CaseWriter(out)
    writer.begin_module("sms")
    for number, text in enumerate(["bad \ud800 text", "fine", "wide"]):
        writer.write_record(Record(datetime(2021, 7, 1, number, tzinfo=UTC), "sent", text, {"n": 2**70},
                                   module="sms", source="sms.db"))
    writer.finish({"tool": {}}, [])
    with (out / "timeline.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert [row[2] for row in rows[1:]] == ["bad \\ud800 text", "fine", "wide"]
    assert not list(out.glob(".timeline-run-*"))


def test_records_file_with_bad_utf8_or_junk_is_refused_with_where(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    path = tmp_path / "records" / "sms.jsonl"
    good = case_module.dumps(Record(None, "", "fine", module="sms", source="s").to_dict())
    path.write_bytes(good.encode() + b"\n" + b'{"message": "\xff\xfe"}\n')
    with pytest.raises(SpyglassError, match=r"sms\.jsonl:2: not a spyglass record"):
        list(case_module.iter_records(tmp_path, "sms"))
    start = len(good) + 1
    with pytest.raises(SpyglassError, match=rf"sms\.jsonl \(line 1 after byte {start}\): not a spyglass record"):
        list(case_module.read_records(path, start))
    assert [r.message for r in case_module.read_records(path, 0, start)] == ["fine"]
