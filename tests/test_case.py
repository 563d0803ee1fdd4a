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
    assert rows[0] == ["datetime", "timestamp_desc", "message", "module", "source"]
    assert [row[2] for row in rows[1:]] == [f"message {n}" for n in sorted(order)]
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
        '{"lone":"\\ud800","big":1180591620717411303424,"raw":"00ff","1":"x"}'


def test_case_with_lone_surrogates_is_written(tmp_path: Path) -> None:
    out = prepare_output(tmp_path / "case", force=False)
    writer = CaseWriter(out)
    writer.begin_module("sms")
    writer.write_record(Record(datetime(2021, 7, 1, tzinfo=UTC), "sent", "bad \ud800 text", {"t": "\udfff"},
                               module="sms", source="sms.db"))
    writer.finish({"tool": {}, "verdict": "x \ud800"}, [])
    assert "bad \\ud800 text" in (out / "timeline.csv").read_text(encoding="utf-8")
    assert read_case(out)["verdict"] == "x \ud800"
