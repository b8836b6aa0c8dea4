"""Refuse queries and updates that would make the store reach outside itself (SERVICE, LOAD, foreign FROM).

Oxigraph runs SERVICE and LOAD as HTTP requests; kg never does. The decision is taken on the
parsed query: rdflib's SPARQL 1.1 parser reads the text and the parse tree is searched for
SERVICE patterns, LOAD operations and FROM / FROM NAMED clauses (FROM is allowed for graphs in
the store). What that parser cannot read is refused (fail closed), with its line and column.

Two cheap steps come first:

* Size limits (`check_limits`): the length, and the nesting depth of '(' '{' '[' counted by a
  small scanner that skips strings, IRIs and comments. Deep nesting crashes parsers (Oxigraph's
  overflows its stack near 3,000 levels); this is a size limit, not a security decision, and the
  scanner errs on the side of counting more.
* A query whose text cannot contain the keywords SERVICE, LOAD or FROM (they are ASCII and
  case-insensitive in SPARQL; checked on the text as written and with \\u escapes expanded)
  cannot contain those operations, so it skips the parser: rdflib's grammar costs about a
  second to import, which the usual query does not pay.

Kept for the rest of kg: `tokens()` (a lexer used to locate what is refused, to add prefix
declarations for remote stores and to name undeclared prefixes) and `position()`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from kg.errors import ForbiddenQueryError, QueryLimitError
from kg.namespaces import PREFIXES

MAX_QUERY_CHARS = 1_000_000
MAX_NESTING = 100

_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_TOKEN_PATTERN = (
    r'''(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')'''
    r"|(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)"
    r"|(?P<comment>\#[^\n]*)"
    r"|(?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)"
    rf"|(?P<name>[A-Za-z_\u00c0-\uffff][\w\-.\u00b7\u00c0-\uffff]*(?::(?:[\w\-.:\u00b7\u00c0-\uffff]|{_PLX})*)?"
    rf"|:(?:[\w\-.:\u00c0-\uffff]|{_PLX})*)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)"
)

# The nesting scanner: strings, IRI-like <...>, comments and escapes are skipped; an IRI-like
# token's own brackets still count towards the depth (in an expression, '<' may be less-than).
_NESTING = re.compile(
    r'''"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'''
    r"""|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)"""
    r"|\#[^\n]*|\\.|(?P<open>[({\[])|(?P<close>[)}\]])|[^'\"<#\\(){}\[\]]+|.",
    re.DOTALL,
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_REACHES_OUT = ("service", "load", "from")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    offset: int


@cache
def _token_regex() -> re.Pattern[str]:
    return re.compile(_TOKEN_PATTERN, re.DOTALL)  # about 30 ms to compile: only when needed


def tokens(query: str) -> Iterator[Token]:
    for match in _token_regex().finditer(query):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield Token(kind, match.group(), match.start())


def position(query: str, offset: int) -> str:
    line = query.count("\n", 0, offset) + 1
    column = offset - (query.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _expand_escapes(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd"

    return _UNICODE_ESCAPE.sub(replace, text)


def nesting(text: str, limit: int = MAX_NESTING) -> tuple[int, int]:
    """(deepest nesting of '(' '{' '[' outside strings and comments, offset where it first passes `limit`)."""
    depth = deepest = 0
    where = -1
    for match in _NESTING.finditer(text):
        if match.group("open"):
            depth += 1
            reached = depth
        elif match.group("close"):
            depth = max(depth - 1, 0)
            continue
        elif match.group("iri"):
            reached = depth + sum(match.group().count(c) for c in "([")
        else:
            continue
        if reached > deepest:
            deepest = reached
            if deepest > limit and where < 0:
                where = match.start()
    return deepest, max(where, 0)


def check_limits(text: str, what: str = "query") -> None:
    """Raise QueryLimitError if the text is longer or more deeply nested than kg accepts."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryLimitError(f"{what} refused: {len(text):,} characters, more than the limit of {MAX_QUERY_CHARS:,}")
    for variant in (text, _expand_escapes(text)) if "\\" in text else (text,):
        deepest, where = nesting(variant)
        if deepest > MAX_NESTING:
            raise QueryLimitError(
                f"{what} refused at {position(variant, where)}: brackets nested {deepest} deep "
                f"('(', '{{' or '['), more than the limit of {MAX_NESTING}"
            )


def _may_reach_out(text: str) -> bool:
    """False only if neither the text nor its \\u-expanded form contains SERVICE, LOAD or FROM."""
    variants = [text.lower()]
    if "\\" in text:
        variants.append(_expand_escapes(text).lower())
    return any(word in variant for variant in variants for word in _REACHES_OUT)


def check_query(query: str, graph_exists: Callable[[str], bool] | None = None) -> None:
    """Raise ForbiddenQueryError for SERVICE, LOAD, or FROM/FROM NAMED of a graph not in the store;
    QueryLimitError for a query too long or too deeply nested."""
    _check(query, graph_exists, update=False)


def check_update(update: str, graph_exists: Callable[[str], bool] | None = None) -> None:
    """The same checks for a SPARQL Update request (LOAD, and SERVICE in a WHERE clause, are refused)."""
    _check(update, graph_exists, update=True)


def _check(text: str, graph_exists: Callable[[str], bool] | None, update: bool) -> None:
    what = "update" if update else "query"
    check_limits(text, what)
    if not _may_reach_out(text):
        return
    tree = _parse(text, update)
    prefixes = dict(PREFIXES)
    found: list[tuple[str, Any]] = []
    for name, node in _walk(tree):
        if name == "PrefixDecl":
            prefixes[str(dict.get(node, "prefix") or "")] = str(dict.get(node, "iri"))
        elif name in ("ServiceGraphPattern", "Load", "DatasetClause"):
            found.append((name, node))
    for name, _ in found:
        if name in ("ServiceGraphPattern", "Load"):
            word = "SERVICE" if name == "ServiceGraphPattern" else "LOAD"
            raise ForbiddenQueryError(
                f"{word} refused{_at(text, word)}: kg never fetches data from the network or local files"
            )
    datasets = [node for name, node in found if name == "DatasetClause"]
    for nth, node in enumerate(datasets, start=1):
        target = dict.get(node, "default")
        iri = _iri(dict.get(node, "named") if target is None else target, prefixes)
        if iri is None or graph_exists is None or not graph_exists(iri):
            written, where = _from_target(text, nth)
            shown = written or (f"<{iri}>" if iri is not None else "its graph")
            raise ForbiddenQueryError(
                f"FROM {shown} refused{where}: it names no graph in the store, "
                "and kg never fetches remote or local files"
            )


def _parse(text: str, update: bool) -> Any:
    """rdflib's parse tree of the text; anything it cannot read is refused (fail closed)."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    what = "update" if update else "query"
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # pyparsing recurses ~40 frames per nesting level
    first, second = (parseUpdate, parseQuery) if update else (parseQuery, parseUpdate)
    refused = f"{what} refused: it may use SERVICE, LOAD or FROM and kg's SPARQL checker cannot read it"
    try:
        try:
            return first(text)
        except ParseBaseException as error:
            detail = f"{' '.join(str(error.msg).split())} at line {error.lineno}, column {error.col}"
        try:
            return second(text)  # an update sent as a query (or the reverse): check it as what it is
        except ParseBaseException:
            raise ForbiddenQueryError(f"{refused} ({detail}); kg runs only what it has checked") from None
    except (RecursionError, MemoryError, ValueError, TypeError, KeyError) as error:
        raise ForbiddenQueryError(f"{refused} ({type(error).__name__}); kg runs only what it has checked") from None
    finally:
        sys.setrecursionlimit(limit)


def _walk(tree: Any) -> Iterator[tuple[str, Any]]:
    """Every node of rdflib's parse tree with its grammar rule name (CompValue.name), iteratively."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [tree]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[Any] = []
        if isinstance(node, CompValue):
            yield node.name, node
            children = list(dict.values(node))
        elif isinstance(node, ParseResults):
            named: Any = node
            children = list(node) + list(named.values())
        elif isinstance(node, list | tuple):
            children = list(node)
        elif isinstance(node, dict):
            children = list(node.values())
        stack.extend(reversed(children))  # document order


def _iri(term: Any, prefixes: dict[str, str]) -> str | None:
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef

    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, CompValue) and term.name == "pname":
        namespace = prefixes.get(str(dict.get(term, "prefix") or ""))
        if namespace is None:
            return None
        local = re.sub(r"\\(.)", r"\1", str(dict.get(term, "localname") or ""))
        return namespace + local
    return None


def _at(text: str, word: str, nth: int = 1) -> str:
    """' at line L, column C' of the nth keyword token WORD, or '' when the lexer does not find it."""
    count = 0
    for token in tokens(text):
        if token.kind == "name" and token.text.upper() == word:
            count += 1
            if count == nth:
                return f" at {position(text, token.offset)}"
    return ""


def _from_target(text: str, nth: int) -> tuple[str, str]:
    """The graph of the nth FROM clause as written, and ' at line L, column C' of it ('' if not found)."""
    items = list(tokens(text))
    count = 0
    for index, token in enumerate(items):
        if token.kind == "name" and token.text.upper() == "FROM":
            count += 1
            if count == nth:
                target = items[index + 1] if index + 1 < len(items) else None
                if target is not None and target.kind == "name" and target.text.upper() == "NAMED":
                    target = items[index + 2] if index + 2 < len(items) else None
                if target is not None and target.kind in ("iri", "name"):
                    return target.text, f" at {position(text, target.offset)}"
    return "", ""
