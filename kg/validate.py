"""SHACL validation (pySHACL) of a store: shapes, evidence coverage, and quotes against sources."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kg.namespaces import (
    ANNOTATION_PROPERTIES,
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
    ?e a kg:Evidence ; kg:quote ?quote ; kg:source ?source .
    OPTIONAL {{ ?e kg:startOffset ?start }}
    OPTIONAL {{ ?e kg:endOffset ?end }}
  }}
  OPTIONAL {{ ?source kg:localCopy ?copy }}
}}"""


def validate_store(store: GraphStore, source_roots: Iterable[Path] = ()) -> list[Violation]:
    """All violations in the store, sorted; an empty list means the data conforms."""
    import pyshacl
    import rdflib

    data = validation_graph(store)
    shapes = rdflib.Graph().parse(shapes_file(), format="turtle")
    _conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        advanced=True,
        inference="none",
        allow_warnings=True,
    )
    violations = _read_report(report, data)
    violations += check_quotes(store, [*source_roots, graph_dir()])
    return sorted(set(violations))


def validation_graph(store: GraphStore) -> rdflib.Graph:
    """The union of all graphs plus the derived kgsh:supportedBy / kgsh:unsupportedProperty links."""
    import rdflib

    graph = union_graph(store)
    supported = rdflib.URIRef(KGSH + "supportedBy")
    for row in store.query(_SUPPORTED):
        graph.add((to_rdflib(row["s"]), supported, to_rdflib(row["g"])))
    unsupported = rdflib.URIRef(KGSH + "unsupportedProperty")
    for row in store.query(_UNSUPPORTED, union=False):
        graph.add((to_rdflib(row["s"]), unsupported, to_rdflib(row["p"])))
    return graph


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
    if (not copy or relative.is_absolute() or ".." in relative.parts or any(c in copy for c in "\\\0")
            or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", copy)):  # a URL or a drive letter
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
    from rdflib import RDF, Literal, URIRef
    from rdflib.namespace import SH

    violations = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
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
    from rdflib.collection import Collection
    from rdflib.namespace import SH

    alternatives = report.value(path, SH.alternativePath)
    if alternatives is not None:
        return " | ".join(shorten(str(p)) for p in Collection(report, alternatives))
    inverse = report.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + shorten(str(inverse))
    return str(path)


def _english_label(data: rdflib.Graph, node: rdflib.term.Node) -> str:
    from rdflib import RDFS

    labels = sorted(
        str(label) for label in data.objects(node, RDFS.label) if getattr(label, "language", None) in ("en", None)
    )
    return labels[0] if labels else ""


