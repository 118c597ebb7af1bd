"""A subject access bundle as a JSON file and as one self-contained, readable HTML page."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone

from pathways.dataprotection.selectors import model_title

# Columns a reader does not need to see first; the values stay in the JSON.
_LAST = ("id", "created_at", "updated_at")
_SUFFIXES = ("__label", "__name", "__username", "__reference")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def subject_access_json(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder) + "\n"


def _heading(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _shown(row: dict[str, Any], key: str) -> str:
    for suffix in _SUFFIXES:
        if row.get(key + suffix):
            return str(row[key + suffix])
    value = row.get(key)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return (
            "; ".join(
                ", ".join(_shown(item, k) for k in _columns([item])) if isinstance(item, dict) else str(item)
                for item in value
            )
            or "—"
        )
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder) if value else "—"
    if isinstance(value, str) and _DATE.match(value):
        return f"{dt.date.fromisoformat(value):%-d %B %Y}"
    if isinstance(value, str) and _DATETIME.match(value):
        return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%-d %B %Y %H:%M")
    return str(value)


def _columns(rows: list[dict[str, Any]], *, hide_value: str | None = None) -> list[str]:
    """Every key, codes before their labels dropped; a column that only repeats `hide_value`
    (the person's own id) is left out."""
    keys: list[str] = []
    for row in rows:
        for key in row:
            if not key.endswith(_SUFFIXES) and key not in keys:
                keys.append(key)
    if hide_value is not None:
        keys = [k for k in keys if k == "id" or any(row.get(k) != hide_value for row in rows)]
    return [k for k in keys if k not in _LAST] + [k for k in _LAST if k in keys]


def _table(title: str, rows: list[dict[str, Any]], anchor: str, *, person_id: str | None = None) -> dict[str, Any]:
    columns = _columns(rows, hide_value=person_id)
    return {
        "title": title,
        "anchor": anchor,
        "headings": [_heading(c) for c in columns],
        "rows": [[_shown(row, c) for c in columns] for row in rows],
    }


def subject_access_html(bundle: dict[str, Any]) -> str:
    person = bundle["person"]
    details = [(_heading(k), _shown(person, k)) for k in _columns([person])]
    person_id = bundle["person_id"]
    records = [
        _table(model_title(label), rows, f"records-{i}", person_id=person_id)
        for i, (label, rows) in enumerate(bundle["records"].items())
    ]
    history = [
        _table(model_title(label), rows, f"history-{i}", person_id=person_id)
        for i, (label, rows) in enumerate(bundle["history"].items())
    ]
    audit = _table("Who has seen or changed this record", bundle["audit"], "audit")
    return render_to_string(
        "dataprotection/subject_access_export.html",
        {
            "bundle": bundle,
            "generated": _shown(bundle, "generated_at"),
            "name": f"{person.get('given_name', '')} {person.get('surname', '')}".strip(),
            "details": details,
            "records": records,
            "history": history,
            "audit": audit,
        },
    )
