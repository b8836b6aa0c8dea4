"""The SPARQL 1.1 Protocol rules `kg serve` follows, apart from the HTTP wiring (kg.serve).

* `parse_request`: one query or one update per request, from GET parameters, an URL-encoded form
  or a direct POST body (UTF-8 only), with the dataset parameters checked as absolute IRIs.
* `apply_using`: the SPARQL 1.1 dataset rules for updates (`using-graph-uri`,
  `using-named-graph-uri` become USING / USING NAMED clauses; a request that also has USING,
  USING NAMED or WITH in its text is refused, as the Protocol says).
* `negotiate`: the response format for a query form, from `format=`/`output=` (short names or
  media types) or the Accept header; None when nothing acceptable can be produced (406).
* `service_description`: the endpoint's description in Turtle, RDF/XML, JSON-LD or N-Triples.

Every breach raises ProtocolError with the HTTP status to answer and a one-line message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl

from kg import formats as registry
from kg.errors import ProtocolError
from kg.sparql_guard import Token, position, tokens

QUERY_MEDIA = "application/sparql-query"
UPDATE_MEDIA = "application/sparql-update"
FORM_MEDIA = "application/x-www-form-urlencoded"

# What the endpoint accepts beyond the format registry's media types and names (kg.formats): the
# generic XML and JSON types, N3 types for Turtle (Turtle is N3), and the names clients send.
_EXTRA_ALIASES = {
    "json": ("text/javascript", "srj"),
    "xml": ("application/xml", "text/xml", "srx"),
    "turtle": ("application/turtle", "text/n3", "text/rdf+n3", "application/n3", "n3"),
    "ntriples": ("n-triples",),
    "jsonld": ("application/x-json+ld", "application/json", "json"),
    "rdfxml": ("application/xml", "text/xml", "rdf+xml", "rdf/xml", "xml"),
}


def _table(kind: Literal["results", "rdf"]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Format name → (media type sent, media types and names that ask for it), in registry order."""
    found = registry.formats(kind, writable=True, quads=False) if kind == "rdf" else registry.formats(kind)
    return {
        f.name: (f.media_type, (*f.media_types, f.name, *f.aliases, *_EXTRA_ALIASES.get(f.name, ()))) for f in found
    }


RESULT_FORMATS = _table("results")
GRAPH_FORMATS = _table("rdf")
# Graph formats accepted in Graph Store uploads (and multipart parts), by media type.
UPLOAD_FORMATS = {
    **{media: f.name for f in registry.formats("rdf", quads=False) for media in f.media_types},
    "application/turtle": "turtle",
}
HTML = "html"
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")


@dataclass(frozen=True)
class SparqlRequest:
    """One protocol operation: a query or an update, its dataset parameters and the format asked for."""

    query: str | None = None
    update: str | None = None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    using_graphs: tuple[str, ...] = ()
    using_named_graphs: tuple[str, ...] = ()
    formats: tuple[str, ...] = field(default=())

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """('type/subtype', {parameter: value}) of a Content-Type header, lower-cased."""
    if not content_type:
        return "", {}
    main, *options = content_type.split(";")
    parameters = {}
    for option in options:
        key, _, value = option.partition("=")
        parameters[key.strip().lower()] = value.strip().strip('"')
    return main.strip().lower(), parameters


def decode_utf8(body: bytes, content_type: str | None) -> str:
    """The body as text; 415 for a declared charset other than UTF-8, 400 for bytes that are not UTF-8."""
    charset = media_type(content_type)[1].get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8", "us-ascii"):
        raise ProtocolError(415, f"only UTF-8 request bodies are accepted, not charset={charset}")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"the request body is not valid UTF-8 (byte {error.start})") from None


def check_iri(value: str, parameter: str) -> str:
    """An absolute IRI, or ProtocolError 400 naming the parameter."""
    import pyoxigraph as ox

    if not _ABSOLUTE_IRI.match(value):
        raise ProtocolError(400, f"{parameter}: {value!r} is not an absolute IRI")
    try:
        ox.NamedNode(value)
    except ValueError as error:
        raise ProtocolError(400, f"{parameter}: {value!r} is not a valid IRI ({error})") from None
    return value


def parse_request(
    method: str, url_params: Sequence[tuple[str, str]], content_type: str | None, body: bytes
) -> SparqlRequest:
    """The operation of a request to the SPARQL endpoint (GET, or POST form or direct), checked."""
    params = list(url_params)
    media = media_type(content_type)[0]
    direct: tuple[str, str] | None = None
    if method == "POST":
        if media == FORM_MEDIA:
            text = decode_utf8(body, content_type)
            try:
                params += parse_qsl(
                    text, keep_blank_values=True, strict_parsing=bool(text), encoding="utf-8", errors="strict"
                )
            except (ValueError, UnicodeDecodeError):
                raise ProtocolError(400, "the form body is not valid application/x-www-form-urlencoded") from None
        elif media == QUERY_MEDIA:
            direct = ("query", decode_utf8(body, content_type))
        elif media == UPDATE_MEDIA:
            direct = ("update", decode_utf8(body, content_type))
        else:
            shown = media or "no Content-Type"
            raise ProtocolError(
                415,
                f"POST a query as {QUERY_MEDIA}, an update as {UPDATE_MEDIA}, or either as {FORM_MEDIA} (got {shown})",
            )
    values: dict[str, list[str]] = {}
    for key, value in params:
        values.setdefault(key, []).append(value)
    if direct is not None:
        if "query" in values or "update" in values:
            raise ProtocolError(
                400, f"a direct POST carries its {direct[0]} in the body; do not also send query= or update= parameters"
            )
        values[direct[0]] = [direct[1]]
    queries, updates = values.get("query", []), values.get("update", [])
    if method != "POST" and updates:
        raise ProtocolError(400, "updates must be sent with POST (form or application/sparql-update), never GET")
    if len(queries) + len(updates) > 1:
        what = "query" if len(queries) > 1 else "update" if len(updates) > 1 else "query and update"
        raise ProtocolError(400, f"one operation per request: this request has more than one {what}; nothing was run")
    graphs = {
        name: tuple(check_iri(v, name) for v in values.get(name, []))
        for name in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri")
    }
    if queries and (graphs["using-graph-uri"] or graphs["using-named-graph-uri"]):
        raise ProtocolError(
            400,
            "using-graph-uri and using-named-graph-uri apply to updates; "
            "a query takes default-graph-uri and named-graph-uri",
        )
    if updates and (graphs["default-graph-uri"] or graphs["named-graph-uri"]):
        raise ProtocolError(
            400,
            "default-graph-uri and named-graph-uri apply to queries; "
            "an update takes using-graph-uri and using-named-graph-uri",
        )
    return SparqlRequest(
        query=queries[0] if queries else None,
        update=updates[0] if updates else None,
        default_graphs=graphs["default-graph-uri"],
        named_graphs=graphs["named-graph-uri"],
        using_graphs=graphs["using-graph-uri"],
        using_named_graphs=graphs["using-named-graph-uri"],
        formats=tuple(values.get("format", []) + values.get("output", [])),
    )


def query_form(query: str) -> str | None:
    """'results' (SELECT, ASK) or 'graph' (CONSTRUCT, DESCRIBE); None when the text names no form."""
    for token in tokens(query):
        if token.kind == "name":
            word = token.text.upper()
            if word in ("SELECT", "ASK"):
                return "results"
            if word in ("CONSTRUCT", "DESCRIBE"):
                return "graph"
    return None


def _accepted(header: str) -> list[str]:
    """Media ranges of an Accept header with q > 0, best first (by q, then order)."""
    items = []
    for index, part in enumerate(header.split(",")):
        media, parameters = media_type(part)
        try:
            quality = float(parameters.get("q", "1"))
        except ValueError:
            quality = 0.0
        if media and quality > 0:
            items.append((-quality, index, media))
    return [media for _, _, media in sorted(items)]


def negotiate(kind: str, accept: str | None, formats: Iterable[str] = (), html: bool = True) -> str | None:
    """The format name for a 'results' or 'graph' answer ('html' for browsers), or None (406).

    Values of format=/output= win over Accept; each may be a short name (json, xml, csv, tsv,
    turtle, nt, jsonld, rdfxml, html) or a media type, and the first that fits the query form is used.
    """
    table = RESULT_FORMATS if kind == "results" else GRAPH_FORMATS
    asked = [value.strip().lower().replace(" ", "+") for value in formats if value.strip()]
    if asked:
        for value in asked:
            if value in (HTML, "text/html") and html:
                return HTML
            for name, (_, aliases) in table.items():
                if value in aliases:
                    return name
        return None
    ranges = _accepted(accept or "*/*") or ["*/*"]
    for media in ranges:
        if media == "text/html" and html:
            return HTML
        if media == "*/*":
            return next(iter(table))
        for name, (_, aliases) in table.items():
            if media in aliases or (media.endswith("/*") and aliases[0].startswith(media[:-1])):
                return name
    return None


def content_type(kind: str, name: str) -> str:
    """The Content-Type header for a format name."""
    media = (RESULT_FORMATS if kind == "results" else GRAPH_FORMATS)[name][0]
    text = media.startswith("text/") or media.endswith("json")
    return media + ("; charset=utf-8" if text else "")


def acceptable_list(kind: str) -> str:
    table = RESULT_FORMATS if kind == "results" else GRAPH_FORMATS
    return ", ".join(media for media, _ in table.values())


def apply_using(update: str, using: Sequence[str], using_named: Sequence[str]) -> str:
    """The update with the protocol's using-graph-uri/using-named-graph-uri as USING clauses.

    Each DELETE/INSERT operation gets `USING <g>` / `USING NAMED <g>` before its WHERE (a
    `DELETE WHERE { P }` becomes `DELETE { P } USING … WHERE { P }`). An update that has USING,
    USING NAMED or WITH itself cannot also take the parameters: ProtocolError 400.
    """
    if not using and not using_named:
        return update
    items = list(tokens(update))
    for token in items:
        if token.kind == "name" and token.text.upper() in ("USING", "WITH"):
            raise ProtocolError(
                400,
                f"{token.text.upper()} at {position(update, token.offset)} conflicts with "
                "the using-graph-uri/using-named-graph-uri parameters: use one or the other",
            )
    clause = " ".join([f"USING <{g}>" for g in using] + [f"USING NAMED <{g}>" for g in using_named]) + " "
    insertions: list[tuple[int, str]] = []
    depth = 0
    modify: Token | None = None  # the DELETE/INSERT that opened the current operation
    for index, token in enumerate(items):
        text = token.text.upper() if token.kind == "name" else token.text
        if token.kind == "other" and text == "{":
            depth += 1
        elif token.kind == "other" and text == "}":
            depth -= 1
        elif depth == 0 and token.kind == "other" and text == ";":
            modify = None
        elif depth == 0 and text in ("DELETE", "INSERT") and modify is None:
            following = items[index + 1] if index + 1 < len(items) else None
            if following is not None and following.kind == "name" and following.text.upper() == "DATA":
                continue
            modify = token
            if following is not None and following.kind == "name" and following.text.upper() == "WHERE":
                pattern = _group_text(update, items, index + 2)
                insertions.append((following.offset, f"{pattern} {clause}"))
        elif depth == 0 and text == "WHERE" and modify is not None and items[index - 1] is not modify:
            insertions.append((token.offset, clause))
    for offset, text in sorted(insertions, reverse=True):
        update = update[:offset] + text + update[offset:]
    return update


def _group_text(text: str, items: list[Token], start: int) -> str:
    """The source text of the brace group that starts at items[start]."""
    if start >= len(items) or items[start].text != "{":
        raise ProtocolError(400, "DELETE WHERE without a pattern")
    depth = 0
    for token in items[start:]:
        if token.kind == "other" and token.text == "{":
            depth += 1
        elif token.kind == "other" and token.text == "}":
            depth -= 1
            if depth == 0:
                return text[items[start].offset : token.offset + 1]
    raise ProtocolError(400, "DELETE WHERE with an unbalanced pattern")


SD_FORMATS = {
    "turtle": "text/turtle",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "ntriples": "application/n-triples",
}


def service_description(endpoint: str, graph_store: str, allow_update: bool, fmt: str) -> bytes:
    """The service description of the endpoint, in one of SD_FORMATS; only what the endpoint supports."""
    import io

    import pyoxigraph as ox

    sd = "http://www.w3.org/ns/sparql-service-description#"
    formats = "http://www.w3.org/ns/formats/"
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    comment = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
    service, dataset, default_graph = ox.NamedNode(endpoint), ox.BlankNode(), ox.BlankNode()
    triples: list[ox.Triple] = []

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p) if ":" in p else ox.NamedNode(sd + p), o))

    triples.append(ox.Triple(service, rdf_type, ox.NamedNode(sd + "Service")))
    add(service, "endpoint", ox.NamedNode(endpoint))
    add(service, "supportedLanguage", ox.NamedNode(sd + "SPARQL11Query"))
    if allow_update:
        add(service, "supportedLanguage", ox.NamedNode(sd + "SPARQL11Update"))
        for name in sorted(set(UPLOAD_FORMATS.values())):
            add(service, "inputFormat", ox.NamedNode(formats + registry.get(name, "rdf").w3c))
    for table in (RESULT_FORMATS, GRAPH_FORMATS):
        for name in table:
            add(
                service,
                "resultFormat",
                ox.NamedNode(formats + registry.get(name, "results" if table is RESULT_FORMATS else "rdf").w3c),
            )
    add(service, "feature", ox.NamedNode(sd + "UnionDefaultGraph"))
    add(service, "feature", ox.NamedNode(sd + "EmptyGraphs"))
    add(service, "defaultDataset", dataset)
    triples.append(ox.Triple(dataset, rdf_type, ox.NamedNode(sd + "Dataset")))
    add(dataset, "defaultGraph", default_graph)
    triples.append(ox.Triple(default_graph, rdf_type, ox.NamedNode(sd + "Graph")))
    triples.append(
        ox.Triple(
            default_graph,
            comment,
            ox.Literal(
                "Queries see the union of the store's own default graph and every named graph; updates and the Graph "
                "Store's ?default read and write the store's own default graph."
            ),
        )
    )
    triples.append(
        ox.Triple(service, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso"), ox.NamedNode(graph_store))
    )
    triples.append(
        ox.Triple(
            ox.NamedNode(graph_store),
            comment,
            ox.Literal(
                "SPARQL 1.1 Graph Store HTTP Protocol endpoint (?graph=IRI, ?default, or direct graph IRIs under it)"
                + ("; writes need the bearer token." if allow_update else "; read-only.")
            ),
        )
    )
    triples.append(
        ox.Triple(
            service,
            comment,
            ox.Literal(
                ("Read-only. " if not allow_update else "SPARQL Update with the bearer token; LOAD is refused. ")
                + "SERVICE and FROM of graphs outside the store are refused; every query has a time limit."
            ),
        )
    )
    output = io.BytesIO()
    rdf_formats = {
        "turtle": ox.RdfFormat.TURTLE,
        "rdfxml": ox.RdfFormat.RDF_XML,
        "jsonld": ox.RdfFormat.JSON_LD,
        "ntriples": ox.RdfFormat.N_TRIPLES,
    }
    prefixes = {"sd": sd, "formats": formats, "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
    ox.serialize(triples, output, rdf_formats[fmt], prefixes=prefixes if fmt in ("turtle", "rdfxml") else None)
    return output.getvalue()


def negotiate_description(accept: str | None, formats: Iterable[str] = ()) -> str | None:
    """The service description format (or 'html' for a browser), None when none is acceptable."""
    asked = [v.strip().lower().replace(" ", "+") for v in formats if v.strip()]
    ranges = asked or _accepted(accept or "*/*") or ["*/*"]
    for media in ranges:
        if media in ("text/html", HTML):
            return HTML
        if media in ("*/*", "text/*"):
            return "turtle"
        for name, (_, aliases) in GRAPH_FORMATS.items():
            if media in aliases or (media.endswith("/*") and aliases[0].startswith(media[:-1])):
                return name
    return None
