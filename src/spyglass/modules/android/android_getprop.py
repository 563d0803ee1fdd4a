"""Device properties: every system property `getprop` printed when androidqf or a bug report ran.

Reads:   androidqf getprop.txt, the output of `adb shell getprop` (androidqf modules/getprop.go,
         every version since 2021): one `[name]: [value]` line per property, sorted by name. A
         value may hold line breaks, so a line that opens a value without closing it continues
         on the next lines until one ends with `]`. In a bug report, the same output is the
         dumpstate text's "------ SYSTEM PROPERTIES (getprop) ------" section, ended by its
         "------ 0.050s was the duration of 'SYSTEM PROPERTIES' ------" line (AOSP dumpstate.cpp;
         other commands' "------" and "*** " lines may land inside it and are left out: see
         _dumpsys.command_lines); a section cut short ends at its first line that is not a
         property.
Yields:  one record per property (fields `property`, `value`), without a timestamp; observable
         android_property (the name), so feeds of spyware property names match.
Seen:    Android 6-16 (androidqf 1.0-1.7); bug reports of Android 8-16.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from spyglass.acquisitions.base import ANDROID_BUGREPORT, ANDROIDQF, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.modules.android._dumpsys import DUMPSYS_FILES, command_lines
from spyglass.records import Record, observables

ARTIFACT = Artifact(
    name="android_getprop",
    description="System properties (androidqf getprop.txt, a bug report's getprop section)",
    platform="android",
    extra={ANDROIDQF: ("getprop.txt",), ANDROID_BUGREPORT: DUMPSYS_FILES[ANDROID_BUGREPORT]},
    os_versions="Android 6-16",
)
SECTION = "SYSTEM PROPERTIES"

_PROPERTY = re.compile(r"\[([^\]]*)\]: \[(.*)$")
_CONTINUED_LINES = 200   # a value spread over more lines than this is cut there


def parse(file: EvidenceFile) -> Iterator[Record]:
    in_dumpstate = file.acquisition.kind == ANDROID_BUGREPORT
    lines = command_lines(file, SECTION) if in_dumpstate else file.lines()
    seen_any = False
    for line in lines:
        if not line.strip():
            continue
        match = _PROPERTY.match(line)
        if match is None:
            if in_dumpstate:
                if seen_any:
                    return        # no duration line: the section ran into what followed it
                continue
            if not seen_any:
                raise EvidenceError(f"{file.source}: not getprop output (no [name]: [value] line)")
            continue
        seen_any = True
        name, value = match.group(1), match.group(2)
        extra = 0
        while not value.endswith("]") and extra < _CONTINUED_LINES:
            following = next(lines, None)
            if following is None:
                break
            value, extra = f"{value}\n{following}", extra + 1
        value = value.removesuffix("]")
        yield Record(
            timestamp=None,
            timestamp_desc="",
            message=f"Property {name} = {value}",
            fields={"property": name, "value": value},
            observables=observables(("android_property", name)),
        )
