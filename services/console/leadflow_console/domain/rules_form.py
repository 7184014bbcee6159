"""The scoring rules as a form, pure: a rules document as rows of text for the inputs, the
inputs as typed back into a whole document, and the scoring service's field paths
(`profiles.b2b.countries.DE`) back to the input they came from, its message in words. What was
typed is kept as typed: a value that is not a number is sent as it is, so the service, which
validates the whole document, names it."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

PROFILES = ("b2b", "b2c")
# The rows of each list or map of a profile, and their columns; a map's key is the `key` column.
ROW_SECTIONS: dict[str, tuple[str, ...]] = {
    "job_titles": ("level", "keywords", "points"),
    "company_sizes": ("min_employees", "points"),
    "countries": ("key", "points"),
    "channels": ("key", "points"),
    "sources": ("key", "points"),
    "activities": ("key", "points", "cap"),
}
MAP_SECTIONS = frozenset({"countries", "channels", "sources", "activities"})
SIGNALS = ("has_email", "has_phone", "consent", "free_mail", "blocked_domain", "competitor_domain")
DOMAIN_LISTS = ("free_mail_domains", "blocked_domains", "competitor_domains")
NUMBER_COLUMNS = frozenset({"points", "cap", "min_employees"})
SPARE_ROWS = 2  # empty rows under each list, to add to it without a script

Rows = dict[str, dict]  # per profile: thresholds, half_life_days, signals, sections, domains, fields


@dataclass
class Candidate:
    """A whole document built from the form, and where each part of it was typed."""

    document: dict
    errors: dict[str, str] = field(default_factory=dict)  # input name → message
    _exact: dict[str, str] = field(default_factory=dict)  # document path → input name
    _rows: dict[str, tuple[str, str]] = field(default_factory=dict)  # row path → (input base, section)

    def input_for(self, path: str) -> str | None:
        """The input a service's field path names (`profiles.b2b.job_titles[1].points` →
        `b2b.job_titles.3.points` when blank rows came before), or None."""
        if path in self._exact:
            return self._exact[path]
        for prefix in sorted(self._rows, key=len, reverse=True):
            if path == prefix or path.startswith((f"{prefix}.", f"{prefix}[")):
                base, section = self._rows[prefix]
                rest = path[len(prefix) :].lstrip(".")
                column = "key" if rest.startswith("[key]") else re.match(r"[a-z_]*", rest).group()
                columns = ROW_SECTIONS[section]
                return f"{base}.{column if column in columns else columns[-1]}"
        for prefix, name in self._exact.items():  # an item of a list typed in one box
            if path.startswith(f"{prefix}["):
                return name
        return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def rows_from_document(document: dict) -> Rows:
    """The rules in use as the form shows them, each list with spare empty rows."""
    rows: Rows = {}
    for profile in PROFILES:
        rules = document["profiles"][profile]
        sections = {}
        for section, columns in ROW_SECTIONS.items():
            if section in MAP_SECTIONS:
                items = [
                    {"key": key, **(value if isinstance(value, dict) else {"points": value})}
                    for key, value in rules.get(section, {}).items()
                ]
            else:
                items = rules.get(section, [])
            sections[section] = [
                {
                    column: _text(", ".join(item[column]) if column == "keywords" else item.get(column))
                    for column in columns
                }
                for item in items
            ]
        rows[profile] = {
            "thresholds": {name: _text(rules["thresholds"][name]) for name in ("warm", "hot")},
            "half_life_days": _text(rules.get("half_life_days")),
            "signals": {name: _text(rules.get(name, 0)) for name in SIGNALS},
            "sections": sections,
            "domains": {name: "\n".join(rules.get(name, [])) for name in DOMAIN_LISTS},
            "fields": json.dumps(rules.get("fields", [])),
        }
    return with_spare_rows(rows)


def with_spare_rows(rows: Rows) -> Rows:
    for profile in rows.values():
        for section, columns in ROW_SECTIONS.items():
            items = [row for row in profile["sections"][section] if any(row.values())]
            profile["sections"][section] = items + [dict.fromkeys(columns, "") for _ in range(SPARE_ROWS)]
    return rows


def rows_from_form(form: Mapping[str, str]) -> Rows:
    """The inputs as typed (`b2b.thresholds.hot`, `b2b.job_titles.0.points`, …), row order kept;
    an empty row, or one whose "remove" box is ticked, is left out."""

    def typed(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    rows: Rows = {}
    for profile in PROFILES:
        sections = {}
        for section, columns in ROW_SECTIONS.items():
            prefix = f"{profile}.{section}."
            indexes = sorted(
                {int(name[len(prefix) :].split(".")[0]) for name in form if name.startswith(prefix)}
            )
            typed_rows = [
                {column: typed(f"{prefix}{index}.{column}").strip() for column in columns}
                for index in indexes
                if not typed(f"{prefix}{index}.remove")
            ]
            # Empty rows are left out here, so a row's place is the same in the document, in
            # the errors and in the form shown again.
            sections[section] = [row for row in typed_rows if any(row.values())]
        rows[profile] = {
            "thresholds": {name: typed(f"{profile}.thresholds.{name}").strip() for name in ("warm", "hot")},
            "half_life_days": typed(f"{profile}.half_life_days").strip(),
            "signals": {name: typed(f"{profile}.{name}").strip() for name in SIGNALS},
            "sections": sections,
            "domains": {name: typed(f"{profile}.{name}") for name in DOMAIN_LISTS},
            "fields": typed(f"{profile}.fields") or "[]",
        }
    return rows


def _number(text: str) -> int | float | str:
    """A number as typed, or the text itself for the service to refuse at its field."""
    cleaned = text.strip().replace("\u2212", "-")
    for kind in (int, float):
        try:
            return kind(cleaned)
        except ValueError:
            continue
    return text


def document_from_rows(rows: Rows) -> Candidate:
    """The whole document the form stands for (empty rows left out), and where each part was typed."""
    candidate = Candidate({"profiles": {}})
    for profile, form in rows.items():
        path = f"profiles.{profile}"
        rules: dict = {"thresholds": {}}
        for name in ("warm", "hot"):
            rules["thresholds"][name] = _number(form["thresholds"][name])
            candidate._exact[f"{path}.thresholds.{name}"] = f"{profile}.thresholds.{name}"
        rules["half_life_days"] = _number(form["half_life_days"])
        candidate._exact[f"{path}.half_life_days"] = f"{profile}.half_life_days"
        for name in SIGNALS:
            rules[name] = _number(form["signals"][name])
            candidate._exact[f"{path}.{name}"] = f"{profile}.{name}"
        for name in DOMAIN_LISTS:
            rules[name] = [line.strip() for line in form["domains"][name].splitlines() if line.strip()]
            candidate._exact[f"{path}.{name}"] = f"{profile}.{name}"
        for section in ROW_SECTIONS:
            rules[section] = _section(candidate, profile, section, form["sections"][section])
        try:
            rules["fields"] = json.loads(form["fields"])
        except json.JSONDecodeError:
            rules["fields"] = []
        candidate._exact[f"{path}.fields"] = f"{profile}.fields"
        candidate.document["profiles"][profile] = rules
    return candidate


def _section(candidate: Candidate, profile: str, section: str, typed_rows: list[dict]) -> list | dict:
    path = f"profiles.{profile}.{section}"
    items: list | dict = {} if section in MAP_SECTIONS else []
    for index, row in enumerate(typed_rows):
        if not any(row.values()):
            continue
        base = f"{profile}.{section}.{index}"
        values = {
            column: _number(text) if column in NUMBER_COLUMNS else text
            for column, text in row.items()
            if column != "key"
        }
        if "keywords" in values:
            values["keywords"] = [word.strip() for word in values["keywords"].split(",") if word.strip()]
        if isinstance(items, list):
            candidate._rows[f"{path}[{len(items)}]"] = (base, section)
            items.append(values)
            continue
        key = row["key"].upper() if section == "countries" else row["key"]
        if key in items:
            candidate.errors[f"{base}.key"] = f"{key or 'An empty name'} is already listed above"
            continue
        candidate._rows[f"{path}.{key}"] = (base, section)
        items[key] = values if section == "activities" else values["points"]
    return items


MESSAGES = [
    (r"Input should be a valid number.*", "Enter a number"),
    (r"Input should be a valid integer.*", "Enter a whole number"),
    (r"Input should be greater than or equal to (\S+)", r"Enter \1 or more"),
    (r"Input should be less than or equal to (\S+)", r"Enter \1 or less"),
    (r"Input should be greater than (\S+)", r"Enter more than \1"),
    (r"Input should be a finite number|must be a finite number", "Enter a number"),
    (r"String should match pattern '\^\[A-Z\]\{2\}\$'", "Enter a two-letter country code, such as DE"),
    (r"String should match pattern.*", "Use letters, digits, _ . : or - only"),
    (r"String should have at least 1 character", "Cannot be empty"),
    (r"List should have at least 1 item.*", "Give at least one keyword"),
    (r"Input should be '([^']+)'.*", "Choose one of the listed channels"),
]


def in_words(message: str) -> str:
    """A validation message as a person reads it; the service's own words otherwise."""
    message = message.removeprefix("Value error, ")
    for pattern, words in MESSAGES:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, words, message)
    return message[:1].upper() + message[1:]


def place_errors(candidate: Candidate, fields: list[dict]) -> tuple[dict[str, str], list[str]]:
    """The service's field errors at their inputs; those of no input (field rules, kept in the
    advanced view) as sentences for the top of the form."""
    at_inputs: dict[str, str] = dict(candidate.errors)
    elsewhere: list[str] = []
    for error in fields:
        name, message = str(error.get("name", "")), in_words(str(error.get("message", "")))
        target = candidate.input_for(name) if name else None
        if target is None or target.endswith(".fields"):
            where = name.removeprefix("profiles.")
            advanced = " (field rules are edited in the advanced view)" if ".fields" in name else ""
            elsewhere.append(f"{where}: {message}{advanced}" if where else message)
        else:
            at_inputs.setdefault(target, message)
    return at_inputs, elsewhere


# A row's first column, named as its table's header says it (the summary said "name" where the
# form says "Country code (two letters)").
KEY_WORDS = {
    "job_titles": "level",
    "countries": "country code",
    "channels": "channel",
    "sources": "source",
    "activities": "activity type",
}
COLUMN_WORDS = {"min_employees": "from employees"}


def field_title(name: str) -> str:
    """An input's name as the error summary says it: `b2b.job_titles.2.points` →
    `B2B job titles, row 3, points`."""
    profile, *parts = name.split(".")
    words = [f"row {int(part) + 1}" if part.isdigit() else part.replace("_", " ") for part in parts]
    if len(words) == 3 and words[1].startswith("row"):
        section, column = parts[0], parts[2]
        said = KEY_WORDS.get(section, "name") if column == "key" else COLUMN_WORDS.get(column, words[2])
        return f"{profile.upper()} {words[0]}, {words[1]}, {said}"
    return f"{profile.upper()} {' '.join(words)}"


# json's own messages as a marketer reads them (it said "Expecting ',' delimiter").
JSON_WORDS = {
    "Expecting ',' delimiter": "a comma is missing",
    "Expecting ':' delimiter": "a colon is missing after a name",
    "Expecting value": "a value is missing (or there is a comma too many)",
    "Expecting property name enclosed in double quotes": "a name must be in double quotes"
    " (or there is a comma too many)",
    "Unterminated string starting at": "a text in quotes is not closed",
    "Invalid control character at": "a line break or tab inside quotes",
    "Extra data": "there is more after the rules' closing brace",
}


def json_problem(error: json.JSONDecodeError) -> str:
    """Where the rules' text stops being JSON, and what is wrong there, in words."""
    what = JSON_WORDS.get(error.msg, error.msg[:1].lower() + error.msg[1:])
    return f"not valid JSON at line {error.lineno}, column {error.colno}: {what}"
