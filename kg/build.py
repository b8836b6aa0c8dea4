"""Build a store: ontology + bundled graphs + the user's files, optional OWL RL closure, validation.

The build writes a new store generation and makes it live only when everything succeeds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import __version__
from kg.errors import ParameterError, ValidationFailed
from kg.namespaces import INFERRED_GRAPH, KG, ONTOLOGY_IRI, OWL, PREFIXES, PROVENANCE_GRAPH, RDF, RDFS, shorten
from kg.readers import expand_inputs, reader_for
from kg.readers.rdf import load_file
from kg.resources import bundled_graph_files, ontology_files
from kg.storage.embedded import Store, memory_store
from kg.storage.location import Location, writable
from kg.terms import from_rdflib, union_graph
from kg.validate import DEFAULT_ENGINE, Violation, validate_store


@dataclass
class BuildReport:
    store: str
    inputs: list[str]
    quads: int = 0
    graphs: int = 0
    evidence_records: int = 0
    inferred: int = 0
    seconds: float = 0.0
    violations: list[Violation] = field(default_factory=list)
    validated: bool = True

    @property
    def conforms(self) -> bool:
        return not any(v.severity == "Violation" for v in self.violations)


def input_files(paths: list[Path], only: bool = False) -> list[Path]:
    """The files a build loads: the user's files, after the bundled graphs unless `only`."""
    user = expand_inputs(paths)
    return user if only else [*bundled_graph_files(), *user]


def load_all(store: Store, files: list[Path]) -> None:
    """The ontology (into its own graph), then each file (a progress bar in bytes on a terminal)."""
    from kg import progress

    for path in ontology_files():
        load_file(store, path, graph=ONTOLOGY_IRI)
    sizes = [_size(path) for path in files]
    with progress.task("Loading", total=sum(sizes), unit="B") as bar:
        for path, size in zip(files, sizes, strict=True):
            bar.describe(path.name)
            reader_for(path).read_into(store, path)
            bar.advance(size)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # load_file reports the missing file


def build(
    location: Location | Path | str,
    paths: list[Path] | None = None,
    *,
    only: bool = False,
    infer: bool = False,
    allow_invalid: bool = False,
    validate: bool = True,
    engine: str = DEFAULT_ENGINE,
) -> BuildReport:
    """Build the store at `location` atomically; raise on bad input or (unless allowed) invalid data.

    On any error the previous store is left exactly as it was.
    """
    started = time.perf_counter()
    files = input_files(paths or [], only)
    where = Location.parse(location)
    report = BuildReport(store=str(where), inputs=[str(p) for p in files], validated=validate)
    # A server: load and validate in memory; only a build that succeeds is uploaded and swapped in.
    with writable(where) as (store, generation):
        load_all(store, files)
        if infer:
            report.inferred, inconsistencies = add_inferences(store)
            report.violations += inconsistencies
        if validate:
            report.violations += validate_store(store, {p.parent for p in files}, engine=engine)
            if not report.conforms and not allow_invalid:
                errors = sum(v.severity == "Violation" for v in report.violations)
                raise ValidationFailed(
                    f"build refused: {errors} SHACL violation(s); the previous store is unchanged "
                    "(see them with `kg validate`, or load anyway with --allow-invalid)",
                    list(report.violations),
                )
        report.inferred += materialise_hierarchy(store)
        _count(store, report)
        if not where.is_remote:
            _write_search_index(store, generation)
        report.seconds = time.perf_counter() - started
        (generation / "build.json").write_text(
            json.dumps(
                {
                    "kg_version": __version__,
                    "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "inputs": report.inputs,
                    "quads": report.quads,
                    "graphs": report.graphs,
                    "inferred": report.inferred,
                    "validated": validate,
                    "violations": sum(v.severity == "Violation" for v in report.violations),
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    return report


def _write_search_index(store: Store, generation: Path) -> None:
    """The full-text index of `kg search`, written into the generation before it goes live."""
    from kg.search import INDEX_FILE, write_index

    write_index(store, generation / INDEX_FILE)


@dataclass
class ImportReport:
    store: str
    inputs: list[str]
    added: int = 0
    quads: int = 0
    seconds: float = 0.0
    violations: list[Violation] = field(default_factory=list)
    validated: bool = True


def import_files(
    location: Location | Path | str,
    kind: str,
    paths: list[Path],
    options: Mapping[str, Any] | None = None,
    *,
    validate: bool = True,
    allow_invalid: bool = False,
) -> ImportReport:
    """Add files read by the reader `kind` (kg.readers) to the built store, atomically and validated.

    On any error (unreadable file, SHACL violations unless allowed) the store is left as it was.
    """
    from kg.readers import get as get_reader

    started = time.perf_counter()
    try:
        reader = get_reader(kind)
    except KeyError as error:
        raise ParameterError(str(error.args[0])) from None
    where = Location.parse(location)
    files = expand_inputs(paths)
    report = ImportReport(store=str(where), inputs=[str(p) for p in files], validated=validate)
    with writable(where, copy_current=True) as (store, _):
        before = len(store)
        for path in files:
            reader.read_into(store, path, options)
        if validate:
            report.violations = validate_store(store, {p.parent for p in files})
            errors = sum(v.severity == "Violation" for v in report.violations)
            if errors and not allow_invalid:
                raise ValidationFailed(
                    f"import refused: {errors} SHACL violation(s); the store is unchanged "
                    "(load anyway with --allow-invalid)",
                    list(report.violations),
                )
        report.added = len(store) - before
        materialise_hierarchy(store)  # imported resources get their superclass types too
        report.quads = len(store)
    report.seconds = time.perf_counter() - started
    return report


def validate_files(paths: list[Path], only: bool = False, engine: str = DEFAULT_ENGINE) -> list[Violation]:
    """Validate files as `kg build` would load them, without touching any store."""
    files = input_files(paths, only)
    store = memory_store()
    load_all(store, files)
    return validate_store(store, {p.parent for p in files}, engine=engine)


def _count(store: Store, report: BuildReport) -> None:
    report.quads = len(store)
    report.graphs = len(store.named_graphs())
    report.evidence_records = len(
        list(store.query(f"SELECT ?e WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?e a kg:Evidence }} }}"))
    )


_HIERARCHY = f"""
INSERT {{{{ GRAPH <{INFERRED_GRAPH}> {{{{ ?s a ?super }}}} }}}}
WHERE {{{{
  {{{{ SELECT DISTINCT ?s ?super WHERE {{{{
    VALUES (?class ?super) {{{{ {{classes}} }}}}
    GRAPH ?g {{{{ ?s a ?class }}}} FILTER(?g NOT IN (<{ONTOLOGY_IRI}>, <{INFERRED_GRAPH}>))
    FILTER(isIRI(?super) && ?super != owl:Thing)
  }}}} }}}}
  FILTER NOT EXISTS {{{{ GRAPH ?h {{{{ ?s a ?super }}}} }}}}
}}}};
INSERT {{{{ GRAPH <{INFERRED_GRAPH}> {{{{ ?s ?super ?o }}}} }}}}
WHERE {{{{
  {{{{ SELECT DISTINCT ?s ?super ?o WHERE {{{{
    VALUES (?p ?super) {{{{ {{properties}} }}}}
    GRAPH ?g {{{{ ?s ?p ?o }}}} FILTER(?g NOT IN (<{ONTOLOGY_IRI}>, <{INFERRED_GRAPH}>, <{PROVENANCE_GRAPH}>))
    FILTER(isIRI(?super) && STRSTARTS(STR(?super), STR(kg:)))
  }}}} }}}}
  FILTER NOT EXISTS {{{{ GRAPH ?h {{{{ ?s ?super ?o }}}} }}}}
}}}}"""


def _hierarchy(store: Store, predicate: str) -> str:
    """Every (sub, super) pair of the transitive closure of `predicate` (rdfs:subClassOf or
    rdfs:subPropertyOf) as VALUES rows, from whichever graph declares it (the ontology, or a user's
    extension in their own graphs), kgg:inferred aside."""
    parents: dict[str, set[str]] = {}
    inferred = ox.NamedNode(INFERRED_GRAPH)
    for quad in store.oxigraph.quads_for_pattern(None, ox.NamedNode(predicate), None, None):
        subject, upper = quad.subject, quad.object
        if isinstance(subject, ox.NamedNode) and isinstance(upper, ox.NamedNode) and quad.graph_name != inferred:
            parents.setdefault(subject.value, set()).add(upper.value)
    from kg.snapshot import ancestors

    return " ".join(
        f"(<{sub}> <{upper}>)" for sub in sorted(parents) for upper in sorted(ancestors(sub, parents)) if upper != sub
    )


def materialise_hierarchy(store: Store) -> int:
    """Add to kgg:inferred the superclass types of every typed resource and the super-property
    statements of every sub-property (a kg:host is a kg:participant), so `?e a kg:Event` finds
    every summit and visit, and `?e kg:participant ?x` every host and guest, after any build. The
    hierarchy is read from every graph (a user's `ex:cohost rdfs:subPropertyOf kg:participant`
    counts as the ontology's own). Cheap (two SPARQL updates); returns how many statements were added."""
    _mark_inferred(store)  # first, so the record's own types are derived too and a rerun adds nothing
    before = len(store)
    update = _HIERARCHY.format(
        classes=_hierarchy(store, RDFS + "subClassOf"), properties=_hierarchy(store, RDFS + "subPropertyOf")
    )
    store.oxigraph.update(update, prefixes=PREFIXES)
    return len(store) - before


def _mark_inferred(store: Store) -> None:
    """Record in kgg:provenance that kgg:inferred holds derived statements (they need no quote)."""
    record, provenance = ox.NamedNode(INFERRED_GRAPH), ox.NamedNode(PROVENANCE_GRAPH)
    store.oxigraph.extend(
        [
            ox.Quad(record, ox.NamedNode(RDF + "type"), ox.NamedNode(KG + "InferredStatements"), provenance),
            ox.Quad(record, ox.NamedNode(RDFS + "label"), ox.Literal("Inferred statements", language="en"), provenance),
        ]
    )


_OWLRL_ERROR = "http://www.daml.org/2002/03/agents/agent-ont#error"


def add_inferences(store: Store) -> tuple[int, list[Violation]]:
    """Add the OWL 2 RL closure about the data's entities to the graph kgg:inferred.

    Returns how many statements were added and the inconsistencies the reasoner found (such as an
    individual of two disjoint classes), as violations.

    Only new statements about entities of the data are kept, not the axioms owlrl derives about
    the vocabulary itself, nor owl:sameAs self-links and owl:Thing types.
    """
    import owlrl
    import rdflib

    graph = union_graph(store)
    before = set(graph)
    entities = {
        row["s"].value
        for row in store.query(
            "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } "
            f"FILTER(?g NOT IN (<{ONTOLOGY_IRI}>, <{PROVENANCE_GRAPH}>)) FILTER(isIRI(?s)) }}"
        )
    }
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    target = ox.NamedNode(INFERRED_GRAPH)
    quads = [
        ox.Quad(ox.NamedNode(str(s)), ox.NamedNode(str(p)), from_rdflib(o), target)
        for s, p, o in set(graph) - before
        if str(s) in entities
        and str(p) != OWL + "sameAs"
        and str(o) != OWL + "Thing"
        and not isinstance(o, rdflib.BNode)
    ]
    store.oxigraph.extend(quads)
    inconsistencies = [
        Violation(
            focus_label=shorten(str(message).rsplit(" ", 1)[-1]),
            focus=str(message).rsplit(" ", 1)[-1],
            path="owl:disjointWith" if "Disjoint" in str(message) else "-",
            message=f"OWL RL inconsistency: {message}",
        )
        for message in graph.objects(None, rdflib.URIRef(_OWLRL_ERROR))
    ]
    _mark_inferred(store)
    return len(quads), sorted(inconsistencies)
