"""An import's mapping, read whole and checked before a row is sent; a CSV row as a lead.

A mapping is JSON: `columns` maps a CSV column to a lead field (`email`, `country`,
`consent.email`, `attribution.source`, `attributes.<name>`, ...) either as a plain string or as
`{"field": ..., "type": "string"|"number"|"bool", "map": {raw: value}}`, where a mapped value of
null leaves the field empty; `templates` builds fields from other columns
(`"email": "lead-{Lead Number}@example.com"`); `empty` lists raw values meaning "not given".
Columns the mapping does not name are not sent (the importer lists them).

Every mistake in a mapping is found before the first row goes (a field capture would file under
`attributes` because of a typo, a column the file lacks), and all of them are said at once.
"""

import json
import string
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from leadflow_capture.domain.leads import AttributionInput, ConsentInput, LeadInput

KINDS = ("string", "number", "bool")
DOCUMENT_KEYS = ("columns", "templates", "empty", "description")
NESTED: dict[str, type[BaseModel]] = {"consent": ConsentInput, "attribution": AttributionInput}
TOP_FIELDS = tuple(name for name in LeadInput.model_fields if name not in (*NESTED, "attributes"))
MAX_ATTRIBUTE_NAME = 64


class ImportProblem(Exception):
    """Why an import cannot start or go on, in words for the person running it."""


@dataclass(frozen=True)
class Column:
    lead_field: str
    kind: str = "string"
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, Column]
    templates: dict[str, str] = field(default_factory=dict)
    empty: frozenset[str] = frozenset({""})

    def needed_columns(self) -> list[str]:
        """Every CSV column the mapping reads, named or in a template, in the order given."""
        needed = list(self.columns)
        for template in self.templates.values():
            needed += [name for _, name, _, _ in string.Formatter().parse(template) if name]
        return list(dict.fromkeys(needed))

    def canonical(self) -> str:
        """The mapping as one text, the same in every run (a set's order is not)."""
        columns = {name: [c.lead_field, c.kind, c.values] for name, c in self.columns.items()}
        whole = {"columns": columns, "templates": self.templates, "empty": sorted(self.empty)}
        return json.dumps(whole, sort_keys=True, default=str)

    def column_of(self, lead_field: str) -> str | None:
        """The CSV column that fills a lead field (for a rejected row's words)."""
        return next((name for name, column in self.columns.items() if column.lead_field == lead_field), None)


def read_mapping(path: Path) -> Mapping:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportProblem(f"the mapping {path} cannot be read: {_reason(error)}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportProblem(
            f"the mapping {path} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    return parse_mapping(document, str(path))


def parse_mapping(document: Any, name: str = "the mapping") -> Mapping:
    """The mapping, or one ImportProblem listing every mistake in it."""
    if not isinstance(document, dict):
        raise ImportProblem(f"{name} must be a JSON object with columns (and templates, empty)")
    problems = [
        f"unknown key {key!r} (a mapping has {', '.join(DOCUMENT_KEYS)})"
        for key in document
        if key not in DOCUMENT_KEYS
    ]
    columns = _columns(document.get("columns", {}), problems)
    templates = _templates(document.get("templates", {}), problems)
    empty = document.get("empty", [""])
    if not isinstance(empty, list) or not all(isinstance(value, str) for value in empty):
        problems.append('empty: a list of texts meaning "not given", such as ["", "Select"]')
        empty = [""]
    if not columns and not templates and not problems:
        problems.append("columns: name at least one CSV column and the lead field it fills")
    if problems:
        raise ImportProblem(f"{name} has mistakes:\n" + "\n".join(f"  - {p}" for p in problems))
    return Mapping(columns, templates, frozenset(empty))


def _columns(given: Any, problems: list[str]) -> dict[str, Column]:
    if not isinstance(given, dict):
        problems.append('columns: an object of CSV column to lead field, such as {"Email": "email"}')
        return {}
    columns: dict[str, Column] = {}
    for name, spec in given.items():
        spec = {"field": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
            problems.append(f'column {name!r}: a lead field, or {{"field": ..., "type": ..., "map": ...}}')
            continue
        unknown = [key for key in spec if key not in ("field", "type", "map")]
        kind, values = spec.get("type", "string"), spec.get("map", {})
        if unknown:
            problems.append(f"column {name!r}: unknown key {unknown[0]!r} (field, type, map)")
        if kind not in KINDS:
            problems.append(f"column {name!r}: type {kind!r} is not one of {', '.join(KINDS)}")
        if not isinstance(values, dict):
            problems.append(f"column {name!r}: map is an object of raw value to the value sent")
            values = {}
        if fault := field_problem(spec["field"]):
            problems.append(f"column {name!r}: {fault}")
        columns[name] = Column(spec["field"], kind, values)
    return columns


def _templates(given: Any, problems: list[str]) -> dict[str, str]:
    if not isinstance(given, dict) or not all(isinstance(value, str) for value in given.values()):
        problems.append(
            'templates: an object of lead field to text, such as {"email": "lead-{Id}@x.example"}'
        )
        return {}
    for lead_field, template in given.items():
        if fault := field_problem(lead_field):
            problems.append(f"template {lead_field!r}: {fault}")
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
        except ValueError as error:
            problems.append(f"template {lead_field!r}: {error} (a column is written {{Column name}})")
            continue
        if "" in names or any(name.isdigit() for name in names):
            problems.append(f"template {lead_field!r}: name a column inside each {{}}")
    return given


def field_problem(path: str) -> str | None:
    """Why a lead field path is not one capture knows (None when it is)."""
    parent, _, name = path.partition(".")
    if parent == "attributes" and name:
        return (
            None if len(name) <= MAX_ATTRIBUTE_NAME else f"attribute names are at most {MAX_ATTRIBUTE_NAME}"
        )
    if parent in NESTED and name:
        known = tuple(NESTED[parent].model_fields)
        return None if name in known else f"{path!r} is not a field; {parent} has {', '.join(known)}"
    if path in TOP_FIELDS:
        return None
    return (
        f"{path!r} is not a lead field (fields: {', '.join(TOP_FIELDS)}; consent.email, consent.sms; "
        "attribution.source and the like; your own as attributes.NAME)"
    )


def check_header(mapping: Mapping, header: list[str]) -> list[str]:
    """The file's columns the mapping leaves out; an ImportProblem when it needs what is absent."""
    counted = Counter(header)  # once: a count per column was quadratic (40,000 columns: 30 s)
    repeated = sorted(name for name, times in counted.items() if name and times > 1)  # "": trailing commas
    if repeated:
        raise ImportProblem(f"the file's first line names a column twice: {_names(repeated)}")
    missing = [name for name in mapping.needed_columns() if name not in header]
    if missing:
        raise ImportProblem(
            f"the mapping reads columns the file does not have: {_names(missing)} "
            f"(the file's columns: {_names(header)})"
        )
    needed = set(mapping.needed_columns())
    return [name for name in header if name not in needed]


def row_to_lead(row: dict[str, str], mapping: Mapping) -> dict[str, Any]:
    """One CSV row as a lead body for `POST /v1/leads`."""
    lead: dict[str, Any] = {}

    def put(path: str, value: Any) -> None:
        target = lead
        *parents, name = path.split(".", 1) if path.partition(".")[0] in (*NESTED, "attributes") else [path]
        for parent in parents:
            target = target.setdefault(parent, {})
        target[name] = value

    for name, column in mapping.columns.items():
        raw = (row.get(name) or "").strip()
        if raw in mapping.empty:
            continue
        if raw in column.values:
            value = column.values[raw]
            if value is None:
                continue
        else:
            try:
                value = _convert(raw, column.kind)
            except ValueError:
                value = raw  # left for capture to judge, and reported if it refuses it
        put(column.lead_field, value)
    for path, template in mapping.templates.items():
        put(path, template.format_map(row))
    return lead


def _convert(raw: str, kind: str) -> str | int | float | bool:
    if kind == "number":
        number = float(raw.replace(",", ""))
        return int(number) if number.is_integer() else number
    if kind == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "y", "on")
    return raw


def _names(names: Iterable[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _reason(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "it is not UTF-8 text"
    return getattr(error, "strerror", None) or str(error)
