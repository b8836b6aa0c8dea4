"""Sources: the texts quotes are checked against, registered in the store with their sha256.

A registered source is a ``kg:Source`` record in ``kgg:provenance`` (title, publisher, issue date,
URL, language, ``kg:localCopy``, ``kg:sha256``) and a copy of its text inside the store
generation (``gen-…/sources/NAME-SHA12.txt``), so the store's quotes can be checked with no
other file. Updates (``kg source add``, ``kg add``) write a new generation, copied from the live
one, and swap it in only when everything succeeded: a failure leaves the store as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.dates import period
from kg.errors import SourceError
from kg.namespaces import KG, KGR, PROVENANCE_GRAPH, RDF, RDFS, XSD, shorten
from kg.storage.embedded import CURRENT, Store
from kg.storage.location import Location
from kg.storage.protocol import GraphStore

DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
SOURCES_DIR = "sources"
TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown")


@dataclass(frozen=True)
class SourceInfo:
    """What the user says about a source: its title, publisher, date, URL and language."""

    title: str
    publisher: str | None = None
    issued: str | None = None
    url: str | None = None
    language: str = "en"


@dataclass(frozen=True)
class Source:
    """A registered source: its record in the store and where its text is."""

    iri: str
    title: str
    publisher: str | None
    issued: str | None
    url: str | None
    language: str | None
    local_copy: str | None
    sha256: str | None

    @property
    def id(self) -> str:
        return shorten(self.iri)


def read_text(path: Path) -> str:
    """The text of a source file (plain text or Markdown, UTF-8), as quotes are matched against it.

    Read as `kg validate` reads local copies (a regular file under the size limit, decoded as is:
    offsets count the characters of the file, line ends included).
    """
    from kg.errors import InputFileError
    from kg.limits import Limits, read_regular_file

    if path.suffix.lower() not in TEXT_SUFFIXES:
        known = ", ".join(TEXT_SUFFIXES)
        kind = path.suffix or "(none)"
        raise SourceError(f"{path}: unsupported source type {kind!r}; save the text as one of {known}")
    if not path.exists() and not path.is_symlink():
        raise SourceError(f"{path}: source file not found")
    try:
        data = read_regular_file(path, Limits().max_source_bytes, "source")
    except InputFileError as error:
        raise SourceError(str(error)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: not UTF-8 text (byte {error.start})") from None


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def slug(text: str, limit: int = 48) -> str:
    """Lower-case, hyphenated ASCII form of a name for IRIs and file names (accents dropped)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = "-".join(words)[:limit].strip("-")
    return out or hashlib.sha1(text.encode()).hexdigest()[:10]


def check_info(info: SourceInfo, where: str) -> None:
    """Refuse an empty title, a malformed date or an odd language tag, naming `where`."""
    if not info.title.strip():
        raise SourceError(f"{where}: a source needs a title")
    if info.issued is not None and period(info.issued) is None:
        raise SourceError(f"{where}: issued: {info.issued!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", info.language):
        raise SourceError(f"{where}: language: {info.language!r} is not a language tag (en, ja, ko, …)")
    if info.url is not None and not re.match(r"https?://\S+$", info.url):
        raise SourceError(f"{where}: url: {info.url!r} is not an http(s) URL")


def new_source(path: Path, info: SourceInfo) -> tuple[Source, str]:
    """The record a file would get when registered, and its text."""
    check_info(info, str(path))
    text = read_text(path)
    digest = sha256_text(text)
    iri = f"{KGR}source-{slug(info.title, 40)}-{digest[:8]}"
    copy = f"{SOURCES_DIR}/{slug(path.stem, 40)}-{digest[:12]}{path.suffix.lower()}"
    return Source(iri, info.title, info.publisher, info.issued, info.url, info.language, copy, digest), text


def date_literal(text: str) -> ox.Literal:
    """xsd:date, xsd:gYearMonth or xsd:gYear by the precision of `text` (already checked)."""
    kind = {1: "gYear", 2: "gYearMonth", 3: "date"}[text.count("-") + 1]
    return ox.Literal(text, datatype=ox.NamedNode(XSD + kind))


def source_quads(source: Source) -> list[ox.Quad]:
    """The source's record in kgg:provenance."""
    graph, node = ox.NamedNode(PROVENANCE_GRAPH), ox.NamedNode(source.iri)
    pairs: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        (RDF + "type", ox.NamedNode(KG + "Source")),
        (RDFS + "label", ox.Literal(source.title, language="en")),
        (DCTERMS + "title", ox.Literal(source.title)),
    ]
    if source.publisher:
        pairs.append((DCTERMS + "publisher", ox.Literal(source.publisher)))
    if source.issued:
        pairs.append((DCTERMS + "issued", date_literal(source.issued)))
    if source.language:
        pairs.append((DCTERMS + "language", ox.Literal(source.language)))
    if source.url:
        pairs.append((SCHEMA + "url", ox.Literal(source.url, datatype=ox.NamedNode(XSD + "anyURI"))))
    if source.local_copy:
        pairs.append((KG + "localCopy", ox.Literal(source.local_copy)))
    if source.sha256:
        pairs.append((KG + "sha256", ox.Literal(source.sha256)))
    return [ox.Quad(node, ox.NamedNode(p), o, graph) for p, o in pairs]


_SOURCES = f"""
SELECT ?s (SAMPLE(?t) AS ?title) (SAMPLE(?l) AS ?label) (SAMPLE(?pub) AS ?publisher) (SAMPLE(?d) AS ?issued)
       (SAMPLE(?u) AS ?url) (SAMPLE(?lang) AS ?language) (SAMPLE(?c) AS ?copy) (SAMPLE(?h) AS ?sha)
WHERE {{
  GRAPH <{PROVENANCE_GRAPH}> {{
    ?s a kg:Source .
    OPTIONAL {{ ?s dcterms:title ?t }}
    OPTIONAL {{ ?s rdfs:label ?l }}
    OPTIONAL {{ ?s dcterms:publisher ?pub }}
    OPTIONAL {{ ?s dcterms:issued ?d }}
    OPTIONAL {{ ?s schema:url ?u }}
    OPTIONAL {{ ?s dcterms:language ?lang }}
    OPTIONAL {{ ?s kg:localCopy ?c }}
    OPTIONAL {{ ?s kg:sha256 ?h }}
  }}
}} GROUP BY ?s ORDER BY ?s"""


def list_sources(store: GraphStore) -> list[Source]:
    """Every source the store knows, bundled or registered."""

    def text(row: object, name: str) -> str | None:
        value = row[name]  # type: ignore[index]
        return None if value is None else str(value.value)

    return [
        Source(
            iri=row["s"].value,
            title=text(row, "title") or text(row, "label") or shorten(row["s"].value),
            publisher=text(row, "publisher"),
            issued=text(row, "issued"),
            url=text(row, "url"),
            language=text(row, "language"),
            local_copy=text(row, "copy"),
            sha256=text(row, "sha"),
        )
        for row in store.query(_SOURCES)
    ]


def find_source(store: GraphStore, ident: str) -> Source:
    """A source by IRI, CURIE, local id, sha256 prefix (8+ characters) or exact title."""
    sources = list_sources(store)
    wanted = ident.strip()
    if wanted.startswith("<") and wanted.endswith(">"):
        wanted = wanted[1:-1]
    for test in (
        lambda s: wanted in (s.iri, s.id, s.iri.rsplit("/", 1)[-1]),
        lambda s: len(wanted) >= 8 and bool(s.sha256) and s.sha256.startswith(wanted.lower()),
        lambda s: s.title.casefold() == wanted.casefold(),
    ):
        found = [s for s in sources if test(s)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise SourceError(f"--source {ident!r} is ambiguous: " + ", ".join(s.id for s in found))
    known = ", ".join(s.id for s in sources[:10]) or "none; register one with `kg source add`"
    raise SourceError(f"--source {ident!r}: no such source (known: {known})")


def source_by_sha(store: GraphStore, digest: str) -> Source | None:
    return next((s for s in list_sources(store) if s.sha256 == digest), None)


def write_copy(generation: Path, source: Source, text: str) -> None:
    """Put the source's text into the generation (beside the database) under its local copy name."""
    assert source.local_copy is not None
    target = generation / source.local_copy
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(text.encode("utf-8"))


@contextlib.contextmanager
def updating(store_path: Location | Path | str) -> Iterator[tuple[Store, Path]]:
    """A writable copy of the live store (or, on a fresh store, the ontology and bundled graphs).

    The block adds to it; on success the search index is rebuilt and the copy becomes live. Any
    exception discards it and leaves the store exactly as it was.
    """
    from kg.build import input_files, load_all, materialise_hierarchy
    from kg.search import write_index
    from kg.storage.location import writable

    where = Location.parse(store_path)
    if where.is_remote:
        # A server: the copy is in memory, validated here, and uploaded only if the block succeeds.
        with writable(where, copy_current=True) as (remote_store, scratch):
            yield remote_store, scratch
            materialise_hierarchy(remote_store)  # new resources get their superclass types, as in a build
        return
    path = where.folder
    live = (path / CURRENT).resolve() if (path / CURRENT).exists() else None
    with writable(where, copy_current=live is not None) as (store, generation):
        if live is None:
            load_all(store, input_files([]))
        elif (live / SOURCES_DIR).is_dir():
            shutil.copytree(live / SOURCES_DIR, generation / SOURCES_DIR)
        yield store, generation
        materialise_hierarchy(store)  # new resources get their superclass types, as in a build
        write_index(store, generation / "search.sqlite")
        info_file = generation / "build.json"
        info = json.loads(info_file.read_text(encoding="utf-8")) if info_file.exists() else {}
        info.update(updated_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), quads=len(store))
        info_file.write_text(json.dumps(info, indent=2), encoding="utf-8")


def add_source(store_path: Location | Path | str, path: Path, info: SourceInfo) -> tuple[Source, bool]:
    """Register a source file in the store; returns it and whether it was new (same text: reused)."""
    source, text = new_source(path, info)
    with updating(store_path) as (store, generation):
        existing = source_by_sha(store, source.sha256 or "")
        if existing is not None:
            raise _Unchanged(existing)
        store.oxigraph.extend(source_quads(source))
        write_copy(generation, source, text)
    return source, True


class _Unchanged(Exception):
    """Internal: the source is already registered; nothing to write."""

    def __init__(self, source: Source):
        self.source = source


def register(store_path: Location | Path | str, path: Path, info: SourceInfo) -> tuple[Source, bool]:
    """`kg source add`: the registered source and True, or the already registered one and False."""
    try:
        return add_source(store_path, path, info)
    except _Unchanged as unchanged:
        return unchanged.source, False
