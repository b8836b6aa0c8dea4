"""The SPARQL 1.1 Graph Store HTTP Protocol rules `kg serve` follows (the wiring is in kg.serve).

Graphs are named indirectly (`/rdf-graphs?graph=IRI`, `/rdf-graphs?default`) or directly (the
request URL under `/rdf-graphs/` is the graph's IRI). `?default` is the store's own default graph,
the one SPARQL Update writes to without GRAPH; queries see the union of all graphs. A POST to
`/rdf-graphs` itself creates a new graph named under the endpoint and answers its IRI in Location.
Uploads are Turtle, N-Triples, JSON-LD or RDF/XML, or multipart/form-data parts of those.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from kg.errors import ProtocolError
from kg.sparql_protocol import UPLOAD_FORMATS, check_iri, decode_utf8, media_type


@dataclass(frozen=True)
class Target:
    """The graph a request acts on: an IRI, or None for the default graph; `new` for POST creation."""

    graph: str | None
    new: bool = False


def identify(method: str, params: Mapping[str, list[str]], request_url: str, root_url: str) -> Target:
    """The graph a Graph Store request names (400 when it names none, two, or a bad IRI).

    request_url is the request's URL without its query string; root_url the Graph Store's own URL.
    """
    graphs, default = params.get("graph", []), "default" in params
    direct = request_url.rstrip("/") != root_url.rstrip("/")
    if len(graphs) + default + direct > 1:
        raise ProtocolError(400, "name one graph: ?graph=IRI, ?default, or a URL under the Graph Store")
    if graphs:
        return Target(check_iri(graphs[0], "graph"))
    if default:
        return Target(None)
    if direct:
        return Target(check_iri(request_url, "graph"))
    if method == "POST":
        return Target(root_url.rstrip("/") + "/" + uuid.uuid4().hex, new=True)
    raise ProtocolError(400, "name a graph with ?graph=IRI or ?default, or use its URL under the Graph Store")


def read_upload(content_type: str | None, body: bytes) -> list[tuple[str, str]]:
    """[(format, text)] of an upload: one RDF document, or every part of a multipart/form-data body."""
    media, parameters = media_type(content_type)
    if media == "multipart/form-data":
        return _multipart(content_type or "", parameters, body)
    return [(_format(media or "text/turtle"), decode_utf8(body, content_type))]


def _format(media: str) -> str:
    if media not in UPLOAD_FORMATS:
        raise ProtocolError(
            415,
            f"unsupported graph format {media!r}; send one of "
            + ", ".join(sorted(set(UPLOAD_FORMATS) - {"application/x-turtle"})),
        )
    return UPLOAD_FORMATS[media]


def _multipart(content_type: str, parameters: dict[str, str], body: bytes) -> list[tuple[str, str]]:
    """The parts of a multipart/form-data body (the standard library's MIME parser reads it)."""
    from email import message_from_bytes, policy

    if not parameters.get("boundary"):
        raise ProtocolError(400, "multipart/form-data without a boundary")
    message = message_from_bytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body, policy=policy.HTTP
    )
    if not message.is_multipart():
        raise ProtocolError(400, "the multipart/form-data body has no parts")
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        part_type = part.get("Content-Type")
        media = media_type(part_type)[0] or "text/turtle"
        parts.append((_format(media), decode_utf8(data, part_type)))
    if not parts:
        raise ProtocolError(400, "the multipart/form-data body has no parts")
    return parts
