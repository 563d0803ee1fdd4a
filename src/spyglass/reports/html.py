"""The HTML report: one self-contained file for the person whose phone was checked.

Rendered from the case folder alone (case.json, detections.jsonl). Inline CSS, no script,
no external font, stylesheet, image or link, and a Content-Security-Policy that forbids
loading anything, so opening the report fetches nothing and runs nothing. Every string that
comes from the case is evidence, and evidence is hostile: it is escaped, bidirectional and
control characters are shown as code points, long values are cut, and no evidence ever
becomes a URL or an attribute other than escaped text.
"""

from __future__ import annotations

import html
import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spyglass.case import read_case, read_detections
from spyglass.detections import INDICATOR, SEVERITIES, SUSPICIOUS, Detection, FindingGroup, group_findings
from spyglass.reports import LOCAL_HELPLINE, incomplete

MAX_FINDINGS_SHOWN = 2000
MAX_TEXT_CHARS = 2000
MAX_RECORD_CHARS = 16 * 1024
MESSAGE_MODULES = ("sms", "imessage", "message", "whatsapp", "signal", "telegram", "chat", "mail", "notes")
BROWSER_MODULES = ("safari", "chrome", "firefox", "browser", "webkit", "history")

# Control and bidirectional-override characters in evidence are shown as <U+202E>: an
# attacker's message must not be able to reorder or hide what the report says.
_VISIBLE = {code: f"<U+{code:04X}>" for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F,
                                                   *range(0x200B, 0x2010), *range(0x202A, 0x202F),
                                                   *range(0x2066, 0x206A), 0xFEFF]}

VERDICTS = {
    "danger": ("Traces of known spyware were found",
               "spyglass found {count} on this phone that match published traces of mercenary spyware. "
               "This is serious, and it is not your fault: these tools are built to go unnoticed. Please "
               "read \u201cWhat to do next\u201d, just below, before you do anything else with the phone."),
    "warning": ("Suspicious signs worth a closer look",
                "spyglass found no match with known spyware, but it found {count} that spyware has "
                "shown before. Each can have an innocent explanation; an expert can tell which."),
    "clean": ("No known traces found \u2014 this does not prove the phone is clean",
              "spyglass compared this phone's records with published traces of mercenary spyware and "
              "found none. Spyware can leave no trace in a backup, and new spyware is not in the "
              "lists yet: if you still have reasons to worry, ask for help (see below)."),
}

EXPLANATIONS = {
    "process": "A program with the name of a known spyware component ran on this phone: the phone's own "
               "records list it. This is one of the strongest signs of an infection.",
    "file_name": "A file with a name known from spyware was found on the phone.",
    "file_path": "A file in a place known to be used by spyware was found on the phone.",
    "sha256": "A file on the phone is identical, byte for byte, to a known piece of spyware.",
    "cert": "An app or file on the phone is signed with a certificate known to be used by spyware.",
    "app_id": "An app known to be spyware, or to deliver it, is or was installed on the phone.",
    "profile_id": "A configuration profile known from spyware was installed. Profiles can change how the "
                  "phone connects to the internet and which servers it trusts.",
    "android_property": "A system setting known to be changed by spyware was found on the phone.",
    "email": "An account (an e-mail address or Apple ID) known to be used by attackers interacted with the "
             "phone, for example by sending it a message. Attacks that need no click work this way.",
    "phone": "A phone number known to be used by attackers is in the phone's records.",
    "link_message": "A message contained a link to a server known to deliver spyware. Receiving a link does "
                    "not prove an infection: what matters is whether it was opened, which an expert can "
                    "check. It does show that someone tried to target this phone.",
    "link_browser": "The phone's browser opened an address known to deliver spyware.",
    "network": "The phone recorded contact with a server known to be part of spyware infrastructure.",
    "suspicious": "This is not a match with known spyware but a pattern spyware has shown before (for "
                  "example a program running from an unusual place). It can have an innocent explanation "
                  "and deserves a closer look by an expert.",
}

NEXT_STEPS = {
    "danger": [
        "Do not reset, restore or update the phone, and do not delete the backup or this case folder: "
        "they are the evidence an expert needs. Resetting may remove the spyware but also the proof.",
        "Contact a helpline that handles spyware cases, free of charge for civil society: Access Now's "
        "Digital Security Helpline (help@accessnow.org, www.accessnow.org/help) or Amnesty International's "
        "Security Lab (securitylab.amnesty.org). Reach them from a device other than this phone.",
        "Until then, assume that this phone can be listened to and read: keep it away from sensitive "
        "conversations, and warn the people whose safety depends on your communications.",
        "Keep this report private. It contains personal data: messages, contacts and places.",
    ],
    "warning": [
        "Keep the backup and this case folder; do not reset the phone before an expert has looked.",
        "Ask a helpline to review the findings: Access Now's Digital Security Helpline "
        "(help@accessnow.org, www.accessnow.org/help) or Amnesty International's Security Lab "
        "(securitylab.amnesty.org).",
        "Keep this report private. It contains personal data: messages, contacts and places.",
    ],
    "clean": [
        "Keep the phone's system and apps up to date: most spyware relies on flaws that updates fix.",
        "If you are at risk because of who you are or what you do, turn on Lockdown Mode (iPhone) or "
        "Advanced Protection (Android), and restart the phone regularly.",
        "New traces are published often. Check the phone again later with updated indicators "
        "(`spyglass iocs update`, then `spyglass recheck` on this case folder).",
        "If you still have reasons to worry, ask Access Now's Digital Security Helpline "
        "(help@accessnow.org, www.accessnow.org/help).",
    ],
}

CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;background:#f5f5f7;margin:0}
main{max-width:960px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{margin-top:32px;font-size:1.3em}
.muted{color:#6e6e73;font-size:.9em}
.verdict{border-radius:12px;padding:20px 24px;margin:20px 0;border:2px solid}
.verdict h2{margin:0 0 8px;font-size:1.5em}
.danger{background:#fde8e8;border-color:#c81e1e}.warning{background:#fff4d6;border-color:#b7791f}
.clean{background:#e6f4ea;border-color:#1e7e34}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}
th,td{border:1px solid #d2d2d7;padding:6px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#ececf0}
.finding{background:#fff;border:1px solid #d2d2d7;border-left:6px solid #6e6e73;border-radius:8px;padding:12px 16px;margin:12px 0}
.finding h3{margin:0 0 8px;font-size:1.05em;overflow-wrap:anywhere}
.sev-critical{border-left-color:#7a0b0b}.sev-high{border-left-color:#c81e1e}
.sev-medium{border-left-color:#b7791f}.sev-low{border-left-color:#2b6cb0}.sev-info{border-left-color:#2f855a}
.sample{background:#fff4d6;border:2px dashed #b7791f;padding:.75em;font-size:1.1em}
.badge{display:inline-block;border-radius:4px;padding:0 6px;margin-right:6px;color:#fff;background:#6e6e73;font-size:.85em;text-transform:uppercase}
.badge.critical{background:#7a0b0b}.badge.high{background:#c81e1e}.badge.medium{background:#b7791f}.badge.low{background:#2b6cb0}.badge.info{background:#2f855a}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0}
dt{color:#6e6e73}dd{margin:0;overflow-wrap:anywhere}
.explain{background:#f5f5f7;border-radius:6px;padding:8px 12px;margin:8px 0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f5f5f7;padding:8px;border-radius:6px;font-size:.85em}
code{overflow-wrap:anywhere}
.status-error{color:#c81e1e;font-weight:bold}.status-ok{color:#1e7e34}.status-not-present{color:#6e6e73}
@media print{body{background:#fff}details{display:block}
/* A closed <details> prints nothing but its summary: the evidence is printed open. */
details::details-content{content-visibility:visible;display:block}}
"""


def write_html(case_dir: Path, out: Path | None = None) -> Path:
    """Render the report of `case_dir` to `out` (default: case_dir/report.html)."""
    target = out if out is not None else case_dir / "report.html"
    target.write_text(render_html(case_dir), encoding="utf-8", errors="backslashreplace")
    return target


def render_html(case_dir: Path) -> str:
    """The whole report as one HTML document."""
    case = read_case(case_dir)
    detections = sorted(read_detections(case_dir), key=Detection.sort_key)
    level = _level(detections)
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<meta name=\"referrer\" content=\"no-referrer\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>Spyware check report \u2014 {_text(_device_label(case))}</title>",
        f"<style>{CSS}</style></head><body><main>",
        _sample_banner(case),
        _header(case),
        # What the person needs first: the verdict, what it means, what to do; then the evidence;
        # what was checked and how comes last (a printout used to reach "what to do" on page 23).
        _verdict(case, detections, level),
        _next_steps(level),
        _findings(detections, _descriptions(case)),
        _checked(case),
        _modules(case),
        _warnings(case),
        _inputs(case),
        "<footer><p class=\"muted\">This report was made on this computer, offline; nothing was sent "
        "anywhere. It contains personal data from the phone: share it only with people you trust.</p>"
        "</footer></main></body></html>\n",
    ]
    return "\n".join(part for part in parts if part)


# -- sections ----------------------------------------------------------------------------------
def _header(case: dict[str, Any]) -> str:
    tool = _dict(case.get("tool"))
    made = f"Made by {_text(tool.get('name') or 'spyglass')} {_text(tool.get('version') or '')}".rstrip()
    finished = case.get("finished_at") or case.get("started_at")
    when = f", check finished {_text(_when(finished))}" if finished else ""
    return f"<header><h1>Spyware check report</h1><p class=\"muted\">{made}{when}.</p></header>"


def _verdict(case: dict[str, Any], detections: list[Detection], level: str) -> str:
    headline, explanation = VERDICTS[level]
    kinds = Counter(detection.kind for detection in detections)
    count = _plural(kinds[INDICATOR], "trace") if level == "danger" else _plural(kinds[SUSPICIOUS], "sign")
    lines = [f"<section class=\"verdict {level}\" id=\"verdict\"><h2>{_text(headline)}</h2>",
             f"<p>{_text(explanation.format(count=count))}</p>"]
    malwares = sorted({str(_dict(d.indicator).get("malware")) for d in detections
                       if d.kind == INDICATOR and _dict(d.indicator).get("malware")})
    if malwares:
        lines.append(f"<p>The traces found belong to: <strong>{_text(', '.join(malwares))}</strong>.</p>")
    severities = Counter(detection.severity for detection in detections)
    if detections:
        shown = ", ".join(f"{severities[name]} {name}" for name in SEVERITIES if severities[name])
        lines.append(f"<p>Findings: {len(detections)} ({_text(shown)}).</p>")
    caveats = _caveats(case)
    if caveats:
        lines.append("<ul>" + "".join(f"<li>{_text(item)}</li>" for item in caveats) + "</ul>")
    if case.get("verdict"):
        lines.append(f"<p class=\"muted\">spyglass: {_text(case['verdict'])}</p>")
    lines.append("</section>")
    return "\n".join(lines)


def _caveats(case: dict[str, Any]) -> list[str]:
    caveats = incomplete(case)
    if not case.get("feeds"):
        caveats.append("No lists of known spyware traces were used: only general checks for suspicious "
                       "patterns ran.")
    return caveats


def _checked(case: dict[str, Any]) -> str:
    acquisition = _dict(case.get("acquisition"))
    device = _dict(acquisition.get("device"))
    rows = [
        ("Phone", _device_label(case)),
        ("System", " ".join(str(device[key]) for key in ("os", "os_version") if device.get(key))
         + (f" (build {device['build']})" if device.get("build") else "")),
        ("Backup or copy made", _when(device.get("backup_date"))),
        ("Serial number", device.get("serial")),
        ("Device identifier", device.get("udid") or device.get("imei")),
        ("What was read", acquisition.get("kind")),
        ("Where it was read from", acquisition.get("path")),
        ("Encrypted", {True: "yes", False: "no"}.get(acquisition.get("encrypted"))),
        ("Check started", _when(case.get("started_at"))),
        ("Check finished", _when(case.get("finished_at"))),
    ]
    lines = ["<section id=\"checked\"><h2>What was checked</h2>", _key_values(rows)]
    notes = acquisition.get("notes")
    if isinstance(notes, list) and notes:
        lines.append("<ul>" + "".join(f"<li>{_text(note)}</li>" for note in notes) + "</ul>")
    feeds = [feed for feed in case.get("feeds") or [] if isinstance(feed, dict)]
    if feeds:
        lines.append("<h3>Lists of known spyware traces (indicators) used</h3>")
        lines.append(_table(["List", "Version", "Date", "Indicators", "File fingerprint (SHA-256)"],
                            [(feed.get("name"), feed.get("version"), feed.get("date"), feed.get("count"),
                              feed.get("sha256")) for feed in feeds]))
    else:
        lines.append("<p><strong>No lists of known spyware traces were used.</strong></p>")
    lines.append("</section>")
    return "\n".join(lines)


def _findings(detections: list[Detection], descriptions: dict[str, str]) -> str:
    lines = ["<section id=\"findings\"><h2>Findings, most serious first</h2>"]
    if not detections:
        lines.append("<p>None.</p></section>")
        return "\n".join(lines)
    groups = group_findings(detections)
    for group in groups[:MAX_FINDINGS_SHOWN]:
        lines.append(_finding(group, descriptions))
    if len(groups) > MAX_FINDINGS_SHOWN:
        lines.append(f"<p><strong>{len(groups) - MAX_FINDINGS_SHOWN} more findings are not shown "
                     f"here.</strong> All {len(detections)} are in detections.jsonl in the case folder.</p>")
    lines.append("</section>")
    return "\n".join(lines)


def _finding(group: FindingGroup, descriptions: dict[str, str]) -> str:
    detection = group.first
    severity = detection.severity if detection.severity in SEVERITIES else "unknown"
    kind = "Known spyware trace" if detection.kind == INDICATOR else "Suspicious sign"
    indicator = _dict(detection.indicator)
    when = _when(group.earliest) or "time unknown"
    if group.latest and group.latest != group.earliest:
        when = f"{when} to {_when(group.latest)}"
    rows: list[tuple[str, Any]] = [
        ("When", when),
        ("Found in", f"{descriptions[detection.module]} ({detection.module})"
         if descriptions.get(detection.module) else detection.module),
        ("File on the phone", detection.source),
    ]
    if detection.observable is not None:
        rows.append(("Value seen", f"{detection.observable.value} ({detection.observable.type})"))
    if indicator:
        rows.append(("Known trace", f"{indicator.get('value', '')} ({indicator.get('type', '')})"))
        rows.append(("Spyware", indicator.get("malware")))
        rows.append(("From the list", indicator.get("feed")))
    if detection.heuristic:
        rows.append(("Check", detection.heuristic))
    if group.count > 1:
        rows.append(("Seen", f"{group.count} times (details below are of the first)"))
    return "\n".join([
        f"<article class=\"finding sev-{severity}\">",
        f"<h3><span class=\"badge {severity}\">{_text(detection.severity)}</span>{_text(kind)}: "
        f"{_text(detection.message)}</h3>",
        _key_values(rows),
        f"<p class=\"explain\"><strong>What this means.</strong> {_text(_explanation(detection))}</p>",
        _record_details(detection),
        "</article>",
    ])


def _record_details(detection: Detection) -> str:
    record = detection.record.to_dict()
    fields = json.dumps(record.get("fields"), ensure_ascii=False, indent=2, sort_keys=True, default=str)
    if len(fields) > MAX_RECORD_CHARS:
        fields = fields[:MAX_RECORD_CHARS] + f"\n\u2026 ({len(fields) - MAX_RECORD_CHARS} more characters)"
    observables = ", ".join(f"{item['type']}: {item['value']}" for item in record.get("observables") or [])
    rows = [("Record", record.get("message")), ("Time means", record.get("timestamp_desc")),
            ("Values checked", observables)]
    return ("<details><summary>Record details</summary>" + _key_values(rows)
            + f"<pre>{_text(fields, limit=MAX_RECORD_CHARS + 100)}</pre></details>")


def _sample_banner(case: dict[str, Any]) -> str:
    notice = case.get("sample")
    return f"<p class=\"sample\" id=\"sample\"><strong>{_text(notice)}</strong></p>" if isinstance(notice, str) else ""


def _next_steps(level: str) -> str:
    steps = list(NEXT_STEPS[level])
    local = os.environ.get(LOCAL_HELPLINE, "").strip()[:300]
    if local and level != "clean":
        steps.insert(1, f"A helpline near you: {local}.")
    items = "".join(f"<li>{_text(step)}</li>" for step in steps)
    return f"<section id=\"next\"><h2>What to do next</h2><ol>{items}</ol></section>"


def _modules(case: dict[str, Any]) -> str:
    lines = ["<section id=\"modules\"><h2>Checks that ran</h2>"]
    modules = _dict(case.get("modules"))
    if modules:
        rows = []
        for name, info in sorted(modules.items()):
            info = _dict(info)
            files = info.get("files") if isinstance(info.get("files"), list) else []
            rows.append((name, info.get("description"), _Status(info.get("status") or "unknown"), info.get("records"),
                         "\n".join(str(item) for item in files), info.get("message")))
        lines.append("<h3>What was read</h3>")
        lines.append(_table(["Part", "What it is", "Status", "Records", "Files", "Message"], rows))
    heuristics = _dict(case.get("heuristics"))
    if heuristics:
        rows = [(name, _dict(info).get("description"), _Status(_dict(info).get("status") or "unknown"),
                 _dict(info).get("findings"), _dict(info).get("message"))
                for name, info in sorted(heuristics.items())]
        lines.append("<h3>Checks for suspicious patterns</h3>")
        lines.append(_table(["Check", "What it looks for", "Status", "Findings", "Message"], rows))
    if not modules and not heuristics:
        lines.append("<p>The case folder does not list the checks that ran.</p>")
    lines.append("</section>")
    return "\n".join(lines)


def _warnings(case: dict[str, Any]) -> str:
    warnings = case.get("warnings")
    if not isinstance(warnings, list) or not warnings:
        return ""
    items = "".join(f"<li>{_text(item)}</li>" for item in warnings)
    return f"<section id=\"warnings\"><h2>Warnings</h2><ul>{items}</ul></section>"


def _inputs(case: dict[str, Any]) -> str:
    inputs = _dict(case.get("inputs"))
    if not inputs:
        return ""
    rows = [(name, _dict(info).get("sha256"), _dict(info).get("size")) for name, info in sorted(inputs.items())]
    return ("<section id=\"inputs\"><h2>Evidence files and their fingerprints</h2>"
            "<p class=\"muted\">An expert can use these SHA-256 fingerprints to confirm that the files "
            "they examine are the ones checked here.</p>"
            + _table(["File", "SHA-256", "Size (bytes)"], rows) + "</section>")


# -- helpers -----------------------------------------------------------------------------------
class _Status(str):
    """A module status, rendered with a class derived from a fixed set (never from evidence)."""


def _level(detections: list[Detection]) -> str:
    if any(detection.kind == INDICATOR for detection in detections):
        return "danger"
    return "warning" if detections else "clean"


def _explanation(detection: Detection) -> str:
    if detection.kind != INDICATOR:
        return EXPLANATIONS["suspicious"]
    kind = str(_dict(detection.indicator).get("type") or (detection.observable.type if detection.observable else ""))
    if kind in ("domain", "url", "ip"):
        module = detection.module.lower()
        if any(name in module for name in MESSAGE_MODULES):
            return EXPLANATIONS["link_message"]
        if any(name in module for name in BROWSER_MODULES):
            return EXPLANATIONS["link_browser"]
        return EXPLANATIONS["network"]
    if kind in ("sha1", "md5"):
        kind = "sha256"
    if kind.startswith("cert_"):
        kind = "cert"
    return EXPLANATIONS.get(kind, "A value on the phone matches a published trace of mercenary spyware.")


def _descriptions(case: dict[str, Any]) -> dict[str, str]:
    """Module name -> its one-line description, as case.json records it."""
    return {name: str(_dict(info).get("description")) for name, info in _dict(case.get("modules")).items()
            if _dict(info).get("description")}


def _device_label(case: dict[str, Any]) -> str:
    device = _dict(_dict(case.get("acquisition")).get("device"))
    parts = [str(device[key]) for key in ("name", "model") if device.get(key)]
    return " \u2014 ".join(parts) or "unknown phone"


def _key_values(rows: list[tuple[str, Any]]) -> str:
    items = "".join(f"<dt>{_text(key)}</dt><dd>{_text(value)}</dd>" for key, value in rows
                    if value not in (None, "", [], {}))
    return f"<dl>{items}</dl>" if items else ""


def _table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{_text(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if isinstance(value, _Status):
        css = {"ok": "status-ok", "error": "status-error", "not present": "status-not-present"}.get(value, "")
        return f"<td class=\"{css}\">{_text(value)}</td>"
    text = _text(value).replace("\n", "<br>")
    return f"<td>{text}</td>"


def _text(value: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """Escaped text for element content or a quoted attribute; None is empty."""
    if value is None:
        return ""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + f"\u2026 ({len(text) - limit} more characters)"
    return html.escape(text.translate(_VISIBLE), quote=True)


def _when(value: Any) -> str:
    """A timestamp as "2021-07-01 10:00:00 UTC"; text that is not one is shown as it is."""
    if value is None or value == "":
        return ""
    moment = value
    if not isinstance(moment, datetime):
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
