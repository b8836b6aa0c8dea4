"""The format registry: one table read by the CLI, export, query output, build, the endpoint and remote stores."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import formats as registry
from kg.cli.options import format_choices
from kg.export import EXPORT_FORMATS, export
from kg.output import write_result
from kg.readers import reader_for
from kg.sparql_protocol import GRAPH_FORMATS, RESULT_FORMATS, UPLOAD_FORMATS
from kg.storage.embedded import Store
from kg.storage.remote_sparql import graph_format


def test_names_kinds_and_lookups() -> None:
    turtle = registry.get("turtle", "rdf")
    assert turtle.rdf == ox.RdfFormat.TURTLE and turtle.media_type == "text/turtle" and ".ttl" in turtle.suffixes
    assert registry.get("ttl", "rdf") is turtle  # aliases
    assert registry.get("json", "results").results == ox.QueryResultsFormat.JSON
    assert registry.get("json", "rows").kind == "rows"
    assert registry.by_media_type("application/rdf+xml; charset=utf-8", "rdf") is registry.get("rdfxml", "rdf")
    assert registry.rdf_for_path(Path("notes.TRIG")) is registry.get("trig", "rdf")
    assert registry.rdf_for_path(Path("notes.docx")) is None
    assert registry.find("nope", "rdf") is None
    with pytest.raises(KeyError, match="known: turtle"):
        registry.get("nope", "rdf")
    assert {f.name for f in registry.formats("rdf", quads=True)} == {"nquads", "trig"}
    assert "n3" not in registry.names("rdf", writable=True)


def test_every_choice_comes_from_the_registry() -> None:
    writable_rdf = registry.names("rdf", writable=True)
    assert format_choices("query") == ["table", *registry.names("results"), *writable_rdf]
    assert EXPORT_FORMATS == format_choices("export") == [*writable_rdf, "graphml", "gexf", "nodes-csv", "edges-csv"]
    assert list(RESULT_FORMATS) == registry.names("results")
    assert list(GRAPH_FORMATS) == registry.names("rdf", writable=True, quads=False)
    assert set(UPLOAD_FORMATS.values()) == set(registry.names("rdf", quads=False))  # a Graph Store body is one graph
    for fmt in registry.formats("rdf"):
        assert graph_format(fmt.media_type) == fmt.rdf
        for suffix in fmt.suffixes:
            assert reader_for(Path("x" + suffix)).name == "rdf"


@pytest.mark.parametrize("name", registry.names("rdf", writable=True))
def test_construct_and_export_write_every_writable_syntax(name: str, mini_store: Store) -> None:
    result = mini_store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s a kg:Source ; ?p ?o }")
    stream = io.BytesIO()
    written = write_result(result, name, stream)
    syntax = registry.get(name, "rdf")
    parsed = list(ox.parse(stream.getvalue(), syntax.rdf))
    assert written > 0 and len(parsed) == written
    dumped = io.BytesIO()
    export(mini_store, name, dumped)
    assert len(list(ox.parse(dumped.getvalue(), syntax.rdf))) >= written
