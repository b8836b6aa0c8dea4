"""Format query results and records for the terminal or a file: table, CSV, TSV, JSON, XML, RDF."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import IO, Any

import pyoxigraph as ox

from kg import formats as registry
from kg.errors import KgError
from kg.namespaces import PREFIXES, XSD, shorten

RESULT_FORMATS = {f.name: f.results for f in registry.formats("results")}
GRAPH_FORMATS = {f.name: f.rdf for f in registry.formats("rdf", writable=True)}
QUERY_FORMATS = ["table", *RESULT_FORMATS, *GRAPH_FORMATS]


def term_text(term: Any) -> str:
    """A term as a person reads it: literal text, `prefix:name` for IRIs, `_:id` for blank nodes."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


def python_value(term: Any) -> Any:
    """A term as a Python value: numbers as numbers, booleans as bools, the rest as text."""
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype in (XSD + "integer", XSD + "int", XSD + "long", XSD + "nonNegativeInteger"):
            return int(term.value)
        if datatype in (XSD + "decimal", XSD + "double", XSD + "float"):
            return float(term.value)
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
    return term_text(term)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _truncate(text: str, width: int) -> str:
    """`text` cut to `width` display columns, ending with … when cut."""
    if _width(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        w = _width(char)
        if used + w > width - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + "…"


def _fit(widths: list[int], headers: Sequence[str], width: int) -> list[int]:
    """Narrow the widest columns until the table fits `width` (two spaces between columns); no
    column goes below its header or 8 columns."""
    widths = list(widths)
    floor = [max(min(_width(h), 12), 8) for h in headers]
    while sum(widths) + 2 * (len(widths) - 1) > width:
        widest = max(range(len(widths)), key=lambda i: widths[i] - floor[i])
        if widths[widest] <= floor[widest]:
            break
        widths[widest] -= 1
    return widths


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, width: int | None = None) -> str:
    """Plain aligned columns (CJK-aware), one line per row, cells' newlines flattened. With `width`
    (a terminal's), wide columns are cut with … so each line fits."""
    cells = [[" ".join(str(c).split()) for c in row] for row in rows]
    widths = [_width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], _width(cell))
    if width is not None:
        widths = _fit(widths, headers, width)
        cells = [[_truncate(c, widths[i]) for i, c in enumerate(row)] for row in cells]
        headers = [_truncate(h, widths[i]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (widths[i] - _width(v)) for i, v in enumerate(values)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def terminal_width(stream: Any) -> int | None:
    """The width to fit tables to: the terminal's when `stream` is one, else None (piped output
    is never cut)."""
    import os
    import shutil

    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return max(40, shutil.get_terminal_size((int(os.environ.get("COLUMNS", "100")), 24)).columns)


def write_result(result: Any, fmt: str, stream: IO[bytes], *, width: int | None = None) -> int:
    """Write a pyoxigraph query result in `fmt`; returns the rows or triples written (-1: not counted)."""
    if isinstance(result, ox.QueryBoolean):
        if fmt == "table":
            stream.write(b"true\n" if bool(result) else b"false\n")
        elif fmt in RESULT_FORMATS:
            _write_text(stream, result.serialize(None, RESULT_FORMATS[fmt]) or b"")
        else:
            raise KgError("an ASK query gives true or false; use --format table, json, xml, csv or tsv")
        return 1
    if isinstance(result, ox.QueryTriples):
        if fmt == "table":
            fmt = "turtle"
        if fmt not in GRAPH_FORMATS:
            raise KgError(f"a CONSTRUCT or DESCRIBE query gives triples; use --format {', '.join(GRAPH_FORMATS)}")
        return write_triples(list(result), fmt, stream)
    if fmt in GRAPH_FORMATS:
        raise KgError(f"a SELECT query gives rows; use --format table, {', '.join(RESULT_FORMATS)}")
    if fmt in RESULT_FORMATS:
        _write_text(stream, result.serialize(None, RESULT_FORMATS[fmt]) or b"")
        return -1
    variables = [v.value for v in result.variables]
    rows = [[term_text(row[v]) for v in variables] for row in result]
    stream.write((format_table(variables, rows, width=width) + "\n").encode("utf-8"))
    stream.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n".encode())
    return len(rows)


def write_triples(triples: Sequence[ox.Triple], fmt: str, stream: IO[bytes]) -> int:
    """Triples in an RDF format of the registry (quad formats put them in the default graph)."""
    syntax = registry.get(fmt, "rdf")
    prefixes = PREFIXES if syntax.prefixes else None
    if syntax.quads:
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
        ox.serialize(quads, stream, syntax.rdf, prefixes=prefixes)
    else:
        ox.serialize(triples, stream, syntax.rdf, prefixes=prefixes)
    return len(triples)


def _write_text(stream: IO[bytes], data: bytes) -> None:
    stream.write(data if data.endswith(b"\n") else data + b"\n")


ROW_FORMATS = ("table", "csv", "json")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value)


def _json_value(value: Any) -> Any:
    """JSON for scripts: no value is null (not ""), lists stay arrays."""
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def write_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, stream: IO[bytes], *, width: int | None = None
) -> None:
    """Records (dicts) as an aligned table, CSV or a JSON array; only `columns` are shown.

    JSON gives each record's `iri` first when it has one (an entity's IRI, under "iri" or "node"),
    null for missing values and arrays for lists; table and CSV join lists with "; ". A table is
    fitted to `width` columns (a terminal's width) when given.
    """
    import csv
    import io
    import json

    if fmt == "json":
        payload = []
        for row in rows:
            item: dict[str, Any] = {}
            iri = row.get("iri", row.get("node"))
            if iri is not None and "iri" not in columns:
                item["iri"] = iri
            item.update({c: _json_value(row.get(c)) for c in columns})
            payload.append(item)
        stream.write((json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    elif fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(row.get(c)) for c in columns] for row in rows])
        stream.write(text.getvalue().encode("utf-8"))
    else:
        cells = [[_cell(row.get(c)) for c in columns] for row in rows]
        stream.write((format_table(list(columns), cells, width=width) + "\n").encode("utf-8"))
