"""Golden QA sets: one JSON object per line, checked line by line (format: shared/eval/README.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import InputError

LANGS: tuple[str, ...] = ("zh", "en")
TYPES: tuple[str, ...] = ("number", "entity", "date", "comparison", "unanswerable")
FIELDS: tuple[str, ...] = ("id", "lang", "question", "type", "values", "expect", "doc", "evidence", "note")


@dataclass(frozen=True)
class QAItem:
    """One golden question. ``values`` for number questions, ``expect`` groups for the others."""

    id: str
    lang: str
    question: str
    type: str
    values: tuple[float, ...] = ()
    expect: tuple[tuple[str, ...], ...] = ()
    doc: str = ""
    evidence: str = ""
    note: str = ""

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


def default_dataset_path() -> Path:
    """The dev set shipped with the package (``rag/data/dev_qa.jsonl``)."""
    from importlib.resources import files

    return Path(str(files("rag").joinpath("data/dev_qa.jsonl")))


def load_dataset(path: str | Path, *, skip_invalid: bool = False, warn=None) -> list[QAItem]:
    """Read and check a QA file; every bad line is reported at once in one InputError (or, with
    ``skip_invalid``, left out and reported through ``warn``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"Cannot read dataset {str(path)!r}: {err}. Give a UTF-8 JSON-lines file.") from err
    return parse_dataset(text, str(path), skip_invalid=skip_invalid, warn=warn)


def parse_dataset(text: str, name: str = "<dataset>", *, skip_invalid: bool = False, warn=None) -> list[QAItem]:
    """Items from JSON-lines text (blank lines skipped); ``name`` is used in error messages."""
    items: list[QAItem] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(f"line {number}: not valid JSON ({err.msg} at column {err.colno})")
            continue
        if not isinstance(data, dict):
            problems.append(f"line {number}: expected a JSON object, got {type(data).__name__}")
            continue
        errors = _check(data)
        item_id = data.get("id")
        if isinstance(item_id, str) and item_id in seen:
            errors.append(f"id {item_id!r} repeats line {seen[item_id]}")
        if errors:
            problems.append(f"line {number}: " + "; ".join(errors))
            continue
        seen[item_id] = number
        items.append(_item(data))
    if problems and skip_invalid and items:
        if warn is not None:
            warn(f"{name}: skipped {len(problems)} bad line(s): " + "; ".join(problems[:5]))
    elif problems:
        listing = "\n  ".join(problems)
        raise InputError(
            f"{name}: {len(problems)} bad line(s):\n  {listing}\n"
            "Fix these lines; each must be one JSON object with the fields described in the QA format "
            "(id, lang, question, type, then values / expect / doc / evidence as the type needs)."
        )
    if not items:
        raise InputError(f"{name}: no questions found. Give a JSON-lines file with one question per line.")
    return items


def _check(data: dict[str, Any]) -> list[str]:
    """What is wrong with one decoded line (empty if nothing)."""
    errors: list[str] = []
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        errors.append(f"unknown field(s) {', '.join(unknown)} (allowed: {', '.join(FIELDS)})")
    for key in ("id", "question"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            errors.append(f"'{key}' must be a non-empty string")
    if data.get("lang") not in LANGS:
        errors.append(f"'lang' is {data.get('lang')!r}; use one of {', '.join(LANGS)}")
    kind = data.get("type")
    if kind not in TYPES:
        errors.append(f"'type' is {kind!r}; use one of {', '.join(TYPES)}")
        return errors
    for key in ("doc", "evidence", "note"):
        if key in data and not isinstance(data[key], str):
            errors.append(f"'{key}' must be a string")
    if kind == "unanswerable":
        for key in ("values", "expect"):
            if key in data:
                errors.append(f"unanswerable questions take no '{key}'")
        return errors
    if not isinstance(data.get("doc"), str) or not data["doc"].strip():
        errors.append(f"{kind} questions need 'doc' (the corpus file holding the evidence)")
    if kind == "number":
        values = data.get("values")
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        ):
            errors.append("number questions need 'values': a non-empty list of plain numbers (3.9万 -> 39000)")
        if "expect" in data:
            errors.append("number questions take 'values', not 'expect'")
    else:
        expect = data.get("expect")
        if (
            not isinstance(expect, list)
            or not expect
            or not all(
                isinstance(group, list) and group and all(isinstance(s, str) and s.strip() for s in group)
                for group in expect
            )
        ):
            errors.append(f"{kind} questions need 'expect': a non-empty list of non-empty lists of spellings")
        if "values" in data:
            errors.append(f"{kind} questions take 'expect', not 'values'")
    return errors


def _item(data: dict[str, Any]) -> QAItem:
    return QAItem(
        id=data["id"],
        lang=data["lang"],
        question=data["question"],
        type=data["type"],
        values=tuple(float(v) for v in data.get("values", ())),
        expect=tuple(tuple(group) for group in data.get("expect", ())),
        doc=data.get("doc", ""),
        evidence=data.get("evidence", ""),
        note=data.get("note", ""),
    )
