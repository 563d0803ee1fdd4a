"""NUL bytes in an Identity Services lookup: an iMessage/FaceTime account with a NUL in it.

Reads the `idstatuscache` records. Ordinary lookups are plain "mailto:" and "tel:"
addresses; an account carrying NUL bytes was crafted, a pattern seen in Pegasus attacks
that probed targets through iMessage.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Record

HEURISTIC = Heuristic(
    name="idstatus_nul",
    description="Account lookups containing NUL bytes",
    modules=frozenset({"idstatuscache"}),
)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("idstatuscache", ()):
        if record.fields.get("has_nul"):
            yield suspicious(
                HEURISTIC, record,
                f"The phone looked up the account {record.fields.get('account')} for "
                f"{record.fields.get('service')}; it contains NUL bytes, a pattern of Pegasus attacks",
                severity="high",
                observable=record.observables[0] if record.observables else None)
