"""SHACL validation (pySHACL) of a store: shapes, evidence coverage, and quotes against sources."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.namespaces import (
    ANNOTATION_PROPERTIES,
    KG,
    KGSH,
    ONTOLOGY_IRI,
    PROVENANCE_GRAPH,
    shorten,
)
from kg.resources import graph_dir, shapes_file
from kg.storage.protocol import GraphStore
from kg.terms import to_rdflib, union_graph

if TYPE_CHECKING:
    import rdflib


@dataclass(frozen=True, order=True)
class Violation:
    """One way the data breaks a shape; `focus` is the IRI of the node at fault."""

    focus_label: str
    focus: str
    path: str
    message: str
    severity: str = "Violation"
    value: str = ""

    def line(self) -> str:
        value = f" (value: {self.value})" if self.value else ""
        return f"{self.severity}: {self.focus_label} <{self.focus}> {self.path}: {self.message}{value}"


# Graphs whose statements are metadata or vocabulary rather than facts about the world.
_META_GRAPHS = f"<{ONTOLOGY_IRI}>, <{PROVENANCE_GRAPH}>"
_VOCABULARY_TYPES = (
    "owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty owl:Ontology "
    "rdf:Property rdfs:Class rdfs:Datatype skos:Concept skos:ConceptScheme owl:AllDisjointClasses"
)

_SUPPORTED = f"""
SELECT DISTINCT ?s ?g WHERE {{
  GRAPH ?g {{ ?s ?p ?o }}
  GRAPH <{PROVENANCE_GRAPH}> {{ ?g a kg:Evidence }}
}}"""

# Run without the union default graph: `{ ?s ?p ?o }` is then the store's own default graph.
_UNSUPPORTED = f"""
SELECT DISTINCT ?s ?p WHERE {{
  {{ ?s ?p ?o }}
  UNION
  {{
    GRAPH ?g {{ ?s ?p ?o }}
    FILTER(?g NOT IN ({_META_GRAPHS}))
    FILTER NOT EXISTS {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?g a kg:Evidence }} }}
    FILTER NOT EXISTS {{
      GRAPH <{PROVENANCE_GRAPH}> {{ ?g a kg:CuratedAnnotations }}
      FILTER(?p IN ({", ".join(f"<{p}>" for p in ANNOTATION_PROPERTIES)}))
    }}
    FILTER NOT EXISTS {{
      GRAPH <{PROVENANCE_GRAPH}> {{ ?g a ?derived VALUES ?derived {{ kg:InferredStatements kg:AnalysisResults }} }}
    }}
  }}
  FILTER NOT EXISTS {{
    {{ ?s a ?vocabulary }} UNION {{ GRAPH ?tg {{ ?s a ?vocabulary }} }}
    VALUES ?vocabulary {{ {_VOCABULARY_TYPES} }}
  }}
}}"""

_EVIDENCE = f"""
SELECT ?e ?quote ?start ?end ?copy WHERE {{
  GRAPH <{PROVENANCE_GRAPH}> {{
    ?e kg:source ?source ; a kg:Evidence ; kg:quote ?quote .
    OPTIONAL {{ ?e kg:startOffset ?start }}
    OPTIONAL {{ ?e kg:endOffset ?end }}
  }}
  ?source kg:localCopy ?copy
}}"""


ENGINES = ("sparql", "pyshacl")
DEFAULT_ENGINE = "sparql"


def validate_store(
    store: GraphStore, source_roots: Iterable[Path] = (), engine: str = DEFAULT_ENGINE
) -> list[Violation]:
    """All violations in the store, sorted; an empty list means the data conforms.

    `engine` "sparql" (default) compiles the shapes to SPARQL run by Oxigraph (kg.shacl_sparql);
    "pyshacl" runs pySHACL over an rdflib copy of the data (the reference, far slower).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r} (known: {', '.join(ENGINES)})")
    violations = None
    if engine == "sparql":
        from kg.errors import ShapeNotCompiled
        from kg.shacl_sparql import validate_oxigraph

        try:
            found = validate_oxigraph(store, derived_statements(store, supported=False), DERIVED_PATTERNS)
            violations = [Violation(*finding) for finding in found]
        except ShapeNotCompiled as error:
            import logging

            logging.getLogger("kg").warning("validating with pySHACL: %s", error)
    if violations is None:
        violations = _pyshacl_violations(store)
    violations += check_quotes(store, [*source_roots, *_store_source_roots(store), graph_dir()])
    violations += _vocabulary(store)
    return sorted(set(violations))


def _pyshacl_violations(store: GraphStore, shapes_path: Path | None = None) -> list[Violation]:
    import pyshacl
    import rdflib

    data = validation_graph(store)
    shapes = rdflib.Graph().parse(shapes_path or shapes_file(), format="turtle")
    _conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        advanced=True,
        inference="none",
        allow_warnings=True,
    )
    return _read_report(report, data)


# kgsh:supportedBy as a graph pattern (kg.shacl_sparql.Compiler.tp): the SPARQL engine joins it
# where a shape uses it instead of storing one statement per entity. The minCount check runs it
# as the right side of a MINUS (evidence records, then their graphs); inside a FILTER EXISTS per
# entity this join order would scan every evidence record for each entity.
DERIVED_PATTERNS = {
    KGSH + "supportedBy": f"GRAPH <{PROVENANCE_GRAPH}> {{{{ {{o}} a <{KG}Evidence> }}}} "
    "GRAPH {o} {{ {s} ?_sp{u} ?_so{u} }}",
}


def derived_statements(store: GraphStore, supported: bool = True) -> list[tuple[object, str, object]]:
    """The derived kgsh:supportedBy (unless not `supported`) / kgsh:unsupportedProperty links."""
    derived: list[tuple[object, str, object]] = []
    for row in store.query(_SUPPORTED) if supported else ():
        derived.append((row["s"], KGSH + "supportedBy", row["g"]))
    for row in store.query(_unsupported_query(store), union=False):
        derived.append((row["s"], KGSH + "unsupportedProperty", row["p"]))
    return derived


_GRAPH_KINDS = f"""
SELECT ?g ?kind WHERE {{
  GRAPH <{PROVENANCE_GRAPH}> {{
    ?g a ?kind VALUES ?kind {{ kg:Evidence kg:CuratedAnnotations kg:InferredStatements kg:AnalysisResults }}
  }}
}}"""

_UNSUPPORTED_IN = f"""
SELECT DISTINCT ?s ?p WHERE {{
  {{ ?s ?p ?o }}
  UNION {{ VALUES ?g {{ %(plain)s }} GRAPH ?g {{ ?s ?p ?o }} }}
  UNION {{
    VALUES ?g {{ %(curated)s }} GRAPH ?g {{ ?s ?p ?o }}
    FILTER(?p NOT IN ({", ".join(f"<{p}>" for p in ANNOTATION_PROPERTIES)}))
  }}
  FILTER NOT EXISTS {{
    {{ ?s a ?vocabulary }} UNION {{ GRAPH ?tg {{ ?s a ?vocabulary }} }}
    VALUES ?vocabulary {{ {_VOCABULARY_TYPES} }}
  }}
}}"""


def _unsupported_query(store: GraphStore) -> str:
    """_UNSUPPORTED, restricted to the graphs that are neither evidence nor metadata.

    Sorting the graphs out first (a few thousand look-ups) saves testing every statement of the
    store against the provenance graph: 3.5 s -> 0.2 s at 100k quads.
    """
    kinds: dict[object, set[str]] = {}
    for row in store.query(_GRAPH_KINDS):
        kinds.setdefault(row["g"], set()).add(row["kind"].value.rsplit("#", 1)[-1])
    meta = {ONTOLOGY_IRI, PROVENANCE_GRAPH}
    plain: list[str] = []
    curated: list[str] = []
    for graph in store.oxigraph.named_graphs() if hasattr(store, "oxigraph") else ():
        if not isinstance(graph, ox.NamedNode):
            return _UNSUPPORTED
        kind = kinds.get(graph, set())
        if graph.value in meta or kind & {"Evidence", "InferredStatements", "AnalysisResults"}:
            continue
        (curated if "CuratedAnnotations" in kind else plain).append(str(graph))
    if not hasattr(store, "oxigraph"):
        return _UNSUPPORTED
    return _UNSUPPORTED_IN % {"plain": " ".join(plain), "curated": " ".join(curated)}


def validation_graph(store: GraphStore) -> rdflib.Graph:
    """The union of all graphs plus the derived kgsh:supportedBy / kgsh:unsupportedProperty links."""
    import rdflib

    graph = union_graph(store)
    for subject, predicate, obj in derived_statements(store):
        graph.add((to_rdflib(subject), rdflib.URIRef(predicate), to_rdflib(obj)))
    return graph


def _vocabulary(store: GraphStore) -> list[Violation]:
    """Closed vocabulary: unknown kg/rdfs/skos/schema.org classes, properties and concepts (kg.vocabulary)."""
    from kg.vocabulary import unknown_terms

    return [
        Violation(
            focus_label=shorten(term.example) if term.example else shorten(term.term),
            focus=term.example or term.term,
            path="rdf:type" if term.role == "class" else shorten(term.term),
            message=term.message(),
        )
        for term in unknown_terms(store)
    ]


def _store_source_roots(store: GraphStore) -> list[Path]:
    """The live generation of a store folder: sources registered with `kg source add` live there."""
    if "://" in store.location or store.location == ":memory:":
        return []
    link = Path(store.location) / "current"
    return [link.resolve()] if link.exists() else []


def check_quotes(store: GraphStore, roots: Iterable[Path]) -> list[Violation]:
    """Each quote must be the text at its offsets in the local copy of its source.

    A local copy is a relative path read only inside the folder of a data file (or the bundled
    graphs' folder); absolute paths, `..`, links that lead outside, special files, binary or
    non-UTF-8 copies are violations, and such files are never read.
    """
    roots = list(roots)
    texts: dict[str, str | Violation | None] = {}
    problems = []
    for row in store.query(_EVIDENCE):
        evidence, quote = row["e"].value, row["quote"].value
        if row["copy"] is None:
            continue
        copy = row["copy"].value
        label = shorten(evidence)
        if copy not in texts:
            texts[copy] = _read_copy(copy, roots)
        text = texts[copy]
        if isinstance(text, Violation):
            problems.append(Violation(label, evidence, text.path, text.message, text.severity))
            continue
        if text is None:
            message = f"local copy {copy!r} of the source not found; quote not checked"
            problems.append(Violation(label, evidence, "kg:source", message, "Warning"))
            continue
        if quote not in text:
            problems.append(Violation(label, evidence, "kg:quote", f"quote is not a verbatim passage of {copy}"))
            continue
        if row["start"] is not None and row["end"] is not None:
            start, end = int(row["start"].value), int(row["end"].value)
            if text[start:end] != quote:
                message = f"offsets {start}..{end} do not frame the quote in {copy}"
                problems.append(Violation(label, evidence, "kg:startOffset", message))
    return problems


def _read_copy(copy: str, roots: list[Path]) -> str | Violation | None:
    """The text of a local copy found inside one of `roots`, a Violation saying why not, or None."""
    from kg.errors import InputFileError
    from kg.limits import Limits, read_regular_file

    def refused(message: str) -> Violation:
        return Violation("", "", "kg:localCopy", f"local copy {copy!r} {message}; quote not checked")

    relative = Path(copy)
    if (
        not copy
        or relative.is_absolute()
        or ".." in relative.parts
        or any(c in copy for c in "\\\0")
        or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", copy)
    ):  # a URL or a drive letter
        return refused("must be a relative path inside the data's folder (no absolute path, no '..')")
    for root in roots:
        base = root.resolve()
        candidate = base / relative
        if not candidate.exists() and not candidate.is_symlink():
            continue
        if not candidate.resolve().is_relative_to(base):
            return refused("leads outside the data's folder (through a link)")
        try:
            data = read_regular_file(candidate, Limits().max_source_bytes, "local copy")
        except InputFileError as error:
            return refused(error.detail)
        if b"\0" in data:
            return refused("is a binary file, not text")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            return refused(f"is not UTF-8 text (byte {error.start})")
    return None


def _read_report(report: rdflib.Graph, data: rdflib.Graph) -> list[Violation]:
    from rdflib import Literal, URIRef
    from rdflib.namespace import SH

    violations = []
    # Only the report's own results: pySHACL also nests the results of sh:node/sh:or members
    # under sh:detail, which are explanations, not further violations.
    for result in report.objects(None, SH.result):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        severity = report.value(result, SH.resultSeverity)
        value = report.value(result, SH.value)
        label = _english_label(data, focus) if focus is not None else ""
        if isinstance(path, URIRef):
            path_text = shorten(str(path))
        elif path is not None:
            path_text = _path_text(report, path)
        else:
            path_text = "-"
        if isinstance(value, URIRef) and value != focus:
            value_text = shorten(str(value))
        elif isinstance(value, Literal):
            value_text = repr(str(value)) + (f"^^{shorten(str(value.datatype))}" if value.datatype else "")
        else:
            value_text = ""
        if path is not None and str(path) == KGSH + "supportedBy":
            path_text = "evidence"
        violations.append(
            Violation(
                focus_label=label or shorten(str(focus)),
                focus=str(focus),
                path=path_text,
                message=str(message) if message else "does not conform",
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                value=value_text,
            )
        )
    return violations


def _path_text(report: rdflib.Graph, path: rdflib.term.Node) -> str:
    """A SHACL path as text: prefixed names, alternatives joined by ' | ', else SPARQL path syntax."""
    from rdflib.collection import Collection
    from rdflib.namespace import SH

    alternatives = report.value(path, SH.alternativePath)
    if alternatives is not None:
        return " | ".join(_path_syntax(report, p) for p in Collection(report, alternatives))
    return _path_syntax(report, path)


def _path_syntax(report: rdflib.Graph, path: rdflib.term.Node) -> str:
    from rdflib import RDF, URIRef
    from rdflib.collection import Collection
    from rdflib.namespace import SH

    if isinstance(path, URIRef):
        return shorten(str(path))
    if report.value(path, RDF.first) is not None:
        return "(" + "/".join(_path_syntax(report, p) for p in Collection(report, path)) + ")"
    alternatives = report.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path_syntax(report, p) for p in Collection(report, alternatives)) + ")"
    for predicate, template in (
        (SH.inversePath, "(^{})"),
        (SH.zeroOrMorePath, "({}*)"),
        (SH.oneOrMorePath, "({}+)"),
        (SH.zeroOrOnePath, "({}?)"),
    ):
        inner = report.value(path, predicate)
        if inner is not None:
            return template.format(_path_syntax(report, inner))
    return str(path)


def _english_label(data: rdflib.Graph, node: rdflib.term.Node) -> str:
    from rdflib import RDFS

    labels = sorted(
        str(label) for label in data.objects(node, RDFS.label) if getattr(label, "language", None) in ("en", None)
    )
    return labels[0] if labels else ""
