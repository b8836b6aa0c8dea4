"""Fact sheets become evidence graphs: quotes found in their source, names resolved, validated.

Each entry of a sheet becomes one evidence record in ``kgg:provenance`` (quote, source, code-point
offsets) and one named graph of the same IRI holding the statements the quote supports: the
nanopublication form of the bundled graph (see graph/README.md). `add_sheets` adds every sheet
to the store in one new generation, or nothing: the first bad entry raises a SheetError naming
the sheet, entry and field, and the store is left as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.dates import period
from kg.errors import SheetError, SourceError
from kg.namespaces import KG, KGR, PREFIXES, PROVENANCE_GRAPH, RDF, RDFS, SKOS, XSD, shorten
from kg.quotes import SourceText
from kg.readers.factsheet import Sheet, read_sheet
from kg.resolve import CONCEPT_RANGE, DATE_RANGE, EntityIndex, OntologyTerms, ResolveError, ontology_terms
from kg.sources import (
    DCTERMS,
    Source,
    SourceInfo,
    date_literal,
    find_source,
    new_source,
    slug,
    source_by_sha,
    source_quads,
)
from kg.storage.embedded import Store
from kg.storage.location import Location

EVIDENCE_BASE = "https://w3id.org/kg-diplomacy/evidence/"
_DATE_TEXT = re.compile(r"^-?\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass
class EntrySummary:
    sheet: str
    entry: str
    evidence: str
    start: int
    end: int
    statements: int


@dataclass
class Compiled:
    """What a set of sheets adds: quads, new sources (with their text) and what came from where."""

    quads: list[ox.Quad] = field(default_factory=list)
    new_sources: list[tuple[Source, str, Path | None]] = field(default_factory=list)  # source, text, file
    origin: dict[str, tuple[Sheet, int, str]] = field(default_factory=dict)  # node IRI -> sheet, entry, field
    entries: list[EntrySummary] = field(default_factory=list)
    new_entities: int = 0
    claims: int = 0
    sources_used: dict[str, Source] = field(default_factory=dict)


@dataclass
class _SheetSource:
    source: Source
    text: SourceText
    file: Path | None


class Compiler:
    """Turns sheets into quads against one store (the names, sources and ontology it holds)."""

    def __init__(self, store: Store, source_roots: list[Path], default_source: str | None = None):
        self.store = store
        self.roots = source_roots
        self.terms: OntologyTerms = ontology_terms(store)
        self.index = EntityIndex(store)
        self.default_source = default_source
        self.out = Compiled()
        self._texts: dict[str, SourceText] = {}
        self._declared: dict[str, str] = {}  # normalised label -> IRI declared by a sheet
        self._quotes: dict[str, str] = {}  # evidence IRI -> its quote

    # ---------------------------------------------------------------- sources

    def sheet_source(self, sheet: Sheet) -> _SheetSource:
        header = sheet.data.get("source")
        if self.default_source is not None:
            source = find_source(self.store, self.default_source)
            return _SheetSource(source, self._text_of(source, sheet), None)
        if not header:
            raise sheet.error(
                "no source: give `kg add --source ID` or a `source:` header (file, title, …)", field_path="source"
            )
        file = (sheet.path.parent / header["file"]).resolve()
        info = SourceInfo(
            title=str(header["title"]),
            publisher=header.get("publisher"),
            issued=str(header["issued"]) if header.get("issued") is not None else None,
            url=header.get("url"),
            language=header.get("language", "en"),
        )
        try:
            source, text = new_source(file, info)
        except SourceError as error:
            raise sheet.error(str(error).replace(str(file), header["file"]), field_path="source") from None
        known = source_by_sha(self.store, source.sha256 or "") or next(
            (s for s, _t, _f in self.out.new_sources if s.sha256 == source.sha256), None
        )
        if known is None:
            self.out.new_sources.append((source, text, file))
            self.out.quads.extend(source_quads(source))
            known = source
        if known.iri not in self._texts:
            self._texts[known.iri] = SourceText(text)
        return _SheetSource(known, self._texts[known.iri], file)

    def _text_of(self, source: Source, sheet: Sheet) -> SourceText:
        if source.iri in self._texts:
            return self._texts[source.iri]
        if not source.local_copy:
            raise sheet.error(f"source {source.id} has no local copy to check quotes against", field_path="source")
        for root in self.roots:
            candidate = root / source.local_copy
            if candidate.is_file():
                self._texts[source.iri] = SourceText(candidate.read_bytes().decode("utf-8"))
                return self._texts[source.iri]
        raise sheet.error(f"the text of source {source.id} ({source.local_copy}) is missing", field_path="source")

    # ---------------------------------------------------------------- sheets

    def compile(self, sheets: list[Sheet]) -> Compiled:
        from kg import progress

        sources = [self.sheet_source(sheet) for sheet in sheets]
        for sheet in sheets:
            self._declare(sheet)
        with progress.task("Reading entries", total=sum(len(s.entries) for s in sheets), unit="entry") as bar:
            for sheet, source in zip(sheets, sources, strict=True):
                self.out.sources_used[source.source.iri] = source.source
                bar.describe(sheet.name)
                for index, entry in enumerate(sheet.entries):
                    self._entry(sheet, index, entry, source)
                    bar.advance()
        return self.out

    def _declare(self, sheet: Sheet) -> None:
        """Give every entity the sheets declare its IRI first, so entries may name it in any order."""
        for index, entry in enumerate(sheet.entries):
            for number, entity in enumerate(entry.get("entities", [])):
                where = f"entities[{number}]"
                label = entity["label"].strip()
                key = label.casefold()
                if key in self._declared:
                    raise sheet.error(f"{label!r} is declared twice", index, where + ".label")
                existing = self.index.find(label)
                iri = KGR + slug(label, 60)
                if existing and iri not in existing:
                    names = ", ".join(sorted(shorten(e) for e in existing))
                    raise sheet.error(
                        f"{label!r} already names {names}; refer to it by name instead of declaring it again",
                        index,
                        where + ".label",
                    )
                if not existing and self.index.labels.get(iri):
                    iri += "-" + hashlib.sha1(label.encode()).hexdigest()[:6]
                try:
                    self.terms.cls(entity["class"])
                except ResolveError as error:
                    raise sheet.error(str(error), index, where + ".class") from None
                self._declared[key] = iri
                if not existing:
                    self.out.new_entities += 1
                self.index.add(iri, [label, *entity.get("aliases", []), *entity.get("labels", {}).values()])
                self.out.origin.setdefault(iri, (sheet, index, where))

    def _entry(self, sheet: Sheet, index: int, entry: dict[str, Any], source: _SheetSource) -> None:
        quote = entry["quote"]
        match = source.text.find(quote)
        if match is None:
            closest = source.text.closest(quote)
            hint = f" (closest passage: {closest[:120]!r})" if closest else ""
            raise sheet.error(f"not found in source {source.source.id}{hint}", index, "quote")
        ident = entry.get("id") or "q-" + hashlib.sha1(match.text.encode()).hexdigest()[:12]
        source_slug = source.source.iri.rsplit("/", 1)[-1].removeprefix("source-")
        evidence = f"{EVIDENCE_BASE}{source_slug}/{ident}"
        if self._quotes.setdefault(evidence, match.text) != match.text:
            raise sheet.error(f"id {ident!r} is already used by an entry with another quote", index, "id")
        graph = ox.NamedNode(evidence)
        provenance = ox.NamedNode(PROVENANCE_GRAPH)
        node = ox.NamedNode(evidence)
        self.out.quads += [
            ox.Quad(node, ox.NamedNode(RDF + "type"), ox.NamedNode(KG + "Evidence"), provenance),
            ox.Quad(node, ox.NamedNode(KG + "source"), ox.NamedNode(source.source.iri), provenance),
            ox.Quad(node, ox.NamedNode(KG + "quote"), ox.Literal(match.text), provenance),
            ox.Quad(node, ox.NamedNode(KG + "startOffset"), _integer(match.start), provenance),
            ox.Quad(node, ox.NamedNode(KG + "endOffset"), _integer(match.end), provenance),
        ]
        self.out.origin.setdefault(evidence, (sheet, index, "quote"))
        before = len(self.out.quads)
        language = sheet.data.get("language") or source.source.language or "en"
        emit = _Emitter(self, sheet, index, graph, language)
        for number, entity in enumerate(entry.get("entities", [])):
            emit.entity(entity, f"entities[{number}]")
        for number, fact in enumerate(entry.get("facts", [])):
            where = f"facts[{number}]"
            subject = emit.name(fact["subject"], where + ".subject")
            emit.statement(subject, fact["relation"], fact["object"], where)
        for number, claim in enumerate(entry.get("claims", [])):
            emit.claim(claim, f"claims[{number}]")
        self.out.entries.append(
            EntrySummary(
                sheet.name, sheet.entry_name(index), evidence, match.start, match.end, len(self.out.quads) - before
            )
        )


class _Emitter:
    """Writes one entry's statements into its evidence graph."""

    def __init__(self, compiler: Compiler, sheet: Sheet, index: int, graph: ox.NamedNode, language: str):
        self.c, self.sheet, self.index, self.graph, self.language = compiler, sheet, index, graph, language

    def fail(self, message: str, where: str) -> SheetError:
        return self.sheet.error(message, self.index, where)

    def add(self, subject: str, predicate: str, obj: ox.NamedNode | ox.Literal) -> None:
        self.c.out.quads.append(ox.Quad(ox.NamedNode(subject), ox.NamedNode(predicate), obj, self.graph))

    def name(self, name: Any, where: str) -> str:
        try:
            return self.c.index.resolve(name if isinstance(name, str) else str(name))
        except ResolveError as error:
            raise self.fail(str(error), where) from None

    def entity(self, entity: dict[str, Any], where: str) -> None:
        label = entity["label"].strip()
        iri = self.c._declared[label.casefold()]
        self.add(iri, RDF + "type", ox.NamedNode(self.c.terms.cls(entity["class"])))
        self.add(iri, RDFS + "label", ox.Literal(label, language="en"))
        for alias in entity.get("aliases", []):
            self.add(iri, SKOS + "altLabel", ox.Literal(alias, language="en"))
        for language, text in entity.get("labels", {}).items():
            self.add(iri, RDFS + "label", ox.Literal(text, language=language))
        if entity.get("description"):
            self.add(iri, DCTERMS + "description", ox.Literal(entity["description"], language=self.language))
        if entity.get("date") is not None:
            self.statement(iri, "date", entity["date"], where, ".date")
        for relation, value in entity.get("relations", {}).items():
            self.statement(iri, relation, value, f"{where}.relations.{relation}", "")

    def statement(self, subject: str, relation_name: str, value: Any, where: str, suffix: str | None = None) -> None:
        relation_field = where + (".relation" if suffix is None else suffix)
        value_field = where + (".object" if suffix is None else suffix)
        if relation_name in ("description",):
            self.add(subject, DCTERMS + "description", ox.Literal(str(value), language=self.language))
            return
        try:
            relation = self.c.terms.relation(relation_name)
        except ResolveError as error:
            raise self.fail(str(error), relation_field) from None
        for item in value if isinstance(value, list) else [value]:
            self.add(subject, relation.iri, self.value(relation, item, value_field))

    def value(self, relation: Any, item: Any, where: str) -> ox.NamedNode | ox.Literal:
        if relation.range == DATE_RANGE:
            return self.date(item, where)
        if not relation.datatype:
            if isinstance(item, bool) or not isinstance(item, str):
                raise self.fail(f"kg:{relation.name} links to an entity; {item!r} is not a name", where)
            if relation.range == CONCEPT_RANGE:
                try:
                    return ox.NamedNode(self.c.terms.concept(item))
                except ResolveError as error:
                    raise self.fail(str(error), where) from None
            return ox.NamedNode(self.name(item, where))
        kind = (relation.range or "").removeprefix(XSD)
        if kind == "boolean":
            if not isinstance(item, bool) and str(item).lower() not in ("true", "false"):
                raise self.fail(f"kg:{relation.name} takes true or false, not {item!r}", where)
            return ox.Literal(str(item).lower(), datatype=ox.NamedNode(XSD + "boolean"))
        if kind in ("integer", "nonNegativeInteger", "decimal"):
            text = str(item)
            pattern = r"-?\d+" if kind != "decimal" else r"-?\d+(\.\d+)?"
            if isinstance(item, bool) or not re.fullmatch(pattern, text):
                raise self.fail(f"kg:{relation.name} takes a number, not {item!r}", where)
            return ox.Literal(text, datatype=ox.NamedNode(XSD + kind))
        return ox.Literal(str(item), language=self.language)

    def date(self, item: Any, where: str) -> ox.Literal:
        text = str(item).strip()
        if isinstance(item, bool) or not _DATE_TEXT.match(text) or period(text) is None:
            raise self.fail(f"{item!r} is not a date (use 2023, 2023-03 or 2023-03-16)", where)
        return date_literal(text)

    def claim(self, claim: dict[str, Any], where: str) -> None:
        claimants = [self.name(n, f"{where}.claimant") for n in _as_list(claim["claimant"])]
        content = claim["content"].strip()
        names = " and ".join(self.c.index.labels.get(c, shorten(c)) for c in claimants)
        label = claim.get("label") or _shorten_text(f"{names}: {content}", 100)
        iri = KGR + "claim-" + slug(label, 60)
        self.c.out.origin.setdefault(iri, (self.sheet, self.index, where))
        self.c.out.claims += 1
        self.add(iri, RDF + "type", ox.NamedNode(KG + "Claim"))
        self.add(iri, RDFS + "label", ox.Literal(label, language="en"))
        for claimant in claimants:
            self.add(iri, KG + "claimant", ox.NamedNode(claimant))
        self.add(iri, KG + "content", ox.Literal(content, language=self.language))
        for about in _as_list(claim.get("about")):
            self.add(iri, KG + "concerns", ox.NamedNode(self.name(about, f"{where}.about")))
        for addressee in _as_list(claim.get("addressee")):
            self.add(iri, KG + "addressee", ox.NamedNode(self.name(addressee, f"{where}.addressee")))
        if claim.get("made_at"):
            self.add(iri, KG + "madeAt", ox.NamedNode(self.name(claim["made_at"], f"{where}.made_at")))
        if claim.get("type"):
            try:
                self.add(iri, KG + "claimType", ox.NamedNode(self.c.terms.concept(claim["type"])))
            except ResolveError as error:
                raise self.fail(str(error), f"{where}.type") from None
        if claim.get("date") is not None:
            self.add(iri, KG + "date", self.date(claim["date"], f"{where}.date"))
        proposition = claim.get("proposition")
        if proposition:
            here = f"{where}.proposition"
            self.add(iri, KG + "claimedSubject", ox.NamedNode(self.name(proposition["subject"], here + ".subject")))
            try:
                relation = self.c.terms.relation(proposition["relation"])
            except ResolveError as error:
                raise self.fail(str(error), here + ".relation") from None
            self.add(iri, KG + "claimedRelation", ox.NamedNode(relation.iri))
            for item in _as_list(proposition["object"]):
                self.add(iri, KG + "claimedObject", self.value(relation, item, here + ".object"))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _shorten_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))


# ---------------------------------------------------------------- validation


def _refuse_violations(store: Store, compiled: Compiled, roots: list[Path]) -> None:
    """Validate the store with the new statements; the first violation about them is a SheetError."""
    from kg.validate import validate_store

    touched = {q.subject.value for q in compiled.quads if isinstance(q.subject, ox.NamedNode)}
    touched |= {q.graph_name.value for q in compiled.quads if isinstance(q.graph_name, ox.NamedNode)}
    for violation in validate_store(store, roots):
        if violation.severity != "Violation" or (violation.focus not in touched and violation.focus.startswith("http")):
            continue
        origin = compiled.origin.get(violation.focus)
        message = f"{violation.path}: {violation.message}" + (f" (value: {violation.value})" if violation.value else "")
        if origin is None:
            first = next(iter(compiled.origin.values()), None)
            if first is None:
                raise SheetError("kg add", message)
            raise first[0].error(f"{violation.focus_label}: {message}")
        sheet, index, where = origin
        raise sheet.error(f"{violation.focus_label}: {message}", index, where)


# ---------------------------------------------------------------- what the commands call


@dataclass
class AddReport:
    sheets: list[str]
    entries: list[EntrySummary]
    quads: int
    new_entities: int
    claims: int
    new_sources: list[Source]
    store_quads: int = 0
    written: str | None = None


def _report(sheets: list[Sheet], compiled: Compiled, store: Store | None = None) -> AddReport:
    return AddReport(
        sheets=[s.name for s in sheets],
        entries=compiled.entries,
        quads=len(set(compiled.quads)),
        new_entities=compiled.new_entities,
        claims=compiled.claims,
        new_sources=[s for s, _t, _f in compiled.new_sources],
        store_quads=len(store) if store is not None else 0,
    )


def read_sheets(paths: Iterable[Path]) -> list[Sheet]:
    return [read_sheet(p) for p in paths]


def add_sheets(store_path: Location | Path | str, paths: list[Path], source: str | None = None) -> AddReport:
    """Add every sheet to the store in one new generation, or nothing (SheetError on the first fault)."""
    from kg.sources import updating, write_copy

    sheets = read_sheets(paths)
    with updating(store_path) as (store, generation):
        compiler = Compiler(store, [generation, *_bundled_roots()], source)
        compiled = compiler.compile(sheets)
        store.oxigraph.extend(compiled.quads)
        for new, text, _file in compiled.new_sources:
            write_copy(generation, new, text)
        _refuse_violations(store, compiled, [generation])
        return _report(sheets, compiled, store)


def _bundled_roots() -> list[Path]:
    from kg.resources import graph_dir

    return [graph_dir()]


def _workspace(store_path: Location | Path | str) -> tuple[Store, list[Path]]:
    """An in-memory copy of the live store (or of the ontology and bundled graphs) to try sheets on."""
    from kg.build import input_files, load_all
    from kg.storage.embedded import CURRENT, memory_store
    from kg.storage.location import Location, open_store

    where = Location.parse(store_path)
    store = memory_store()
    roots: list[Path] = []
    if where.is_remote or (where.folder / CURRENT).exists():
        live = open_store(where)
        store.oxigraph.extend(live.quads())
        if not where.is_remote:
            roots.append((where.folder / CURRENT).resolve())
        live.close()
    else:
        load_all(store, input_files([]))
    return store, [*roots, *_bundled_roots()]


def try_sheets(store_path: Location | Path | str, paths: list[Path], source: str | None = None) -> AddReport:
    """`kg add --dry-run`: everything `add_sheets` checks, on a copy; the store is not touched."""
    sheets = read_sheets(paths)
    store, roots = _workspace(store_path)
    compiled = Compiler(store, roots, source).compile(sheets)
    store.oxigraph.extend(compiled.quads)
    _validate_copy(store, compiled, roots)
    return _report(sheets, compiled, store)


def _validate_copy(store: Store, compiled: Compiled, roots: list[Path]) -> None:
    """Validate an in-memory copy, with the new sources' texts in a temporary folder."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kg-sources-") as temporary:
        folder = Path(temporary)
        for source, text, _file in compiled.new_sources:
            assert source.local_copy is not None
            target = folder / source.local_copy
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        _refuse_violations(store, compiled, [folder, *roots])


def sheets_to_trig(
    store_path: Location | Path | str, paths: list[Path], output: Path, source: str | None = None
) -> AddReport:
    """`kg add --to-trig OUT`: the graphs the sheets make, as a TriG file `kg build OUT` loads.

    Sources get a `kg:localCopy` relative to OUT's folder (a copy of the text is put under
    OUT's folder/sources/ when the file is not already inside that folder).
    """
    sheets = read_sheets(paths)
    store, roots = _workspace(store_path)
    compiler = Compiler(store, roots, source)
    compiled = compiler.compile(sheets)
    store.oxigraph.extend(compiled.quads)
    _validate_copy(store, compiled, roots)
    folder = output.resolve().parent
    quads = [q for q in compiled.quads if not _is_local_copy(q)]
    files: dict[str, Path] = {s.iri: f for s, _t, f in compiled.new_sources if f is not None}
    texts: dict[str, str] = {s.iri: t for s, t, _f in compiled.new_sources}
    copies: list[tuple[Path, str]] = []
    for used in compiled.sources_used.values():
        quads = [
            q
            for q in quads
            if not (q.subject == ox.NamedNode(used.iri) and q.graph_name == ox.NamedNode(PROVENANCE_GRAPH))
        ]
        file = files.get(used.iri)
        if file is None:
            file = _stored_copy(used, roots)
        text = texts.get(used.iri) or file.read_bytes().decode("utf-8")
        if file.resolve().is_relative_to(folder):
            relative = os.path.relpath(file.resolve(), folder)
        else:
            relative = used.local_copy or f"sources/{slug(used.title, 40)}.txt"
            copies.append((folder / relative, text))
        quads += source_quads(_replace_copy(used, relative))
    try:
        for target, text in copies:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.read_bytes() != text.encode("utf-8"):
                target.write_bytes(text.encode("utf-8"))
        prefixes = {
            k: v
            for k, v in PREFIXES.items()
            if k in ("kg", "kgc", "kgr", "kgg", "rdf", "rdfs", "xsd", "skos", "dcterms", "schema")
        }
        temporary = output.with_name(output.name + ".tmp")
        with open(temporary, "wb") as handle:
            ox.serialize(sorted(set(quads), key=_quad_order), handle, ox.RdfFormat.TRIG, prefixes=prefixes)
        os.replace(temporary, output)
    except OSError as error:
        raise SourceError(f"{output}: cannot write ({error.strerror})") from None
    report = _report(sheets, compiled)
    report.written = str(output)
    return report


def _is_local_copy(quad: ox.Quad) -> bool:
    return quad.predicate.value == KG + "localCopy"


def _stored_copy(source: Source, roots: list[Path]) -> Path:
    for root in roots:
        if source.local_copy and (root / source.local_copy).is_file():
            return root / source.local_copy
    raise SourceError(f"the text of source {source.id} is missing")


def _replace_copy(source: Source, copy: str) -> Source:
    from dataclasses import replace

    return replace(source, local_copy=copy)


def _quad_order(quad: ox.Quad) -> tuple[str, str, str, str]:
    return (str(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object))
