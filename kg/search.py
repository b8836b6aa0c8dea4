"""Full-text search over entities: labels and aliases in every language, descriptions, claim
contents and evidence quotes, ranked (BM25), each hit with its snippet and the entity it belongs to.

The index is an SQLite FTS5 database (standard library) written into the store generation by
every build and every `kg add` before the generation goes live, so it is always in step with the
data. A generation without one (made by an older kg, or by a SPARQL update) gets it built on first
use. Words are stemmed (Porter: "compensation" finds "compensate") and accents ignored; Chinese,
Japanese and Korean characters are indexed one by one, so any run of them is found as a phrase.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.errors import SearchError, UnknownEntityError
from kg.names import normalize
from kg.namespaces import KG, LABEL_PROPERTIES, ONTOLOGY_IRI, PROVENANCE_GRAPH, SKOS, shorten
from kg.storage.embedded import CURRENT
from kg.storage.protocol import GraphStore

INDEX_FILE = "search.sqlite"
INDEX_VERSION = "5"
# What is indexed besides labels: text about an entity (column `body`).
BODY_PROPERTIES = (
    "http://purl.org/dc/terms/description",
    KG + "content",
    KG + "commitment",
    KG + "subject",
    KG + "orderedAction",
    KG + "reason",
)
KINDS = {LABEL_PROPERTIES[0]: "label", LABEL_PROPERTIES[1]: "label", SKOS + "altLabel": "alias"}
BODY_KINDS = {BODY_PROPERTIES[0]: "description", KG + "content": "claim"}
_CJK = re.compile(r"([\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff])")
_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE entities(iri TEXT PRIMARY KEY, label TEXT NOT NULL, classes TEXT NOT NULL, types TEXT NOT NULL);
CREATE TABLE names(name TEXT NOT NULL, iri TEXT NOT NULL, text TEXT NOT NULL,
                   PRIMARY KEY (name, iri, text)) WITHOUT ROWID;
CREATE VIRTUAL TABLE docs USING fts5(
    label, cls, body, quote, entity UNINDEXED, kind UNINDEXED, lang UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO docs(docs, rank) VALUES('rank', 'bm25(10.0, 8.0, 3.0, 1.0)');
"""


@dataclass(frozen=True)
class Hit:
    """One entity found: where the best match is (label, alias, description, claim or quote)."""

    entity: str
    label: str
    classes: list[str]
    kind: str
    language: str
    snippet: str
    score: float


def _spaced(text: str) -> str:
    return _CJK.sub(r" \1 ", text)


def _unspaced(text: str) -> str:
    """Undo `_spaced` in a snippet: no space between two CJK characters (highlight marks aside)."""
    text = re.sub(r"\s+", " ", text).strip()
    out = []
    for i, char in enumerate(text):
        if char == " ":
            before = text[:i].rstrip("[]")[-1:]
            after = text[i + 1 :].lstrip("[]")[:1]
            if before and after and _CJK.match(before) and _CJK.match(after):
                continue
        out.append(char)
    return "".join(out)


# ---------------------------------------------------------------- writing the index

_ENTITY_CLASSES = "SELECT ?e ?c WHERE { ?e a ?c FILTER(STRSTARTS(STR(?c), STR(kg:))) }"
_SUBCLASSES = f"SELECT ?c ?s WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{ ?c rdfs:subClassOf ?s }} }}"
_CLASS_LABELS = f"""
SELECT ?c ?l WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{ ?c rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en")) }} }}"""
_TEXTS = "SELECT ?e ?p ?t WHERE {{ ?e ?p ?t VALUES ?p {{ {} }} FILTER(isLiteral(?t)) }}"
_QUOTES = f"""
SELECT ?g ?quote WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?g a kg:Evidence ; kg:quote ?quote }} }}"""
_SUBJECTS = "SELECT DISTINCT ?g ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) }"


def _closure(store: GraphStore) -> dict[str, set[str]]:
    parents: dict[str, set[str]] = {}
    for row in store.query(_SUBCLASSES, union=False):
        parents.setdefault(row["c"].value, set()).add(row["s"].value)
    closure: dict[str, set[str]] = {}

    def up(cls: str, seen: set[str]) -> set[str]:
        if cls in closure:
            return closure[cls]
        found = {cls}
        for parent in parents.get(cls, ()):
            if parent not in seen:
                found |= up(parent, seen | {parent})
        closure[cls] = found
        return found

    for cls in list(parents):
        up(cls, {cls})
    return closure


def _rows(
    store: GraphStore,
) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, ...]], set[tuple[str, str, str]]]:
    closure = _closure(store)
    entity_class = KG + "Entity"
    direct: dict[str, set[str]] = {}
    for row in store.query(_ENTITY_CLASSES):
        cls = row["c"].value
        if entity_class in closure.get(cls, {cls}):
            direct.setdefault(row["e"].value, set()).add(cls)
    class_labels = {row["c"].value: row["l"].value for row in store.query(_CLASS_LABELS, union=False)}
    labels: dict[str, list[tuple[str, str, str]]] = {}
    docs: list[tuple[str, ...]] = []
    props = " ".join(f"<{p}>" for p in (*LABEL_PROPERTIES, *BODY_PROPERTIES))
    seen: set[tuple[str, str, str]] = set()
    for row in store.query(_TEXTS.format(props)):
        iri = row["e"].value
        if iri not in direct:
            continue
        text, prop, lang = row["t"].value, row["p"].value, row["t"].language or ""
        kind = KINDS.get(prop) or BODY_KINDS.get(prop, "text")
        if (iri, text, "body" if prop in BODY_PROPERTIES else "label") in seen:
            continue
        seen.add((iri, text, "body" if prop in BODY_PROPERTIES else "label"))
        if prop in BODY_PROPERTIES:
            docs.append(("", "", _spaced(text), "", iri, kind, lang))
        else:
            labels.setdefault(iri, []).append((text, kind, lang))
    entities = []
    # Every label and alias of every entity, normalised as kg.describe matches names (exact lookups).
    normal = {(normalize(text), iri, text) for iri, names in labels.items() for text, _kind, _lang in names}
    for iri, classes in direct.items():
        names = labels.get(iri, [])
        english = sorted(t for t, k, lang in names if k == "label" and lang in ("en", ""))
        label = english[0] if english else (sorted(t for t, _k, _l in names)[0] if names else shorten(iri))
        cls_text = " ".join(class_labels.get(c, c.rsplit("#", 1)[-1]) for c in sorted(classes))
        every = set().union(*(closure.get(c, {c}) for c in classes))
        local = sorted({c[len(KG) :] for c in every if c.startswith(KG)})
        entities.append((iri, label, " " + " ".join(local) + " ", " ".join(sorted(shorten(c) for c in classes))))
        for text, kind, lang in names:
            docs.append((_spaced(text), cls_text, "", "", iri, kind, lang))
    quotes = {row["g"].value: row["quote"].value for row in store.query(_QUOTES)}
    if quotes:
        for row in store.query(_SUBJECTS):
            graph, subject = row["g"].value, row["s"].value
            if graph in quotes and subject in direct:
                docs.append(("", "", "", _spaced(quotes[graph]), subject, "quote", ""))
    return entities, docs, normal


def write_index(store: GraphStore, target: Path) -> None:
    """Write the search index of `store` to `target` (atomically: a temporary file, then a rename)."""
    entities, docs, names = _rows(store)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(temporary)) as db:
            db.executescript(_SCHEMA)
            db.execute("INSERT INTO meta VALUES ('version', ?)", (INDEX_VERSION,))
            db.executemany("INSERT INTO entities VALUES (?, ?, ?, ?)", entities)
            db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)", docs)
            db.executemany("INSERT INTO names VALUES (?, ?, ?)", sorted(names))
            db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
            db.commit()
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def open_index(store: GraphStore) -> Iterator[sqlite3.Connection]:
    """The index of the generation the store's statements come from (the live one when the store does
    not say), built there first if it is missing or outdated: never another generation's names.

    A remote store (or a folder that cannot be written) gets a temporary in-memory index.
    """
    folder: Path | None = getattr(store, "generation", None)
    local = "://" not in store.location and store.location != ":memory:"
    if folder is None and local and (Path(store.location) / CURRENT).exists():
        folder = (Path(store.location) / CURRENT).resolve()
    if folder is not None:
        path = folder / INDEX_FILE
        if not _current(path):
            with contextlib.suppress(OSError, sqlite3.Error):  # a read-only or removed generation
                write_index(store, path)
        if _current(path):
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                yield db
            finally:
                db.close()
            return
    db = sqlite3.connect(":memory:")
    try:
        entities, docs, names = _rows(store)
        db.executescript(_SCHEMA)
        db.executemany("INSERT INTO entities VALUES (?, ?, ?, ?)", entities)
        db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)", docs)
        db.executemany("INSERT INTO names VALUES (?, ?, ?)", sorted(names))
        yield db
    finally:
        db.close()


def _current(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    except sqlite3.Error:
        return False
    return bool(row and row[0] == INDEX_VERSION)


# ---------------------------------------------------------------- querying


def fts_query(text: str, columns: str = "label cls body quote", every: bool = True) -> str:
    """The FTS5 query for what a user typed: each word (or run of CJK characters) must occur."""
    terms = []
    for word in re.findall(r"\w+", text):
        spaced = _spaced(word).split()
        if spaced:
            terms.append('"' + " ".join(spaced) + '"')
    if not terms:
        raise SearchError(f"nothing to search for in {text!r} (give at least one word)")
    joined = (" AND " if every else " OR ").join(f"{{{columns}}} : {t}" for t in terms)
    return joined


def search(store: GraphStore, text: str, *, classes: tuple[str, ...] = (), limit: int = 10) -> list[Hit]:
    """The best `limit` entities for `text`, best first, one hit (its best match) per entity.

    Entities whose class the text names ("radar incident": an Incident) come first, then the rest
    by BM25 (labels weigh most, then class names, descriptions and claims, then quotes).
    """
    match = fts_query(text)
    with open_index(store) as db:
        first = _search(db, _in_class(text), classes, limit)
        rest = _search(db, match, classes, limit + len(first))
    seen = {hit.entity for hit in first}
    return [*first, *(hit for hit in rest if hit.entity not in seen)][:limit]


def _in_class(text: str) -> str:
    """Every word in the labels or class name, and at least one in the class name."""
    return fts_query(text, "label cls") + " AND (" + fts_query(text, "cls", every=False) + ")"


def _search(db: sqlite3.Connection, match: str, classes: tuple[str, ...], limit: int) -> list[Hit]:
    where, params = "docs MATCH ?", [match]
    for cls in classes:
        where += " AND e.classes LIKE ?"
        params.append(f"% {cls.removeprefix('kg:')} %")
    hits: dict[str, Hit] = {}
    fetch = max(limit * 4, 20)
    while True:
        rows = db.execute(
            "SELECT d.entity, e.label, e.types, d.kind, d.lang, "
            "snippet(docs, -1, '[', ']', '…', 24), rank "
            f"FROM docs d JOIN entities e ON e.iri = d.entity WHERE {where} ORDER BY rank LIMIT ?",
            [*params, fetch],
        ).fetchall()
        for entity, label, types, kind, lang, snippet, rank in rows:
            if entity not in hits:
                hits[entity] = Hit(entity, label, types.split(), kind, lang, _unspaced(snippet), -float(rank))
        if len(hits) >= limit or len(rows) < fetch:
            break
        fetch *= 4
    return list(hits.values())[:limit]


def named(store: GraphStore, name: str) -> list[str]:
    """The entities one of whose labels or aliases is `name` (case- and accent-insensitive), sorted."""
    with open_index(store) as db:
        rows = db.execute("SELECT DISTINCT iri FROM names WHERE name = ? ORDER BY iri", (normalize(name),)).fetchall()
    return [iri for (iri,) in rows]


def all_names(store: GraphStore) -> dict[str, list[str]]:
    """Every entity's labels and aliases (as written), by entity IRI: the index's copy of them."""
    found: dict[str, list[str]] = {}
    with open_index(store) as db:
        for iri, text in db.execute("SELECT DISTINCT iri, text FROM names ORDER BY iri, text"):
            found.setdefault(iri, []).append(text)
    return found


def best_match(store: GraphStore, name: str) -> tuple[str, str] | None:
    """The one entity a short name most likely means, as (IRI, label); None when nothing matches.

    "compensation plan" means the entity whose labels (with the name of its class) hold both
    words and whose class is one of the words (a Plan), if exactly one does; else the only
    entity whose labels hold every word. Several candidates: UnknownEntityError listing them.
    """
    words = re.findall(r"\w+", name)
    if not words:
        return None
    with open_index(store) as db:
        for match in (_in_class(name), fts_query(name, "label")):
            hits = _search(db, match, (), 6)
            if len(hits) == 1:
                return hits[0].entity, hits[0].label
            if hits:
                options = [f"{h.label} ({shorten(h.entity)})" for h in hits[:5]]
                raise UnknownEntityError(f"{name!r} matches several entities", options)
    return None
