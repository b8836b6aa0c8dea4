"""Refuse queries that would make the store reach outside itself (SERVICE, LOAD, foreign FROM).

Oxigraph runs SERVICE and LOAD as HTTP requests; kg never does. The check scans the query's
tokens (strings, IRIs and comments are skipped, so a keyword inside a literal is harmless) and
names the line and column of what it refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kg.errors import ForbiddenQueryError
from kg.namespaces import PREFIXES

_TOKEN = re.compile(
    r'''(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')'''
    r"|(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)"
    r"|(?P<comment>\#[^\n]*)"
    r"|(?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)"
    r"|(?P<name>[A-Za-z_\u00c0-\uffff][\w\-.\u00b7\u00c0-\uffff]*(?::[\w\-.:%\u00b7\u00c0-\uffff]*)?|:[\w\-.:%\u00c0-\uffff]*)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    offset: int


def tokens(query: str) -> Iterator[Token]:
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield Token(kind, match.group(), match.start())


def position(query: str, offset: int) -> str:
    line = query.count("\n", 0, offset) + 1
    column = offset - (query.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def check_query(query: str, graph_exists: Callable[[str], bool] | None = None) -> None:
    """Raise ForbiddenQueryError for SERVICE, LOAD, or FROM/FROM NAMED of a graph not in the store."""
    items = list(tokens(query))
    prefixes: dict[str, str] = {}
    for index, token in enumerate(items):
        word = token.text.upper() if token.kind == "name" else ""
        if word == "PREFIX" and index + 2 < len(items) and items[index + 2].kind == "iri":
            prefixes[items[index + 1].text.rstrip(":")] = items[index + 2].text[1:-1]
        elif word in ("SERVICE", "LOAD"):
            raise ForbiddenQueryError(
                f"{word} refused at {position(query, token.offset)}: "
                "kg never fetches data from the network or local files"
            )
        elif word == "FROM":
            target = items[index + 1] if index + 1 < len(items) else None
            if target is not None and target.kind == "name" and target.text.upper() == "NAMED":
                target = items[index + 2] if index + 2 < len(items) else None
            if target is None:
                continue
            iri = _expand(target, prefixes)
            if iri is None or graph_exists is None or not graph_exists(iri):
                raise ForbiddenQueryError(
                    f"FROM {target.text} refused at {position(query, target.offset)}: "
                    "it names no graph in the store, and kg never fetches remote or local files"
                )


def _expand(token: Token, prefixes: dict[str, str]) -> str | None:
    if token.kind == "iri":
        return token.text[1:-1]
    if token.kind == "name" and ":" in token.text:
        prefix, _, local = token.text.partition(":")
        namespace = prefixes.get(prefix, PREFIXES.get(prefix))
        return None if namespace is None else namespace + local
    return None
