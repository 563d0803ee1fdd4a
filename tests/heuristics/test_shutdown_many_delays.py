from __future__ import annotations

from spyglass.heuristics import shutdown_many_delays
from spyglass.records import Record, parse_iso

WEAK = ("Kaspersky saw this on iPhones infected with Pegasus, but ordinary apps do it too: it matters only "
        "alongside other signs")


def reboot(notices: int, when: str | None, number: int = 1,
           source: str = "system_logs.logarchive/Extra/shutdown.log") -> Record:
    """A reboot record as the shutdown_log module yields it."""
    return Record(timestamp=parse_iso(when) if when else None, timestamp_desc="shutdown (reboot)", message="",
                  module="shutdown_log", source=source,
                  fields={"record_type": "reboot", "reboot_number": number, "reboot_time": when,
                          "delay_notices": notices, "only_reboot": False})


def findings(*records: Record) -> list[tuple[str, str, int]]:
    kept = [record for record in records if shutdown_many_delays.HEURISTIC.keep(record)]
    return [(d.severity, d.message, d.record.fields["reboot_number"])
            for d in shutdown_many_delays.check({"shutdown_log": kept})]


def test_shutdown_many_delays_reported_once_on_worst_reboot():
    # Kaspersky's iShutdown_detect threshold: 3 or more "these clients are still here" notices.
    records = [reboot(0, "2024-01-05T00:00:00Z", 1), reboot(2, "2024-01-15T09:30:00Z", 2),
               reboot(4, "2024-02-01T00:00:00Z", 3), reboot(3, "2024-02-15T00:00:00Z", 4)]
    assert findings(*records) == [(
        "low", "2 of the 4 reboots recorded in the shutdown log were held up 3 or more times by programs that "
               f"would not stop (at most 4 times, at the restart of 2024-02-01T00:00:00Z). {WEAK}", 3)]


def test_shutdown_many_delays_only_reboot():
    assert findings(reboot(3, None)) == [(
        "low", "The only reboot recorded in the shutdown log was held up 3 or more times by programs that would "
               f"not stop (at most 3 times). {WEAK}", 1)]


def test_shutdown_many_delays_near_misses():
    assert findings(reboot(2, "2024-01-15T09:30:00Z"), reboot(2, "2024-02-01T00:00:00Z", 2), reboot(0, None, 3)) == []
    assert findings() == []


def test_shutdown_many_delays_copies_counted_once():
    # shutdown.log and shutdown.0.log of one sysdiagnose holding the same reboots.
    records = [reboot(3, "2024-02-01T00:00:00Z", 1), reboot(1, "2024-02-15T00:00:00Z", 2),
               reboot(3, "2024-02-01T00:00:00Z", 1, source="system_logs.logarchive/Extra/shutdown.0.log"),
               reboot(1, "2024-02-15T00:00:00Z", 2, source="system_logs.logarchive/Extra/shutdown.0.log")]
    [(_, message, _)] = findings(*records)
    assert message.startswith("1 of the 2 reboots recorded in the shutdown log was held up 3 or more times")


def test_shutdown_many_delays_hostile_values_ignored():
    odd = Record(None, "shutdown (reboot)", "", {"record_type": "reboot", "delay_notices": "9"}, module="shutdown_log")
    flag = Record(None, "shutdown (reboot)", "", {"record_type": "reboot", "delay_notices": True},
                  module="shutdown_log")
    assert findings(odd, flag) == []


def test_shutdown_many_delays_keeps_only_reboot_records():
    client = Record(None, "shutdown: client still running", "", {"record_type": "client"}, module="shutdown_log")
    assert shutdown_many_delays.HEURISTIC.keep(client) is False
    assert shutdown_many_delays.HEURISTIC.keep(reboot(1, None)) is True
