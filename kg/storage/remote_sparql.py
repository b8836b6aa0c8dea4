"""Query text and results for remote stores: prefixes, parameters bound as VALUES, ordering, result parsing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from kg.errors import ParameterError
from kg.namespaces import PREFIXES

# --------------------------------------------------------------------------------------------------
# Query text: prefixes, parameters, dataset


def query_tokens(sparql: str) -> list[Any]:
    from kg.sparql_guard import tokens

    return list(tokens(sparql))


def prefix_lines(sparql: str, items: list[Any] | None = None) -> str:
    """PREFIX declarations for the kg prefixes the query uses without declaring them."""
    items = query_tokens(sparql) if items is None else items
    declared: set[str] = set()
    used: list[str] = []
    for index, token in enumerate(items):
        if token.kind != "name":
            continue
        if token.text.upper() == "PREFIX" and index + 1 < len(items):
            declared.add(items[index + 1].text.split(":", 1)[0])
        elif ":" in token.text:
            prefix = token.text.split(":", 1)[0]
            if prefix in PREFIXES and prefix not in used:
                used.append(prefix)
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in used if p not in declared)


def values_clause(substitutions: dict[ox.Variable, Any] | None) -> str:
    """A VALUES block binding each variable to its term, written by pyoxigraph (never pasted text)."""
    if not substitutions:
        return ""
    names, terms = [], []
    for variable, term in substitutions.items():
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise ParameterError(f"parameter {variable.value}: only IRIs and literals can be bound on a remote store")
        names.append(str(variable))
        terms.append(str(term))
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"


def bind_values(sparql: str, substitutions: dict[ox.Variable, Any] | None, items: list[Any] | None = None) -> str:
    """The query with its parameters bound by a VALUES block opening its WHERE clause.

    At the top of the WHERE clause, as pyoxigraph's substitution does, the values apply before
    grouping, ordering and LIMIT (Virtuoso applies a trailing VALUES clause after LIMIT).
    A query without a WHERE group to open (CONSTRUCT WHERE, DESCRIBE <iri>) gets a trailing clause.
    """
    block = values_clause(substitutions)
    if not block:
        return sparql
    items = query_tokens(sparql) if items is None else items
    where = _where_brace(items)
    if where is None:
        if _has_trailing_values(items):
            raise ParameterError(
                "parameters cannot be bound in this query on a remote store (it ends with its own VALUES clause)"
            )
        return f"{sparql}\n{block}\n"
    offset = items[where].offset + 1
    return f"{sparql[:offset]} {block}\n{sparql[offset:]}"


def _where_brace(items: list[Any]) -> int | None:
    """Index of the token opening the query's WHERE group, or None."""
    forms = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
    start = next((i for i, t in enumerate(items) if t.kind == "name" and t.text.upper() in forms), None)
    if start is None:
        return None
    index = start + 1
    if items[start].text.upper() == "CONSTRUCT":
        while index < len(items) and not _is(items[index], "{") and not _is_word(items[index], "WHERE"):
            index += 1
        if index < len(items) and _is_word(items[index], "WHERE"):
            return None  # CONSTRUCT WHERE { … }: the template is the pattern, no VALUES allowed in it
        index = _skip_group(items, index)  # the template
    for position in range(index, len(items)):
        if _is(items[position], "{"):
            return position
    return None


def _skip_group(items: list[Any], index: int) -> int:
    depth = 0
    for position in range(index, len(items)):
        if _is(items[position], "{"):
            depth += 1
        elif _is(items[position], "}"):
            depth -= 1
            if depth == 0:
                return position + 1
    return len(items)


def _is(token: Any, text: str) -> bool:
    return bool(token.kind == "other" and token.text == text)


def _is_word(token: Any, word: str) -> bool:
    return bool(token.kind == "name" and token.text.upper() == word)


def _has_trailing_values(items: list[Any]) -> bool:
    depth = 0
    for token in items:
        if _is(token, "{"):
            depth += 1
        elif _is(token, "}"):
            depth -= 1
        elif depth == 0 and _is_word(token, "VALUES"):
            return True
    return False


@dataclass(frozen=True)
class Order:
    prologue: str  # the query's PREFIX and BASE declarations
    clause: str  # ORDER BY …
    slice: str  # LIMIT … OFFSET …, or ""
    slice_start: int
    slice_end: int
    limit: int | None
    offset: int | None


_AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}


def ordering(sparql: str, items: list[Any], kind: Any) -> Order | None:
    """The ORDER BY of a SELECT query, when kg can apply it to the answer's rows itself.

    Virtuoso 7.2 sorts language-tagged strings by their first few characters only, so its ORDER BY
    (and what LIMIT keeps after it) differs from the embedded store's. kg asks it for all rows and
    orders and slices them with pyoxigraph, when the ordering uses only variables of the answer.
    """
    if not isinstance(kind, ox.QuerySolutions):
        return None
    depth, order_at, slice_at = 0, None, None
    for index, token in enumerate(items):
        if _is(token, "{"):
            depth += 1
        elif _is(token, "}"):
            depth -= 1
        elif depth == 0 and _is_word(token, "ORDER") and index + 1 < len(items) and _is_word(items[index + 1], "BY"):
            order_at = index
        elif (
            depth == 0
            and order_at is not None
            and slice_at is None
            and token.kind == "name"
            and token.text.upper() in ("LIMIT", "OFFSET", "VALUES")
        ):
            slice_at = index
    if order_at is None:
        return None
    end = items[slice_at].offset if slice_at is not None else len(sparql)
    clause = sparql[items[order_at].offset : end]
    order_items = items[order_at:slice_at]
    projected = {v.value for v in kind.variables}
    if any(t.kind == "var" and t.text[1:] not in projected for t in order_items) or any(
        t.kind == "name" and t.text.upper() in _AGGREGATES for t in order_items
    ):
        return None
    limit = offset = None
    slice_end = slice_start = end
    index = slice_at if slice_at is not None else len(items)
    while index + 1 < len(items) and (_is_word(items[index], "LIMIT") or _is_word(items[index], "OFFSET")):
        value = items[index + 1].text
        if not value.isdigit():
            return None
        if items[index].text.upper() == "LIMIT":
            limit = int(value)
        else:
            offset = int(value)
        slice_end = items[index + 1].offset + len(value)
        index += 2
    if index < len(items):  # a trailing VALUES clause: leave such queries alone
        return None
    form = next(i for i, t in enumerate(items) if t.kind == "name" and t.text.upper() == "SELECT")
    return Order(
        sparql[: items[form].offset], clause, sparql[slice_start:slice_end], slice_start, slice_end, limit, offset
    )


def solutions(variables: list[ox.Variable], rows: list[list[Any]]) -> Any:
    """A pyoxigraph QuerySolutions holding these rows (through SPARQL results JSON)."""

    def cell(term: Any) -> dict[str, str]:
        if isinstance(term, ox.NamedNode):
            return {"type": "uri", "value": term.value}
        if isinstance(term, ox.BlankNode):
            return {"type": "bnode", "value": term.value}
        if term.language:
            return {"type": "literal", "value": term.value, "xml:lang": term.language}
        return {"type": "literal", "value": term.value, "datatype": term.datatype.value}

    bindings = [{v.value: cell(t) for v, t in zip(variables, row, strict=True) if t is not None} for row in rows]
    document = {"head": {"vars": [v.value for v in variables]}, "results": {"bindings": bindings}}
    return ox.parse_query_results(json.dumps(document), ox.QueryResultsFormat.JSON)


def names_dataset(items: list[Any]) -> bool:
    return any(t.kind == "name" and t.text.upper() == "FROM" for t in items)


WHOLE_UNION = re.compile(
    r"^\s*CONSTRUCT\s*\{\s*\?s\s+\?p\s+\?o\s*\.?\s*\}\s*WHERE\s*\{\s*\?s\s+\?p\s+\?o\s*\.?\s*\}\s*$", re.IGNORECASE
)


# --------------------------------------------------------------------------------------------------
# Results


def fix_results(data: bytes) -> bytes:
    """Make a server's JSON results what pyoxigraph (and the embedded store) would give.

    Virtuoso names blank nodes `nodeID://b10003`, which is no valid label, and writes booleans
    as "1"/"0"; the labels are renamed and the booleans written "true"/"false" (same values).
    """
    if b'"bnode"' not in data and _BOOLEAN.encode() not in data:
        return data
    document = json.loads(data)
    for row in document.get("results", {}).get("bindings", []):
        for value in row.values():
            if value.get("type") == "bnode":
                value["value"] = _blank_label(str(value["value"]))
            elif value.get("datatype") == _BOOLEAN and value.get("value") in ("1", "0"):
                value["value"] = "true" if value["value"] == "1" else "false"
    return json.dumps(document).encode("utf-8")


_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def fix_triple(triple: ox.Triple) -> ox.Triple:
    term = triple.object
    if isinstance(term, ox.Literal) and term.datatype.value == _BOOLEAN and term.value in ("1", "0"):
        value = "true" if term.value == "1" else "false"
        return ox.Triple(triple.subject, triple.predicate, ox.Literal(value, datatype=term.datatype))
    return triple


_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")


def _blank_label(raw: str) -> str:
    if raw.startswith("nodeID://"):
        raw = raw[len("nodeID://") :]
    return raw if _LABEL.match(raw) else "x" + raw.encode("utf-8").hex()


def as_query_triples(triples: Iterable[ox.Triple]) -> Any:
    """A real pyoxigraph QueryTriples holding these triples (what write_result and export expect)."""
    holder = ox.Store()
    holder.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return holder.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")


def graph_format(content_type: str) -> ox.RdfFormat:
    """The RDF syntax of a server's answer by its media type (N-Triples when unknown)."""
    from kg import formats as registry

    found = registry.by_media_type(content_type, "rdf")
    return found.rdf if found is not None and found.rdf is not None else ox.RdfFormat.N_TRIPLES
