"""Cheap checks of RDF bytes before a parser sees them: size, line/literal length, nesting, entities.

Oxigraph's parsers are fast and safe in memory for most input, but a few shapes of hostile input
still hurt: RDF/XML internal entities expand without bound (a 1 KB "billion laughs" file asks for
gigabytes), deeply nested blank nodes make validation crawl, and a token over 16 MB fails with a
bare MemoryError. :func:`check_rdf` refuses those with one line naming the input and line, for
every input path (files of a build or validation, bodies sent to the endpoint).
"""

from __future__ import annotations

import re
from typing import Any

import pyoxigraph as ox

from kg.errors import InputFileError
from kg.limits import Limits, describe_size

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Tokens of the Turtle family that may hold brackets without opening anything: strings, IRIs,
# comments, and backslash escapes of local names (`ex:a\#b`, `ex:a\'b` are not a comment or string).
_TURTLE_OPAQUE = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*"""'
    rb"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    rb'|"(?:[^"\\\n\r]|\\.)*"'
    rb"|'(?:[^'\\\n\r]|\\.)*'"
    rb'|<[^<>"{}|^`\\\x00-\x20]*>'
    rb"|#[^\n\r]*"
    rb"|\\.",
    re.DOTALL,
)
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_TURTLE_BRACKETS, _JSON_BRACKETS = b"[](){}<>", b"[]{}"
_OPENERS = frozenset(b"[({<")
_ALL_BYTES = bytes(range(256))

_LINE_FORMATS = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)
_TURTLE_FORMATS = (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3)


def check_rdf(data: bytes, fmt: ox.RdfFormat, name: str, limits: Limits | None = None) -> bytes:
    """The bytes to give the parser (a UTF-8 byte-order mark removed), or InputFileError.

    Checks the total size, NUL bytes and UTF-16, the longest line (text formats) or JSON string
    or XML text, nesting depth, and for RDF/XML the DOCTYPE: only short internal entities that
    hold plain text, with their total expansion within the size limit.
    """
    limits = limits or Limits.from_env()
    if len(data) > limits.max_input_bytes:
        raise InputFileError(name, f"input is larger than the limit of {describe_size(limits.max_input_bytes)}")
    if data.startswith(_UTF16_BOMS):
        raise InputFileError(name, "UTF-16 text is not supported; save the file as UTF-8", 1, 1)
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM):]
    if fmt == ox.RdfFormat.RDF_XML:
        _check_xml(data, name, limits)
        return data
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _position(data, nul)
        raise InputFileError(name, "NUL byte: this is not a text file", line, column)
    if fmt == ox.RdfFormat.JSON_LD:
        _check_json(data, name, limits)
    else:
        _check_lines(data, name, limits)
        if fmt in _TURTLE_FORMATS:
            _check_depth(_TURTLE_OPAQUE.sub(b" ", data), _TURTLE_BRACKETS, data, name, limits)
    return data


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _check_lines(data: bytes, name: str, limits: Limits) -> None:
    if len(data) <= limits.max_literal_bytes:
        return
    lengths = list(map(len, data.split(b"\n")))
    if max(lengths) > limits.max_literal_bytes:
        number = next(i for i, n in enumerate(lengths, 1) if n > limits.max_literal_bytes)
        raise InputFileError(
            name, f"line longer than {describe_size(limits.max_literal_bytes)} (a literal or IRI this long is refused)",
            number,
        )


def _check_json(data: bytes, name: str, limits: Limits) -> None:
    if len(data) > limits.max_literal_bytes:
        too_long = re.search(rb'"(?:[^"\\]|\\.){%d}' % limits.max_literal_bytes, data, re.DOTALL)
        if too_long:
            line, column = _position(data, too_long.start())
            raise InputFileError(
                name, f"JSON string longer than {describe_size(limits.max_literal_bytes)}", line, column
            )
    _check_depth(_JSON_STRING.sub(b'""', data), _JSON_BRACKETS, data, name, limits)


def _check_depth(code: bytes, brackets: bytes, original: bytes, name: str, limits: Limits) -> None:
    """Refuse nesting deeper than the limit; `code` is the input with its opaque tokens blanked."""
    kept = code.translate(None, delete=bytes(b for b in _ALL_BYTES if b not in brackets))
    if sum(kept.count(bytes([b])) for b in brackets if b in _OPENERS) <= limits.max_depth:
        return
    if int(_depths(kept, brackets).max()) <= limits.max_depth:
        return
    # On the way to an error only: blank the tokens again keeping their newlines, to name the line.
    pattern = _JSON_STRING if brackets == _JSON_BRACKETS else _TURTLE_OPAQUE
    lined = pattern.sub(lambda m: b"\n" * m.group().count(b"\n") or b" ", original)
    offset = int((_depths(lined, brackets) > limits.max_depth).argmax())
    raise InputFileError(
        name, f"nesting deeper than {limits.max_depth} levels (blank nodes, collections, graphs or objects)",
        lined.count(b"\n", 0, offset) + 1,
    )


def _depths(code: bytes, brackets: bytes) -> Any:
    """The nesting depth after each byte of `code` (a numpy array)."""
    import numpy as np

    table = np.zeros(256, dtype=np.int64)
    for byte in brackets:
        table[byte] = 1 if byte in _OPENERS else -1
    return np.cumsum(table[np.frombuffer(code, dtype=np.uint8)])


class _Refused(Exception):
    """An RDF/XML input breaks a limit."""


def _check_xml(data: bytes, name: str, limits: Limits) -> None:
    """Walk the XML with expat (C, no fetching) to bound depth, text and entity expansion."""
    import xml.parsers.expat as expat

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    state = {"depth": 0, "text": 0, "total": 0}

    def start(_tag: str, attributes: dict[str, str]) -> None:
        state["depth"] += 1
        if state["depth"] > limits.max_depth:
            raise _Refused(f"elements nested deeper than {limits.max_depth} levels")
        for value in attributes.values():
            _count(len(value))
        state["text"] = 0

    def end(_tag: str) -> None:
        state["depth"] -= 1
        state["text"] = 0

    def text(chunk: str) -> None:
        state["text"] += len(chunk)
        if state["text"] > limits.max_literal_bytes:
            raise _Refused(f"text longer than {describe_size(limits.max_literal_bytes)} in one element")
        _count(len(chunk))

    def _count(size: int) -> None:
        if size > limits.max_literal_bytes:
            raise _Refused(f"attribute value longer than {describe_size(limits.max_literal_bytes)}")
        state["total"] += size
        if state["total"] > limits.max_input_bytes:
            raise _Refused(f"text expands past the limit of {describe_size(limits.max_input_bytes)}")

    def doctype(_name: str, system_id: str | None, public_id: str | None, _internal: int) -> None:
        if system_id or public_id:
            raise _Refused("DOCTYPE names an external DTD; external DTDs and entities are refused")

    def entity(name: str, parameter: int, value: str | None, _base: Any, system_id: str | None,
               _public: Any, _notation: Any) -> None:
        if parameter:
            raise _Refused(f"DOCTYPE declares the parameter entity %{name}; refused")
        if value is None or system_id:
            raise _Refused(f"DOCTYPE declares the external entity &{name};, refused")
        if len(value) > limits.max_entity_bytes or any(c in value for c in "&%<"):
            raise _Refused(
                f"DOCTYPE entity &{name}; is longer than {limits.max_entity_bytes} bytes or holds markup "
                "or other entities (entity expansion is refused)"
            )

    def external(*_args: Any) -> int:
        raise _Refused("external entity reference refused")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    try:
        parser.Parse(data, True)
    except _Refused as refused:
        raise InputFileError(name, str(refused), parser.CurrentLineNumber, parser.CurrentColumnNumber + 1) from None
    except expat.ExpatError as error:
        message = expat.ErrorString(error.code) if error.code else str(error)
        raise InputFileError(name, f"not well-formed XML: {message}", error.lineno, error.offset + 1) from None
    except RecursionError:
        raise InputFileError(name, f"elements nested deeper than {limits.max_depth} levels") from None
