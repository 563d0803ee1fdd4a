from __future__ import annotations

from datetime import UTC, datetime

from spyglass.detections import Detection, group_findings
from spyglass.records import Record


def finding(message: str, day: int | None, severity: str = "high") -> Detection:
    when = datetime(2021, 7, day, tzinfo=UTC) if day else None
    return Detection("indicator", severity, message, Record(when, "seen", "r", module="datausage", source="db"))


def test_group_findings_counts_and_spans() -> None:
    groups = group_findings([finding("bh", 5), finding("bh", None), finding("bh", 2), finding("other", 3),
                             finding("bh", 4, severity="critical")])
    assert [(g.first.message, g.first.severity, g.count, g.earliest, g.latest) for g in groups] == [
        ("bh", "high", 3, datetime(2021, 7, 2, tzinfo=UTC), datetime(2021, 7, 5, tzinfo=UTC)),
        ("other", "high", 1, datetime(2021, 7, 3, tzinfo=UTC), datetime(2021, 7, 3, tzinfo=UTC)),
        ("bh", "critical", 1, datetime(2021, 7, 4, tzinfo=UTC), datetime(2021, 7, 4, tzinfo=UTC)),
    ]


def test_detection_round_trip() -> None:
    detection = finding("bh", 5)
    assert Detection.from_dict(detection.to_dict()) == detection
