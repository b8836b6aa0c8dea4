"""The notebook API: typed DataFrames from SPARQL, bound parameters, the `%%sparql` magic, inline graphs."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest

import kg.notebook as kgnb
from kg.analysis.project import entity_graph
from kg.errors import (
    ForbiddenQueryError,
    ParameterError,
    QueryError,
    StoreError,
    UnknownEntityError,
    UnknownQueryError,
)
from kg.pages.render import focus, network, page_html
from kg.storage.embedded import Store

YOON = "https://w3id.org/kg-diplomacy/resource/yoon-suk-yeol"


@pytest.fixture
def default_store(bundled_store_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """KG_STORE points at the session's bundled store; no store is open yet in kg.notebook."""
    monkeypatch.setenv("KG_STORE", str(bundled_store_path))
    monkeypatch.setattr(kgnb, "_state", {})
    yield bundled_store_path


# --- query_df: typed columns ----------------------------------------------------------------------

TYPED = """
SELECT ?iri ?other ?day ?month ?year ?mixedDate ?count ?share ?ratio ?flag ?when ?en ?plain ?mixed WHERE {
  VALUES (?iri ?other ?day ?month ?year ?mixedDate ?count ?share ?ratio ?flag ?when ?en ?plain ?mixed) {
    (kgr:yoon-suk-yeol <http://example.org/x> "2023-03-16"^^xsd:date "2018-10"^^xsd:gYearMonth
     "1965"^^xsd:gYear "2018-10"^^xsd:gYearMonth 15 0.5 "1.5e0"^^xsd:double true
     "2023-03-16T09:30:00Z"^^xsd:dateTime "Yoon"@en "text" kgr:japan)
    (kgr:japan UNDEF "2023-03-06"^^xsd:date "2023-03"^^xsd:gYearMonth
     "2023"^^xsd:gYear "2023-03-16"^^xsd:date UNDEF 2 UNDEF false
     "2023-03-16T10:00:00Z"^^xsd:dateTime "윤석열"@ko "more" "a literal")
  }
}"""


def test_columns_are_typed(bundled_store: Store) -> None:
    df = kgnb.query_df(TYPED, store=bundled_store)
    assert list(df.columns) == [
        "iri",
        "other",
        "day",
        "month",
        "year",
        "mixedDate",
        "count",
        "share",
        "ratio",
        "flag",
        "when",
        "en",
        "plain",
        "mixed",
    ]
    assert df["iri"].tolist() == ["kgr:yoon-suk-yeol", "kgr:japan"]
    assert df["other"].iloc[0] == "<http://example.org/x>" and pd.isna(df["other"].iloc[1])
    assert pd.api.types.is_datetime64_any_dtype(df["day"])
    assert df["day"].iloc[0] == pd.Timestamp("2023-03-16")
    assert (df["day"].iloc[0] - df["day"].iloc[1]).days == 10
    # Months and years stay months and years: no day is invented.
    assert str(df["month"].dtype) == "period[M]" and str(df["month"].iloc[0]) == "2018-10"
    assert df["month"].iloc[0].start_time.date() == dt.date(2018, 10, 1)
    assert df["month"].iloc[0].end_time.date() == dt.date(2018, 10, 31)
    assert str(df["year"].dtype).startswith("period[Y") and str(df["year"].iloc[0]) == "1965"
    assert df["mixedDate"].tolist() == ["2018-10", "2023-03-16"]  # mixed precision: the text as written
    assert pd.api.types.is_string_dtype(df["mixedDate"])
    assert str(df["count"].dtype) == "Int64" and df["count"].iloc[0] == 15 and pd.isna(df["count"].iloc[1])
    assert df["share"].dtype == "float64" and df["share"].tolist() == [0.5, 2.0]  # decimal and integer mixed
    assert df["ratio"].dtype == "float64" and df["ratio"].iloc[0] == 1.5
    assert df["flag"].dtype == bool and df["flag"].tolist() == [True, False]
    assert pd.api.types.is_datetime64_any_dtype(df["when"])
    assert df["en"].tolist() == ["Yoon", "윤석열"] and pd.api.types.is_string_dtype(df["en"])
    assert df["mixed"].tolist() == ["kgr:japan", "a literal"]
    assert df.attrs["kg_types"]["day"] == "xsd:date" and df.attrs["kg_types"]["mixed"] == "mixed"


def test_canned_query_gives_dates_as_dates(bundled_store: Store) -> None:
    df = kgnb.query_df("cq1-summit-leaders", store=bundled_store)
    assert df["answer"].tolist() == ["Kishida Fumio", "Yoon Suk-yeol", "Tokyo"]
    assert (df["date"] == pd.Timestamp("2023-03-16")).all()


def test_ask_construct_and_empty_results(bundled_store: Store) -> None:
    assert kgnb.query_df("ASK { ?s a kg:Summit }", store=bundled_store)["ask"].tolist() == [True]
    triples = kgnb.query_df("CONSTRUCT { ?s a kg:Summit } WHERE { ?s a kg:Summit }", store=bundled_store)
    assert list(triples.columns) == ["subject", "predicate", "object"] and len(triples) == 3
    assert set(triples["object"]) == {"kg:Summit"}
    empty = kgnb.query_df("SELECT ?s ?n WHERE { ?s kg:nothing ?n }", store=bundled_store)
    assert list(empty.columns) == ["s", "n"] and len(empty) == 0


# --- query_df: parameters -------------------------------------------------------------------------

LABEL_OF = 'SELECT ?x ?label WHERE { ?x rdfs:label ?label FILTER(LANG(?label) = "en") }'


def test_parameters_are_typed_terms(bundled_store: Store) -> None:
    assert kgnb.query_df(LABEL_OF, store=bundled_store, x="kgr:yoon-suk-yeol")["label"].tolist() == ["Yoon Suk-yeol"]
    assert len(kgnb.query_df(LABEL_OF, store=bundled_store, params={"x": f"<{YOON}>"})) == 1
    assert len(kgnb.query_df("cq1-summit-leaders", store=bundled_store, date=dt.date(2023, 3, 16))) == 3
    assert len(kgnb.query_df("cq1-summit-leaders", store=bundled_store, date="2023-03-17")) == 0
    # An entity name in any language, for a canned query's IRI parameter.
    rows = kgnb.query_df("evidence-of", store=bundled_store, entity="윤석열")
    assert set(rows["entity"]) == {"kgr:yoon-suk-yeol"}
    number = kgnb.query_df("SELECT ?n WHERE { }", store=bundled_store, n=7)
    assert number["n"].tolist() == [7] and str(number["n"].dtype) == "Int64"
    assert kgnb.query_df("SELECT ?n WHERE { }", store=bundled_store, n=0.25)["n"].tolist() == [0.25]
    month = kgnb.query_df("SELECT ?m WHERE { }", store=bundled_store, m=pd.Period("2023-03", freq="M"))
    assert str(month["m"].dtype) == "period[M]"


@pytest.mark.parametrize(
    "value",
    [
        "kgr:yoon-suk-yeol> } UNION { ?x ?p ?label",
        '" } ?x ?p ?label { "',
        "kgr:yoon-suk-yeol . ?x ?p ?label",
    ],
)
def test_parameters_never_change_the_query(bundled_store: Store, value: str) -> None:
    found = kgnb.query_df(LABEL_OF, store=bundled_store, x=value)
    assert len(found) == 0  # the whole value is one term, which names nothing


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"x": True}, "cannot be bound"),
        ({"x": dt.datetime(2023, 3, 16, 9, 0)}, "time of day"),
        ({"x": float("nan")}, "not a finite number"),
        ({"x": object()}, "cannot bind a object"),
        ({"nope": "1"}, "the query has no variable ?nope"),
    ],
)
def test_bad_parameters(bundled_store: Store, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message.replace("?", r"\?")):
        kgnb.query_df(LABEL_OF, store=bundled_store, params=params)


def test_canned_parameter_errors(bundled_store: Store) -> None:
    with pytest.raises(ParameterError, match="has no parameter 'when'"):
        kgnb.query_df("cq1-summit-leaders", store=bundled_store, when="2023")
    with pytest.raises(ParameterError, match="not a valid xsd:date"):
        kgnb.query_df("cq1-summit-leaders", store=bundled_store, date="16 March")
    with pytest.raises(UnknownQueryError, match="did you mean cq1-summit-leaders"):
        kgnb.query_df("cq1-summit-leader", store=bundled_store)


def test_bound_variable_must_be_selected(bundled_store: Store) -> None:
    with pytest.raises(ParameterError, match="SELECT clause"):
        kgnb.query_df("SELECT ?label WHERE { ?x rdfs:label ?label }", store=bundled_store, x="kgr:japan")


def test_bad_and_refused_queries_are_one_line(bundled_store: Store) -> None:
    with pytest.raises(QueryError) as bad:
        kgnb.query_df("SELECT ?x WHERE {\n  ?x a kg:Summit", store=bundled_store)
    assert str(bad.value).startswith("invalid SPARQL: line 2") and "\n" not in str(bad.value)
    with pytest.raises(ForbiddenQueryError, match="SERVICE"):
        kgnb.query_df("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", store=bundled_store)


# --- opening stores -------------------------------------------------------------------------------


def test_open_builds_the_bundled_store_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nb-store"
    monkeypatch.setenv("KG_STORE", str(path))
    monkeypatch.setattr(kgnb, "_state", {})
    assert kgnb.store_path() == path
    store = kgnb.open()
    assert "kg: built the bundled graph into" in capsys.readouterr().out
    assert (path / "current").exists() and store.location == str(path)
    generation = (path / "current").resolve()
    assert kgnb.query_df("cq1-summit-leaders")["answer"].tolist()[0] == "Kishida Fumio"  # the opened store
    kgnb.open()
    again = capsys.readouterr().out  # loaded into memory again, not rebuilt
    assert "built" not in again and "quads in memory" in again and (path / "current").resolve() == generation


def test_open_a_given_store(bundled_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kgnb, "_state", {})
    store = kgnb.open(bundled_store_path)
    assert kgnb.iri("尹錫悦", store) == "kgr:yoon-suk-yeol"
    assert len(kgnb.query_df("SELECT ?s WHERE { ?s a kg:Summit }")) == 3
    with pytest.raises(StoreError, match="no store has been built here"):
        kgnb.open(tmp_path / "nothing")  # a given folder is never built into
    assert not (tmp_path / "nothing").exists()


def test_iri_lookup_in_three_languages(default_store: Path) -> None:
    for name in ("President Yoon", "尹錫悦", "윤석열", "ユン・ソンニョル"):
        assert kgnb.iri(name) == "kgr:yoon-suk-yeol"
    with pytest.raises(UnknownEntityError, match="did you mean"):
        kgnb.iri("Kishida Fumyo")


# --- show -----------------------------------------------------------------------------------------


class _Frames(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "iframe":
            self.frames.append(dict(attrs))


def frames_of(markup: str) -> _Frames:
    parser = _Frames()
    parser.feed(markup)
    return parser


def test_show_a_graph_is_an_escaped_sandboxed_iframe(bundled_store: Store) -> None:
    graph = entity_graph(bundled_store, classes=["Actor"])
    shown = kgnb.show(graph, title='Actors <&> "quoted"', height=420)
    parsed = frames_of(shown.data)
    assert parsed.tags == ["div", "iframe"]  # the page is inside the attribute, not in the markup
    (frame,) = parsed.frames
    assert frame["sandbox"] == "allow-scripts"
    assert "height: 420px" in str(frame["style"])
    assert frame["srcdoc"] == page_html(network(graph), title='Actors <&> "quoted"')
    assert "<script" not in shown.data
    assert f"{graph.number_of_nodes()} nodes" in repr(shown)


def test_show_keeps_hostile_text_inside_the_attribute() -> None:
    graph = nx.MultiDiGraph()
    payload = '"><script>window.__xss=1</script><iframe src="javascript:alert(1)">'
    graph.add_node("a", label=payload, kind="Person", top="Actor", quotes=[])
    graph.add_node("b", label="b", kind="Person", top="Actor", quotes=[])
    graph.add_edge("a", "b", label=payload, quote=payload)
    shown = kgnb.show(graph, title=payload)
    parsed = frames_of(shown.data)
    assert parsed.tags == ["div", "iframe"] and len(parsed.frames) == 1
    assert "<script" not in shown.data and payload in html.unescape(shown.data)


def test_show_an_entity_neighbourhood_or_a_network(default_store: Path, bundled_store: Store) -> None:
    shown = kgnb.show("윤석열", hops=1)
    expected = focus(entity_graph(bundled_store), YOON, 1)
    srcdoc = str(frames_of(shown.data).frames[0]["srcdoc"])
    assert f"{expected.number_of_nodes()} nodes" in repr(shown)
    assert srcdoc == page_html(network(expected), title="Yoon Suk-yeol: links within 1 hop")
    net = network(expected)
    assert frames_of(kgnb.show(net, title="t").data).frames[0]["srcdoc"] == page_html(net, title="t")
    with pytest.raises(UnknownEntityError):
        kgnb.show("Nobody at all")
    with pytest.raises(TypeError, match="networkx graph, a pyvis Network or an entity name"):
        kgnb.show(42)


# --- the IPython extension and the %%sparql magic ----------------------------------------------------


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An in-process IPython shell with `%load_ext kg` (history in memory; __main__ restored after)."""
    import sys

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.InteractiveShell.ipython_dir = str(tmp_path_factory.mktemp("ipython"))
    main = sys.modules["__main__"]
    ip = InteractiveShell.instance(config=config)
    ip.run_line_magic("load_ext", "kg")
    yield ip
    InteractiveShell.clear_instance()
    sys.modules["__main__"] = main


def run(shell: Any, cell: str) -> tuple[Any, Any]:
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = shell.run_cell(cell, store_history=True)
    return result, captured


def test_load_ext_registers_the_cell_magic(shell: Any) -> None:
    assert shell.find_cell_magic("sparql") is not None
    assert "kg.notebook" not in shell.user_ns  # nothing but the magic is added


def test_magic_stores_and_shows_the_dataframe(shell: Any, default_store: Path) -> None:
    result, captured = run(shell, "%%sparql leaders --param date=2023-03-16\ncq1-summit-leaders\n")
    assert result.success and result.result is None
    leaders = shell.user_ns["leaders"]
    assert isinstance(leaders, pd.DataFrame) and leaders["answer"].tolist()[1] == "Yoon Suk-yeol"
    assert pd.api.types.is_datetime64_any_dtype(leaders["date"])
    assert len(captured.outputs) == 1 and "Yoon Suk-yeol" in captured.outputs[0].data["text/plain"]
    assert captured.stderr == ""


def test_magic_binds_python_values_and_store_option(
    shell: Any, bundled_store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kgnb, "_state", {})
    monkeypatch.delenv("KG_STORE", raising=False)
    shell.user_ns["who"] = "kgr:yoon-suk-yeol"
    shell.user_ns["where"] = str(bundled_store_path)
    result, _ = run(shell, "%%sparql found --param x={who} --store {where}\n" + LABEL_OF)
    assert result.success and shell.user_ns["found"]["label"].tolist() == ["Yoon Suk-yeol"]
    assert kgnb._state == {}  # --store is for this cell only
    result, _ = run(
        shell,
        f"%%sparql sneaky --store {bundled_store_path} "
        '--param "x=kgr:yoon-suk-yeol> } UNION { ?x ?p ?label"\n' + LABEL_OF,
    )
    assert result.success and len(shell.user_ns["sneaky"]) == 0
    result, _ = run(shell, f"%%sparql --store {bundled_store_path}\nSELECT ?s WHERE {{ ?s a kg:Summit }}")
    assert isinstance(result.result, pd.DataFrame) and len(result.result) == 3  # no name: the cell's value


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%sparql bad\nSELECT ?x WHERE {\n  ?x a kg:Summit\n", "kg: invalid SPARQL: line 3, column 1: "),
        (
            "%%sparql bad\nSELECT * WHERE { SERVICE <http://example.org/q> { ?s ?p ?o } }",
            "kg: SERVICE refused at line 1, column 18: ",
        ),
        ("%%sparql bad --param nope=1\ncq1-summit-leaders", "kg: query cq1-summit-leaders has no parameter 'nope'"),
        ("%%sparql bad --param date=March\ncq1-summit-leaders", "kg: parameter date: 'March' is not a valid xsd:date"),
        ("%%sparql bad --param entity=Nobody\nevidence-of", "kg: no entity is called 'Nobody'"),
        ("%%sparql bad\ncq9-no-such-query", "kg: no canned query named 'cq9-no-such-query'"),
        ("%%sparql 1bad\ncq1-summit-leaders", "kg: '1bad' is not a valid Python variable name (usage: %%sparql"),
        ("%%sparql bad --param novalue\ncq1-summit-leaders", "kg: --param 'novalue': expected NAME=VALUE"),
        ("%%sparql bad --frobnicate\ncq1-summit-leaders", "kg: unrecognized arguments: --frobnicate"),
        ("%%sparql bad --store /nonexistent/kg-store\ncq1-summit-leaders", "kg: /nonexistent/kg-store: no store"),
    ],
)
def test_magic_errors_are_one_line(shell: Any, default_store: Path, cell: str, message: str) -> None:
    shell.user_ns.pop("bad", None)
    result, captured = run(shell, cell)
    assert result.success and result.result is None  # no exception reached the cell
    assert captured.stderr.startswith(message), captured.stderr
    assert captured.stderr.count("\n") == 1 and "Traceback" not in captured.stdout + captured.stderr
    assert captured.outputs == [] and "bad" not in shell.user_ns


def test_show_displays_once_per_cell(shell: Any, bundled_store: Store) -> None:
    shell.user_ns["graph"] = entity_graph(bundled_store, classes=["State"])
    shell.run_cell("import kg.notebook as kgnb", store_history=True)
    result, captured = run(shell, "from IPython.display import display\npage = kgnb.show(graph)\ndisplay(page)\npage")
    assert result.success and len(captured.outputs) == 1  # displayed, and not again as the cell's value
    assert "<iframe srcdoc=" in captured.outputs[0].data["text/html"]
    _, again = run(shell, "page")
    assert len(again.outputs) == 1  # a later cell shows it again
