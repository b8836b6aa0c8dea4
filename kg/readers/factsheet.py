"""Read fact sheets (YAML, or CSV for spreadsheet users) and check them against their JSON Schema.

A fact sheet lists quotes of one source and the statements each quote supports. The schema
(``kg/schemas/factsheet.schema.json``, shipped in the package) documents the form and lets editors
complete it: put ``# yaml-language-server: $schema=<path to the schema>`` on the first line.
This module only reads and checks the form; `kg.factsheets` resolves names and makes the graphs.

CSV form (one statement per row; rows with the same ``entry`` belong to one quote, the quote is
given on the entry's first row)::

    entry,quote,subject,relation,object,claimant,content,about,type,date
    talks,"The two ministers met in Port Ellis on 4 May 2024.",Port Ellis talks,class,Dialogue,,,,,
    talks,,Port Ellis talks,date,2024-05-04,,,,,
    talks,,Port Ellis talks,participant,Norland,,,,,
    vow,"Norland said the accord would hold.",,,,Norland,The accord will hold.,Harbour Accord,pledge,

``relation`` is a relation of the ontology, or ``class`` (declares a new entity: subject is its
English label, object its class), ``alias`` or ``description``. A row with ``content`` is a claim.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kg.errors import SheetError

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "factsheet.schema.json"
YAML_SUFFIXES = (".yaml", ".yml")
CSV_SUFFIXES = (".csv",)
CSV_COLUMNS = ("entry", "quote", "subject", "relation", "object", "claimant", "content", "about", "type", "date")
MAX_SHEET_BYTES = 64 * 1024 * 1024


@dataclass
class Sheet:
    """A fact sheet as read: its data in the schema's form, and where each entry starts."""

    path: Path
    data: dict[str, Any]
    entry_lines: list[int | None] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def entries(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.data.get("entries", [])
        return entries

    def entry_name(self, index: int) -> str:
        entry = self.entries[index] if index < len(self.entries) else {}
        return f"{index + 1}" + (f" ({entry['id']})" if isinstance(entry, dict) and entry.get("id") else "")

    def line(self, index: int | None) -> int | None:
        if index is None:
            return None
        if not self.entry_lines and self.path.suffix.lower() in YAML_SUFFIXES:
            self.entry_lines = _yaml_entry_lines(self.path)
        return self.entry_lines[index] if index < len(self.entry_lines) else None

    def error(self, message: str, index: int | None = None, field_path: str | None = None) -> SheetError:
        """A one-line error naming this sheet (and line), the entry and the field."""
        return SheetError(
            self.name, message, self.entry_name(index) if index is not None else None, field_path, self.line(index)
        )


def read_sheet(path: Path) -> Sheet:
    """Read and check one sheet; SheetError naming the sheet, entry and field on any problem."""
    suffix = path.suffix.lower()
    if suffix not in YAML_SUFFIXES + CSV_SUFFIXES:
        raise SheetError(str(path), f"unknown fact sheet type {suffix or '(none)'!r} (use .yaml, .yml or .csv)")
    from kg.errors import InputFileError
    from kg.limits import read_regular_file

    if not path.exists() and not path.is_symlink():
        raise SheetError(str(path), "no such file")
    try:
        text = read_regular_file(path, MAX_SHEET_BYTES, "fact sheet").decode("utf-8")
    except InputFileError as error:
        raise SheetError(str(path), error.detail) from None
    except UnicodeDecodeError as error:
        raise SheetError(str(path), f"not UTF-8 text (byte {error.start})") from None
    if suffix in CSV_SUFFIXES:
        try:
            sheet = _read_csv(path, text)
        except csv.Error as error:
            raise SheetError(str(path), f"not valid CSV: {error}") from None
    else:
        sheet = _read_yaml(path, text)
    _check_schema(sheet)
    return sheet


@cache
def _loader() -> Any:
    """PyYAML's safe loader (libyaml when present) that leaves dates as written: `2023-03-16` is text."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader: Any = type("SheetLoader", (base,), {})
    loader.yaml_implicit_resolvers = {
        first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return loader


def _read_yaml(path: Path, text: str) -> Sheet:
    import yaml

    try:
        data = yaml.load(text, Loader=_loader())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise SheetError(str(path), f"not valid YAML: {error.problem or error}", line=line) from None
    except yaml.YAMLError as error:
        raise SheetError(str(path), f"not valid YAML: {error}") from None
    except RecursionError:
        raise SheetError(str(path), "nested too deeply") from None
    if not isinstance(data, dict):
        raise SheetError(str(path), "a fact sheet is a mapping with `entries` (and optionally `source`)")
    try:
        return Sheet(path, _plain(data))
    except _Alias:
        raise SheetError(str(path), "YAML anchors and aliases (&name, *name) are not allowed in a fact sheet") from None
    except RecursionError:
        raise SheetError(str(path), "nested too deeply") from None


class _Alias(Exception):
    """Internal: a YAML alias (the same node twice), refused to keep sheets from expanding."""


def _plain(value: Any, seen: set[int] | None = None) -> Any:
    """A copy of the loaded data with dates as the ISO text the schema expects.

    PyYAML builds an alias (`*name`) as a second reference to the anchored node; a node met twice
    is refused, so a few lines of aliases cannot expand into billions of entries.
    """
    seen = set() if seen is None else seen
    if isinstance(value, (dict, list)):
        if id(value) in seen:
            raise _Alias
        seen.add(id(value))
        if isinstance(value, dict):
            return {str(k) if isinstance(k, dt.date) else k: _plain(v, seen) for k, v in value.items()}
        return [_plain(v, seen) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _yaml_entry_lines(path: Path) -> list[int | None]:
    """The line where each entry starts (only computed when an error is reported)."""
    import yaml

    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, OSError):
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "entries" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _read_csv(path: Path, text: str) -> Sheet:
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown or "quote" not in columns:
        problem = f"unknown column {unknown[0]!r}" if unknown else "no `quote` column"
        raise SheetError(str(path), f"{problem}; the columns are {', '.join(CSV_COLUMNS)}", line=1)
    entries: list[dict[str, Any]] = []
    lines: list[int | None] = []
    by_id: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        ident, quote = row.get("entry", ""), row.get("quote", "")
        if quote and (not ident or ident not in by_id):
            entries.append({"quote": quote, **({"id": ident} if ident else {})})
            lines.append(number)
            if ident:
                by_id[ident] = len(entries) - 1
        elif ident in by_id:
            if quote and quote != entries[by_id[ident]]["quote"]:
                raise SheetError(str(path), f"entry {ident!r} already has another quote", line=number)
        elif ident:
            raise SheetError(str(path), f"entry {ident!r} starts without a quote", line=number, field="quote")
        elif not entries:
            raise SheetError(str(path), "the first row needs a quote", line=number, field="quote")
        entry = entries[by_id[ident]] if ident in by_id else entries[-1]
        _csv_row(entry, row)
    return Sheet(path, {"entries": entries}, lines)


def _csv_row(entry: dict[str, Any], row: dict[str, str]) -> None:
    if row.get("content") or row.get("claimant"):
        claim: dict[str, Any] = {"claimant": row.get("claimant", ""), "content": row.get("content", "")}
        for column, key in (("about", "about"), ("type", "type"), ("date", "date")):
            if row.get(column):
                claim[key] = row[column]
        entry.setdefault("claims", []).append(claim)
        return
    subject, relation, value = row.get("subject", ""), row.get("relation", ""), row.get("object", "")
    if not (subject or relation or value):
        return
    if relation == "class":
        entry.setdefault("entities", []).append({"label": subject, "class": value})
    elif relation in ("alias", "description"):
        for entity in entry.get("entities", []):
            if entity["label"] == subject:
                if relation == "alias":
                    entity.setdefault("aliases", []).append(value)
                else:
                    entity["description"] = value
                return
        entry.setdefault("facts", []).append({"subject": subject, "relation": relation, "object": value})
    else:
        entry.setdefault("facts", []).append({"subject": subject, "relation": relation, "object": value})


@cache
def schema() -> dict[str, Any]:
    """The fact sheet JSON Schema shipped in the package."""
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


@cache
def _fast_validator() -> Any:
    """The schema compiled to Python by fastjsonschema: checks a 10,000-entry sheet in about a second."""
    import fastjsonschema

    return fastjsonschema.compile(schema())


def _check_schema(sheet: Sheet) -> None:
    """fastjsonschema says whether the sheet conforms; jsonschema explains the best-matching fault."""
    import fastjsonschema
    import jsonschema

    try:
        _fast_validator()(sheet.data)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(sheet.data))
    if error is None:
        return
    where = list(error.absolute_path)
    index = None
    if len(where) >= 2 and where[0] == "entries" and isinstance(where[1], int):
        index, where = where[1], where[2:]
    field_path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".") or None
    raise sheet.error(_schema_message(error), index, field_path)


_PATTERNS = {
    "date": "is not a date (use 2023, 2023-03 or 2023-03-16)",
    "language": "is not a language tag (en, ja, ko, …)",
    "url": "is not an http(s) URL",
    "id": "is not an id (letters, digits, '.', '_' and '-')",
}


def _schema_message(error: Any) -> str:
    if error.validator in ("anyOf", "oneOf") and error.context:
        error = min(error.context, key=lambda e: len(list(e.absolute_path)))
    message = str(error.message)
    if error.validator == "pattern":
        pattern = error.validator_value
        kind = (
            "date"
            if pattern.startswith("^-?\\d{4}")
            else "language"
            if "A-Za-z]{2,3}" in pattern
            else "url"
            if pattern.startswith("^https?")
            else "id"
            if "._-" in pattern
            else None
        )
        if kind:
            message = f"{error.instance!r} {_PATTERNS[kind]}"
    return message if len(message) <= 200 else message[:197] + "…"


def schema_document(classes: list[str], relations: list[str], concepts: list[str]) -> dict[str, Any]:
    """The JSON Schema, with the ontology's classes, relations and concepts offered for completion.

    Completion lists are `anyOf` an enum or any name, so a sheet is never refused by the schema
    for a term; kg resolves terms itself and suggests the nearest names.
    """

    def names(kind: str, values: list[str], description: str) -> dict[str, Any]:
        return {
            "description": description,
            "anyOf": [{"enum": values}, {"type": "string", "pattern": r"^(kgc?:)?[A-Za-z][A-Za-z0-9_-]*$"}],
            "$comment": f"{kind} of the kg ontology",
        }

    text = {"type": "string", "minLength": 1}
    name = {**text, "description": "A label or alias of an entity in any language, or a CURIE such as kgr:japan."}
    names_ = {"anyOf": [{"$ref": "#/$defs/name"}, {"type": "array", "items": {"$ref": "#/$defs/name"}, "minItems": 1}]}
    date = {
        "description": "A date at its real precision: 2023, 2023-03 or 2023-03-16.",
        "type": ["string", "integer"],
        "pattern": r"^-?\d{4}(-\d{2}(-\d{2})?)?$",
    }
    value = {
        "description": "An entity name (for relations between entities), a concept (for kg:category, "
        "kg:outlook, kg:claimType, kg:newStatus) or a value (text, date, number, true/false).",
        "anyOf": [
            {"type": ["string", "number", "boolean"]},
            {"type": "array", "items": {"type": ["string", "number", "boolean"]}, "minItems": 1},
        ],
    }
    statement = {
        "type": "object",
        "additionalProperties": False,
        "required": ["subject", "relation", "object"],
        "properties": {
            "subject": {"$ref": "#/$defs/name"},
            "relation": {"$ref": "#/$defs/relation"},
            "object": {"$ref": "#/$defs/value"},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://w3id.org/kg-diplomacy/schemas/factsheet.schema.json",
        "title": "kg fact sheet",
        "description": "Quotes of one source and the statements each supports; `kg add SHEET` turns "
        "every entry into an evidence graph. Generated from the ontology by "
        "`python -m kg.readers.factsheet`.",
        "type": "object",
        "additionalProperties": False,
        "required": ["entries"],
        "properties": {
            "source": {"$ref": "#/$defs/source"},
            "language": {"$ref": "#/$defs/language"},
            "entries": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
        },
        "$defs": {
            "name": name,
            "names": names_,
            "date": date,
            "value": value,
            "language": {
                "type": "string",
                "pattern": r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
                "description": "Language of the sheet's texts (contents, descriptions); default: the source's.",
            },
            "class": names("classes", classes, "A class of the ontology: Summit, JointDeclaration, Person…"),
            "relation": names("relations", relations, "A relation of the ontology: host, party, date…"),
            "concept": names("concepts", concepts, "A concept of the kg schemes: assertion, pledge, historical…"),
            "source": {
                "type": "object",
                "additionalProperties": False,
                "required": ["file", "title"],
                "description": "The source the quotes come from; registered in the store on first use.",
                "properties": {
                    "file": {**text, "description": "The text file (.txt or .md), relative to the sheet."},
                    "title": text,
                    "publisher": text,
                    "issued": {"$ref": "#/$defs/date"},
                    "url": {"type": "string", "pattern": r"^https?://\S+$"},
                    "language": {"$ref": "#/$defs/language"},
                },
            },
            "entity": {
                "type": "object",
                "additionalProperties": False,
                "required": ["label", "class"],
                "description": "A new entity the quote introduces.",
                "properties": {
                    "label": {**text, "description": "Its English label (unique in the store)."},
                    "class": {"$ref": "#/$defs/class"},
                    "aliases": {"type": "array", "items": text},
                    "labels": {
                        "type": "object",
                        "description": "Labels in other languages: {ja: …, ko: …}.",
                        "propertyNames": {"pattern": r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"},
                        "additionalProperties": text,
                    },
                    "description": text,
                    "date": {"$ref": "#/$defs/date"},
                    "relations": {
                        "type": "object",
                        "description": "relation: value(s), as facts about this entity.",
                        "propertyNames": {"$ref": "#/$defs/relation"},
                        "additionalProperties": {"$ref": "#/$defs/value"},
                    },
                },
            },
            "fact": {**statement, "description": "A statement the quote supports."},
            "proposition": {**statement, "description": "What a claim asserts (never asserted as a fact)."},
            "claim": {
                "type": "object",
                "additionalProperties": False,
                "required": ["claimant", "content"],
                "description": "What an actor says, kept apart from the facts.",
                "properties": {
                    "claimant": {"$ref": "#/$defs/names"},
                    "content": text,
                    "about": {"$ref": "#/$defs/names"},
                    "label": text,
                    "type": {"$ref": "#/$defs/concept"},
                    "date": {"$ref": "#/$defs/date"},
                    "addressee": {"$ref": "#/$defs/names"},
                    "made_at": {"$ref": "#/$defs/name"},
                    "proposition": {"$ref": "#/$defs/proposition"},
                },
            },
            "entry": {
                "type": "object",
                "additionalProperties": False,
                "required": ["quote"],
                "properties": {
                    "id": {
                        "type": "string",
                        "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                        "description": "Names the evidence graph (default: from the quote).",
                    },
                    "quote": {
                        **text,
                        "description": "The exact words of the source (line breaks and curly or "
                        "straight quote marks may differ).",
                    },
                    "entities": {"type": "array", "items": {"$ref": "#/$defs/entity"}},
                    "facts": {"type": "array", "items": {"$ref": "#/$defs/fact"}},
                    "claims": {"type": "array", "items": {"$ref": "#/$defs/claim"}},
                },
            },
        },
    }


def main() -> None:
    """Print the schema generated from the bundled ontology (to refresh the shipped file)."""
    from kg.resolve import ontology_terms

    terms = ontology_terms()
    document = schema_document(sorted(terms.classes), sorted(terms.relations), sorted(terms.concepts))
    print(json.dumps(document, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
