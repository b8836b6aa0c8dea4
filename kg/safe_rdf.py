"""Cheap checks of RDF bytes before a parser sees them: size, line/literal length, nesting, entities.

Oxigraph's parsers are fast and safe in memory for most input, but a few shapes of hostile input
still hurt: RDF/XML internal entities expand without bound (a 1 KB "billion laughs" file asks for
gigabytes), deeply nested blank nodes make validation crawl, and a token over 16 MB fails with a
bare MemoryError. :func:`check_rdf` refuses those with one line naming the input and line, for
every input path (files of a build or validation, bodies sent to the endpoint).
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

import pyoxigraph as ox

from kg.errors import InputFileError
from kg.limits import MB, Limits, describe_size

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Tokens of the Turtle family that may hold brackets without opening anything: strings, IRIs,
# comments, and backslash escapes of local names (`ex:a\#b`, `ex:a\'b` are not a comment or string).
_TURTLE_OPAQUE = re.compile(
    rb'"""(?:[^"\\]++|\\.|"(?!""))*+"""'
    rb"|'''(?:[^'\\]++|\\.|'(?!''))*+'''"
    rb'|"(?:[^"\\\n\r]++|\\.)*+"'
    rb"|'(?:[^'\\\n\r]++|\\.)*+'"
    rb'|<[^<>"{}|^`\\\x00-\x20]*+>'
    rb"|#[^\n\r]*+"
    rb"|\\.",
    re.DOTALL,
)
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
# `{` nests only in N3 formulas; in TriG it opens a graph at the top level (nesting it is a syntax error).
_TURTLE_BRACKETS, _N3_BRACKETS, _JSON_BRACKETS = b"[]()<>", b"[](){}<>", b"[]{}"
_OPENERS = frozenset(b"[({<")
_ALL_BYTES = bytes(range(256))


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
        data = data[len(_UTF8_BOM) :]
    if fmt == ox.RdfFormat.RDF_XML:
        _check_xml(data, name, limits)
        return data
    nul = data.find(b"\x00")
    if nul >= 0:
        _check_utf8(data, nul, name)  # a binary file: name its first byte that is not UTF-8, if any
        line, column = _position(data, nul)
        raise InputFileError(name, "NUL byte: this is not a text file", line, column)
    if fmt == ox.RdfFormat.JSON_LD:
        _check_json(data, name, limits)
    else:
        # N-Triples and N-Quads nest only triple terms (<<( … )>>), which crash the parser
        # (stack overflow) when nested deeply enough; the Turtle family nests more.
        _check_lines(data, name, limits)
        brackets = _N3_BRACKETS if fmt == ox.RdfFormat.N3 else _TURTLE_BRACKETS
        _check_depth(data, _TURTLE_OPAQUE, brackets, name, limits)
    return data


def _check_utf8(data: bytes, end: int, name: str) -> None:
    """Raise at the first byte before `end` that is not UTF-8 (decoded in chunks: bounded memory)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    chunk = 1024 * 1024
    for start in range(0, end, chunk):
        try:
            decoder.decode(data[start : min(start + chunk, end)])
        except UnicodeDecodeError as error:
            offset = start + error.start
            line, column = _position(data, offset)
            message = f"invalid UTF-8 byte 0x{data[offset]:02x}: not UTF-8 text"
            raise InputFileError(name, message, line, column) from None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _check_lines(data: bytes, name: str, limits: Limits) -> None:
    """No line, and no long (triple-quoted, multi-line) string, may pass the literal limit."""
    if len(data) <= limits.max_literal_bytes:
        return
    if b'"""' in data or b"'''" in data:  # long strings may span lines: measure each string token
        for token in _TURTLE_OPAQUE.finditer(data):
            if token.end() - token.start() > limits.max_literal_bytes and data[token.start()] in b"\"'":
                line, column = _position(data, token.start())
                raise InputFileError(
                    name, f"string longer than {describe_size(limits.max_literal_bytes)}", line, column
                )
    # A line of `cap` bytes or more holds a whole aligned window of cap/2 bytes: look for windows
    # without a newline (a few finds), and measure the line around any such window exactly.
    cap = limits.max_literal_bytes
    step = max(cap // 2, 1)
    for start in range(0, len(data), step):
        if data.find(b"\n", start, start + step) >= 0:
            continue
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = data.find(b"\n", start)
        if (line_end if line_end >= 0 else len(data)) - line_start > cap:
            raise InputFileError(
                name,
                f"line longer than {describe_size(cap)} (a literal or IRI this long is refused)",
                data.count(b"\n", 0, line_start) + 1,
            )


def _check_json(data: bytes, name: str, limits: Limits) -> None:
    if len(data) > limits.max_literal_bytes:
        for token in _JSON_STRING.finditer(data):
            if token.end() - token.start() > limits.max_literal_bytes:
                line, column = _position(data, token.start())
                raise InputFileError(
                    name, f"JSON string longer than {describe_size(limits.max_literal_bytes)}", line, column
                )
    _check_depth(data, _JSON_STRING, _JSON_BRACKETS, name, limits)


def _check_depth(data: bytes, opaque: re.Pattern[bytes], brackets: bytes, name: str, limits: Limits) -> None:
    """Refuse nesting deeper than the limit, brackets inside strings, IRIs and comments aside."""
    # Fast path: fewer opening brackets in the whole input (strings included) than the limit.
    openers = sum(data.count(bytes([b])) for b in b"[({" if b in brackets)
    if b"<" in brackets:
        openers += data.count(b"<<")
    if openers <= limits.max_depth:
        return
    code = opaque.sub(b" ", data)
    kept = code.translate(None, delete=bytes(b for b in _ALL_BYTES if b not in brackets))
    if max(accumulate(1 if b in _OPENERS else -1 for b in kept), default=0) <= limits.max_depth:
        return
    # On the way to an error only: blank the tokens again keeping their newlines, to name the line.
    lined = opaque.sub(lambda m: b"\n" * m.group().count(b"\n") or b" ", data)
    kept = lined.translate(None, delete=bytes(b for b in _ALL_BYTES if b not in brackets + b"\n"))
    depth, line = 0, 1
    for byte in kept:
        if byte == 10:
            line += 1
            continue
        depth += 1 if byte in _OPENERS else -1
        if depth > limits.max_depth:
            break
    raise InputFileError(
        name,
        f"nesting deeper than {limits.max_depth} levels (blank nodes, collections, graphs, triple terms or objects)",
        line,
    )


def load_rdf(
    store: ox.Store,
    data: bytes,
    fmt: ox.RdfFormat,
    name: str,
    *,
    limits: Limits | None = None,
    bulk: bool = False,
    base_iri: str | None = None,
    to_graph: Any = None,
) -> None:
    """Check `data` (:func:`check_rdf`) and load it into `store`; every failure is InputFileError.

    The one loader of RDF bytes: build and validate call it for files; a server should call it
    for Graph Store bodies, with `Limits(max_input_bytes=…)` set to its request limit.
    """
    data = check_rdf(data, fmt, name, limits)
    loader = store.bulk_load if bulk else store.load
    try:
        loader(data, format=fmt, base_iri=base_iri, to_graph=to_graph)
    except MemoryError as error:
        raise InputFileError(name, f"too large for the parser ({error}); a literal or IRI is too long") from None
    except RecursionError:
        raise InputFileError(name, "nested too deeply for the parser") from None
    except SyntaxError as error:
        raise InputFileError(name, _parser_message(error), error.lineno, error.offset) from None
    except OSError as error:
        raise InputFileError(name, error.strerror or str(error)) from None
    except ValueError as error:
        raise InputFileError(name, str(error)) from None


def _parser_message(error: SyntaxError) -> str:
    """Oxigraph says 'Parser error at line 3 between columns 6 and 11: msg'; keep the msg."""
    message = str(error.msg if error.msg else error)
    head, sep, tail = message.partition(": ")
    return tail if sep and head.startswith("Parser error") else message


class _Refused(Exception):
    """An RDF/XML input breaks a limit."""


def _check_xml(data: bytes, name: str, limits: Limits) -> None:
    """Walk the XML with expat (C, no fetching) to bound depth, text and entity expansion."""
    import xml.parsers.expat as expat

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    state = {"depth": 0, "text": 0, "total": 0}
    # Text and attribute values may not grow much through (short, flat) entities: like expat's own
    # amplification limit, but checked on the sizes Oxigraph will see.
    budget = min(limits.max_input_bytes, 20 * len(data) + MB)

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
        if state["total"] > budget:
            raise _Refused(f"entities expand the text past {describe_size(budget)}, 20 times the input; refused")

    def doctype(_name: str, system_id: str | None, public_id: str | None, _internal: int) -> None:
        if system_id or public_id:
            raise _Refused("DOCTYPE names an external DTD; external DTDs and entities are refused")

    def entity(
        name: str, parameter: int, value: str | None, _base: Any, system_id: str | None, _public: Any, _notation: Any
    ) -> None:
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
