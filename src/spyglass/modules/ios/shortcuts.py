"""Shortcuts app automations: each shortcut, its actions, and every URL the actions hold.

Reads:   HomeDomain Library/Shortcuts/Shortcuts.sqlite (/private/var/mobile/Library/Shortcuts/).
         ZSHORTCUT: Z_PK, ZNAME, ZCREATIONDATE, ZMODIFICATIONDATE (Apple seconds),
         ZACTIONCOUNT, ZACTIONSDESCRIPTION, ZWORKFLOWID, ZTOMBSTONED, ZACTIONS.
         ZSHORTCUTACTIONS.ZDATA: a binary plist array of {WFWorkflowActionIdentifier,
         WFWorkflowActionParameters}. Actions are linked by ZSHORTCUTACTIONS.ZSHORTCUT (iOS 14+)
         or by ZSHORTCUT.ZACTIONS -> ZSHORTCUTACTIONS.Z_PK (iOS 12-13).
Yields:  one record per shortcut, timestamped at creation; url observables from
         WFURLActionURL and every URL, domain, address or number in any text parameter (an
         automation can fetch a payload URL, or message a number, with no trace in Safari).
Seen:    iOS 12-18.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.extract import extract
from spyglass.limits import MAX_FIELD_CHARS
from spyglass.modules import Artifact
from spyglass.plists import load_plist
from spyglass.records import Observable, Record, flag, iso_utc, observables, text_field
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="shortcuts",
    description="Shortcuts app automations and the URLs their actions use",
    paths=('/private/var/mobile/Library/Shortcuts/Shortcuts.sqlite',),
    tables={"ZSHORTCUT": {"Z_PK", "ZNAME"}},
    os_versions="iOS 12-18",
)

OPTIONAL_COLUMNS = ("ZCREATIONDATE", "ZMODIFICATIONDATE", "ZACTIONCOUNT", "ZACTIONSDESCRIPTION", "ZWORKFLOWID",
                    "ZTOMBSTONED", "ZASSOCIATEDAPPBUNDLEIDENTIFIER", "ZSOURCE", "ZGALLERYIDENTIFIER")
URL_PARAMETERS = frozenset({"WFURLActionURL", "WFURL"})
MAX_ACTIONS = 5000
MAX_STRINGS = 20_000
MAX_DEPTH = 32


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    columns = db.columns("ZSHORTCUT")
    action_columns = db.columns("ZSHORTCUTACTIONS")
    selected = ["s.Z_PK", "s.ZNAME", *db.present("ZSHORTCUT", OPTIONAL_COLUMNS, "s")]
    join, data = "", "NULL AS ZDATA"
    if {"ZSHORTCUT", "ZDATA"} <= action_columns:
        join, data = " LEFT JOIN ZSHORTCUTACTIONS a ON a.ZSHORTCUT = s.Z_PK", "a.ZDATA"
    elif {"Z_PK", "ZDATA"} <= action_columns and "ZACTIONS" in columns:
        join, data = " LEFT JOIN ZSHORTCUTACTIONS a ON a.Z_PK = s.ZACTIONS", "a.ZDATA"
    order = "s.ZCREATIONDATE, s.Z_PK" if "ZCREATIONDATE" in columns else "s.Z_PK"
    query = f"SELECT {', '.join(selected)}, {data} FROM ZSHORTCUT s{join} ORDER BY {order}"
    for row in db.rows(query):
        yield _record(dict(zip(row.keys(), row, strict=True)))


def _record(row: dict[str, Any]) -> Record:
    name = text_field(row["ZNAME"])
    created_at, modified_at = apple_time(row.get("ZCREATIONDATE")), apple_time(row.get("ZMODIFICATIONDATE"))
    actions, action_error = decode_actions(row["ZDATA"])
    found: list[Observable] = []
    for action in actions:
        found.extend(Observable("url", url) for url in action["urls"])
        for text in action["texts"]:
            found.extend(extract(text))
    description = text_field(row.get("ZACTIONSDESCRIPTION"))
    urls = list(dict.fromkeys(o.value for o in found if o.type == "url"))
    message = f"Shortcut {name!r}" + (f": {description}" if description else "")
    if urls:
        message += f" - URLs: {', '.join(urls[:5])}"
    fields: dict[str, Any] = {
        "shortcut_id": row["Z_PK"],
        "name": name,
        "workflow_id": text_field(row.get("ZWORKFLOWID")),
        "created": iso_utc(created_at),
        "modified": iso_utc(modified_at),
        "created_raw": row.get("ZCREATIONDATE"),
        "action_count": row.get("ZACTIONCOUNT"),
        "description": description,
        "deleted": flag(row.get("ZTOMBSTONED")),
        "associated_app": text_field(row.get("ZASSOCIATEDAPPBUNDLEIDENTIFIER")),
        "source": text_field(row.get("ZSOURCE")),
        "gallery_identifier": text_field(row.get("ZGALLERYIDENTIFIER")),
        "actions": [{"identifier": a["identifier"], "urls": a["urls"]} for a in actions],
        "urls": urls,
    }
    if action_error:
        fields["actions_error"] = action_error
    return Record(timestamp=created_at, timestamp_desc="shortcut created", message=message, fields=fields,
                  observables=observables(*((o.type, o.value) for o in found)))


def decode_actions(blob: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The actions of a ZDATA blob: identifier, explicit URL parameters, and every text value."""
    if not isinstance(blob, bytes) or not blob:
        return [], None
    try:
        items = load_plist(blob, "ZSHORTCUTACTIONS.ZDATA")
    except EvidenceError as exc:
        return [], str(exc)
    if not isinstance(items, list):
        return [], "action data is not a list"
    actions = []
    for item in items[:MAX_ACTIONS]:
        if not isinstance(item, dict):
            continue
        parameters = item.get("WFWorkflowActionParameters")
        texts: list[str] = []
        urls: list[str] = []
        _walk(parameters, texts, urls, None, 0)
        actions.append({"identifier": text_field(item.get("WFWorkflowActionIdentifier")), "texts": texts,
                        "urls": list(dict.fromkeys(urls))})
    return actions, None


def _walk(value: Any, texts: list[str], urls: list[str], key: str | None, depth: int) -> None:
    """Collect every string of a parameter tree; a string under a URL parameter is a URL as is
    (Shortcuts accepts URLs without a scheme there, which text extraction would not take)."""
    if depth > MAX_DEPTH or len(texts) >= MAX_STRINGS:
        return
    if isinstance(value, str):
        text = value[:MAX_FIELD_CHARS]
        texts.append(text)
        candidate = text.strip()
        if key in URL_PARAMETERS and candidate and " " not in candidate and ("." in candidate or ":" in candidate):
            urls.append(candidate)
    elif isinstance(value, dict):
        for child_key, child in value.items():
            # Text tokens nest the text under Value -> string; keep the parameter's name.
            inherited = key if child_key in ("Value", "string") else str(child_key)
            _walk(child, texts, urls, inherited, depth + 1)
    elif isinstance(value, list):
        for child in value:
            _walk(child, texts, urls, key, depth + 1)


