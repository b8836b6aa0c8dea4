"""SPARQL over the store: canned queries, safely bound parameters, and the network guard.

Library functions return pyoxigraph results (QuerySolutions, QueryBoolean or QueryTriples);
`kg.output` formats them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import ParameterError, QueryError, UnknownQueryError
from kg.namespaces import PREFIXES, XSD, shorten
from kg.resources import queries_dir
from kg.sparql_guard import check_query
from kg.storage.protocol import GraphStore


@dataclass(frozen=True)
class QueryParam:
    """A declared parameter of a canned query: `# param: name type [default]`."""

    name: str
    type: str  # "iri" or an xsd datatype IRI
    default: str | None = None


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    description: str
    text: str
    params: tuple[QueryParam, ...] = field(default_factory=tuple)


_HEADER = re.compile(r"^#\s*(title|description|param):\s*(.*?)\s*$")


def parse_canned(name: str, text: str) -> CannedQuery:
    """Read the `# title:`, `# description:` and `# param:` header lines of a query file."""
    meta: dict[str, str] = {}
    params: list[QueryParam] = []
    for line in text.splitlines():
        match = _HEADER.match(line)
        if not match:
            if line.strip() and not line.startswith("#"):
                break
            continue
        key, value = match.groups()
        if key == "param":
            parts = value.split(maxsplit=2)
            kind = parts[1] if len(parts) > 1 else "xsd:string"
            kind = "iri" if kind == "iri" else _expand_datatype(kind)
            params.append(QueryParam(parts[0], kind, parts[2] if len(parts) > 2 else None))
        else:
            meta[key] = value
    return CannedQuery(name, meta.get("title", name), meta.get("description", ""), text, tuple(params))


@cache
def canned_queries() -> dict[str, CannedQuery]:
    """The queries shipped in kg/queries, by name (file name without .rq)."""
    found = {}
    for path in sorted(queries_dir().glob("*.rq")):
        found[path.stem] = parse_canned(path.stem, path.read_text(encoding="utf-8"))
    return found


def get_canned(name: str) -> CannedQuery:
    queries = canned_queries()
    if name not in queries:
        import difflib

        close = difflib.get_close_matches(name, queries, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `kg query --list`"
        raise UnknownQueryError(f"no canned query named {name!r}{hint}")
    return queries[name]


def describe_params(canned: CannedQuery) -> str:
    """The declared parameters as `name (type, default value)`, for listings."""
    return ", ".join(
        f"{p.name} ({'IRI' if p.type == 'iri' else _short(p.type)}"
        + (f", default {shorten(p.default) if p.type == 'iri' else p.default}" if p.default is not None else "")
        + ")"
        for p in canned.params
    )


def read_query_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QueryError(f"{path}: no such query file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise QueryError(f"{path}: cannot read query file: {error}") from None


def _expand_datatype(name: str) -> str:
    if name.startswith("xsd:"):
        return XSD + name[4:]
    return name


_DATE_PATTERNS = {
    XSD + "date": re.compile(r"^-?\d{4,}-\d{2}-\d{2}$"),
    XSD + "gYearMonth": re.compile(r"^-?\d{4,}-\d{2}$"),
    XSD + "gYear": re.compile(r"^-?\d{4,}$"),
}


def typed_value(name: str, raw: str, kind: str, store: GraphStore | None = None) -> Any:
    """Turn a parameter's text into an RDF term of the declared type, or raise ParameterError."""
    if kind == "iri":
        try:
            return ox.NamedNode(_iri_value(name, raw, store))
        except ValueError as error:  # pyoxigraph: "Invalid IRI code point ..."
            raise ParameterError(f"parameter {name}: {raw!r} is not a valid IRI ({error})") from None
    problem = f"parameter {name}: {raw!r} is not a valid {_short(kind)}"
    if kind in _DATE_PATTERNS:
        if not _DATE_PATTERNS[kind].match(raw):
            raise ParameterError(problem)
        if kind == XSD + "date":
            try:
                dt.date.fromisoformat(raw)
            except ValueError:
                raise ParameterError(problem) from None
        elif kind == XSD + "gYearMonth" and not 1 <= int(raw[-2:]) <= 12:
            raise ParameterError(problem)
    elif kind == XSD + "integer":
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise ParameterError(problem)
    elif kind == XSD + "decimal":
        try:
            Decimal(raw)
        except InvalidOperation:
            raise ParameterError(problem) from None
    elif kind == XSD + "boolean" and raw not in ("true", "false", "1", "0"):
        raise ParameterError(problem)
    if kind == XSD + "string":
        return ox.Literal(raw)
    return ox.Literal(raw, datatype=ox.NamedNode(kind))


def _short(kind: str) -> str:
    return "xsd:" + kind[len(XSD) :] if kind.startswith(XSD) else kind


def _iri_value(name: str, raw: str, store: GraphStore | None) -> str:
    if raw.startswith("<") and raw.endswith(">"):
        return raw[1:-1]
    if re.match(r"^[a-z][a-z0-9+.-]*://", raw, re.I) or raw.startswith("urn:"):
        return raw
    prefix, colon, local = raw.partition(":")
    if colon and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    if store is not None:
        from kg.describe import find_entity

        return find_entity(store, raw).iri
    raise ParameterError(f"parameter {name}: {raw!r} is not an IRI")


def infer_value(raw: str) -> Any:
    """Type of an undeclared parameter, from its look: <iri>, prefix:name, number, date, else string."""
    if (raw.startswith("<") and raw.endswith(">")) or re.match(r"^[a-z][a-z0-9+.-]*://", raw, re.I):
        return ox.NamedNode(raw.strip("<>"))
    prefix, colon, local = raw.partition(":")
    if colon and prefix in PREFIXES and " " not in raw:
        return ox.NamedNode(PREFIXES[prefix] + local)
    if re.fullmatch(r"[+-]?\d+", raw):
        return ox.Literal(raw, datatype=ox.NamedNode(XSD + "integer"))
    if re.fullmatch(r"[+-]?\d*\.\d+", raw):
        return ox.Literal(raw, datatype=ox.NamedNode(XSD + "decimal"))
    for kind, pattern in _DATE_PATTERNS.items():
        if pattern.match(raw):
            return typed_value("value", raw, kind)
    return ox.Literal(raw)


def bind_parameters(
    query: str, raw: dict[str, str], canned: CannedQuery | None = None, store: GraphStore | None = None
) -> dict[ox.Variable, Any]:
    """Substitutions for pyoxigraph: declared types for canned queries, inferred ones otherwise.

    Values are RDF terms handed to the engine, never text pasted into the query.
    """
    bindings: dict[ox.Variable, Any] = {}
    declared = {p.name: p for p in canned.params} if canned else {}
    for name, value in raw.items():
        if canned is not None:
            if name not in declared:
                known = ", ".join(declared) or "none"
                raise ParameterError(f"query {canned.name} has no parameter {name!r} (it has: {known})")
            bindings[ox.Variable(name)] = typed_value(name, value, declared[name].type, store)
        else:
            if not re.search(rf"[?$]{re.escape(name)}\b", query):
                raise ParameterError(f"parameter {name!r}: the query has no variable ?{name}")
            try:
                bindings[ox.Variable(name)] = infer_value(value)
            except ValueError as error:  # pyoxigraph: "Invalid IRI code point ..."
                raise ParameterError(f"parameter {name}: {value!r} is not a valid IRI ({error})") from None
    for param in declared.values():
        if param.name not in raw and param.default is not None:
            bindings[ox.Variable(param.name)] = typed_value(param.name, param.default, param.type, store)
    return bindings


def run_query(
    store: GraphStore,
    sparql: str,
    params: dict[str, str] | None = None,
    canned: CannedQuery | None = None,
) -> Any:
    """Check and run a query with bound parameters; returns the pyoxigraph result object."""
    check_query(sparql, lambda iri: iri in store.named_graphs())
    bindings = bind_parameters(sparql, params or {}, canned, store)
    if canned is not None and bindings and _one_select(sparql):
        # A canned query's parameters open its WHERE group as a VALUES block (as on a remote store):
        # Oxigraph plans the joins from there, where a substitution is applied after a scan
        # (evidence-of at 1M quads: 1.6 s of CPU against under 10 ms). Not with subqueries: a
        # substitution binds the parameter inside them too, a VALUES block outside does not.
        from kg.storage.remote_sparql import bind_values

        sparql, bindings = bind_values(sparql, bindings), {}
    try:
        return store.query(sparql, bindings or None)
    except RuntimeError as error:
        if "SELECT projection" in str(error):
            names = ", ".join(f"?{v.value}" for v in bindings)
            raise ParameterError(
                f"parameters ({names}) must be variables of the SELECT clause (or use SELECT *)"
            ) from None
        raise QueryError(f"query failed: {error}") from None
    except SyntaxError as error:
        raise QueryError(f"invalid SPARQL: {_syntax_message(error, sparql)}") from None
    except (OSError, ValueError) as error:
        raise QueryError(f"query failed: {error}") from None


def solution_rows(result: ox.QuerySolutions) -> tuple[list[str], list[tuple[Any, ...]]]:
    """A SELECT result read in one pass: its variable names, and every row as a tuple of terms in
    that order (None where unbound).

    Rows are read by position (`tuple(solution)`), which costs next to nothing beyond evaluating the
    query; looking each term up by name (`solution["x"]`) cost ~1 µs per term, by `Variable` ~1.6 µs
    (at 1M quads, a sixth of the anchored query's time; measured in bench/bench_memory.py).
    """
    names = [variable.value for variable in result.variables]
    return names, [tuple(solution) for solution in result]


def _one_select(sparql: str) -> bool:
    """Whether the query has no subquery (one SELECT keyword, comments and strings aside)."""
    from kg.storage.remote_sparql import query_tokens

    return sum(1 for t in query_tokens(sparql) if t.kind == "name" and t.text.upper() == "SELECT") == 1


def run_canned(store: GraphStore, name: str, params: dict[str, str] | None = None) -> Any:
    canned = get_canned(name)
    return run_query(store, canned.text, params, canned)


def _syntax_message(error: SyntaxError, query: str) -> str:
    """Oxigraph says 'error at 3:2: expected one of …' (a long grammar list); make it one short line."""
    message = " ".join(str(error).split())
    match = re.match(r"error at (\d+):(\d+): (.*)", message)
    if not match:
        return message
    line, column, detail = int(match.group(1)), int(match.group(2)), match.group(3)
    lines = query.splitlines()
    near = lines[line - 1][column - 1 :].split()[:1] if 0 < line <= len(lines) else []
    if "Prefix not found" in detail:
        undeclared = _undeclared_prefix(query)
        if undeclared:
            return undeclared
        detail = "undeclared prefix"
    elif len(detail) > 120:
        detail = detail[:100].rsplit(",", 1)[0] + ", …"
    where = f"line {line}, column {column}"
    return f"{where}: {detail}" + (f" near {near[0]!r}" if near else " at the end of the query")


def _undeclared_prefix(query: str) -> str | None:
    from kg.sparql_guard import position, tokens

    items = list(tokens(query))
    declared = set(PREFIXES)
    for index, token in enumerate(items):
        if token.kind == "name" and token.text.upper() == "PREFIX" and index + 1 < len(items):
            declared.add(items[index + 1].text.split(":", 1)[0])
        elif token.kind == "name" and ":" in token.text and token.text.split(":", 1)[0] not in declared:
            prefix = token.text.split(":", 1)[0]
            return f"{position(query, token.offset)}: undeclared prefix '{prefix}:' in {token.text!r}"
    return None
