"""Notebook helpers: open a store, SPARQL into pandas, the `%%sparql` magic, graphs drawn inline.

A thin layer over the library for Jupyter (Lab, Notebook, VS Code)::

    import kg.notebook as kgnb
    store = kgnb.open()                      # KG_STORE or the default store, loaded into memory; built if missing
    df = kgnb.query_df("cq1-summit-leaders", date="2023-03-16")
    kgnb.show("Yoon Suk-yeol", hops=1)       # an interactive graph, inline and offline

    %load_ext kg
    %%sparql leaders --param date=2023-03-16
    SELECT ?summit ?date WHERE { ?summit a kg:Summit ; kg:date ?date }

Query results become typed DataFrame columns (see `to_dataframe`). Parameters are bound as typed RDF
terms by the engine, exactly as `kg query --param` binds them, never pasted into the query text.
pandas, IPython and pyvis are imported only when a function needs them.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import sys
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import pyoxigraph as ox

from kg.errors import KgError, ParameterError
from kg.namespaces import XSD, shorten
from kg.output import term_text
from kg.storage import GraphStore, Location, open_store

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import HTML

__all__ = [
    "SparqlMagic",
    "busiest_dyads",
    "iri",
    "load_ipython_extension",
    "open",
    "query_df",
    "show",
    "store_path",
    "tension_df",
    "to_dataframe",
]

_state: dict[str, GraphStore] = {}

INTEGER_TYPES = frozenset(
    XSD + t
    for t in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
)
FLOAT_TYPES = frozenset(XSD + t for t in ("decimal", "double", "float"))
DATE_TYPES = {XSD + "date": "D", XSD + "gYearMonth": "M", XSD + "gYear": "Y"}


def _pandas() -> Any:
    """pandas, imported when first needed (it ships no type information, so it is typed as Any)."""
    import importlib

    return importlib.import_module("pandas")


# --- stores -------------------------------------------------------------------------------------


def store_path() -> Path:
    """The store folder used when none is given: KG_STORE if set, else the user's data folder."""
    return Location.parse(os.environ.get("KG_STORE") or None).folder


def open(store: str | os.PathLike[str] | None = None, *, memory: bool = True) -> GraphStore:
    """Open a built store read-only and make it the one `query_df`, `%%sparql` and `show` use.

    Without `store`: KG_STORE or the default store, built from the bundled ontology and graphs
    (validated) if nothing has been built there yet. A given folder must hold a built store.
    The store is loaded into memory from its snapshot (a line says how many quads, how long, how
    much memory): at scale, queries are several times faster than on disk. `memory=False` reads
    the disk store instead (opens at once, uses no memory). The copy does not follow later builds:
    call `open()` again to see them.
    """
    where = Location.parse(os.fspath(store) if store is not None else os.environ.get("KG_STORE") or None)
    if store is None and where.path is not None and not (where.path / "current").exists():
        from kg.build import build

        report = build(where)
        print(
            f"kg: built the bundled graph into {where}: {report.quads} statements, "
            f"{report.evidence_records} evidence records ({report.seconds:.1f} s)"
        )
    if memory and where.path is not None:
        from kg.storage.embedded import Store
        from kg.storage.memory import load_snapshot

        loaded, info = load_snapshot(where.path)
        print(f"kg: {info.summary()}")
        opened: GraphStore = Store(loaded, str(where.path), info.generation)
    else:
        opened = open_store(where)
    _state["store"] = opened
    return opened


def _store(store: GraphStore | str | os.PathLike[str] | None) -> GraphStore:
    if isinstance(store, GraphStore):
        return store
    if store is not None:
        return open_store(os.fspath(store))
    return _state["store"] if "store" in _state else open()


def iri(name: str, store: GraphStore | None = None) -> str:
    """An entity's IRI as `prefix:name`, found by label or alias in any language ("윤석열" → kgr:yoon-suk-yeol);
    usable as a query parameter."""
    from kg.describe import find_entity

    return shorten(find_entity(_store(store), name).iri)


# --- SPARQL into pandas ---------------------------------------------------------------------------

_CANNED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def query_df(
    sparql: str,
    /,
    store: GraphStore | str | os.PathLike[str] | None = None,
    params: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Run SPARQL text or a canned query name (`kg query --list`) and return a pandas DataFrame.

    Parameters come as `params={...}` or keywords (`actor="kgr:yoon-suk-yeol"`). They are typed as
    `kg query --param` types them — declared types for canned queries; otherwise `<iri>` or
    `prefix:name` is an IRI, then integer, decimal, date (YYYY, YYYY-MM, YYYY-MM-DD), else a string —
    and bound by the engine, never pasted. Python ints, floats, Decimals, dates and pandas Periods are
    accepted too. A bound variable must appear in the SELECT clause (or use SELECT *).
    Raises a KgError subclass (one-line message) on bad SPARQL, refused queries or bad parameters.
    """
    from kg.query import run_canned, run_query

    raw = {name: _param_text(name, value) for name, value in {**(params or {}), **kwargs}.items()}
    target = _store(store)
    text = sparql.strip()
    result = run_canned(target, text, raw) if _CANNED_NAME.fullmatch(text) else run_query(target, sparql, raw)
    return to_dataframe(result)


def _param_text(name: str, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise ParameterError(f"parameter {name}: {value!r} cannot be bound; pass text, a number or a date")
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if not number.is_finite():
            raise ParameterError(f"parameter {name}: {value!r} is not a finite number")
        text = format(number, "f")
        return text if "." in text else text + ".0"
    if isinstance(value, dt.datetime):
        raise ParameterError(f"parameter {name}: {value!r} has a time of day; pass a date")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "freqstr") and hasattr(value, "start_time"):  # a pandas Period: 2023-03, 2023
        return str(value)
    raise ParameterError(f"parameter {name}: cannot bind a {type(value).__name__}; pass text, a number or a date")


def to_dataframe(result: Any) -> Any:
    """A pyoxigraph result as a DataFrame with typed columns.

    * IRIs: text shortened by the graph's prefixes (`kgr:yoon-suk-yeol`); blank nodes `_:id`.
    * xsd:date: datetime64. xsd:gYearMonth / xsd:gYear: pandas Periods (`period[M]`, `period[Y]`):
      a month stays a month — `.start_time` / `.end_time` give its first and last day, no day is
      invented. A column mixing precisions (2018-10, 2023-03-16, 1965) keeps the text as written,
      which sorts chronologically; `kg.dates.period(text)` gives its first and last day.
    * integers: Int64 (nullable); decimals, doubles and floats: float64; booleans: bool (boolean
      when some are unbound); xsd:dateTime: datetime64.
    * strings and language-tagged strings: text (the language tag is dropped).
    * a column mixing kinds (IRIs and literals): text. Unbound values are missing (NA/NaT/None).

    ASK gives one column `ask`; CONSTRUCT/DESCRIBE give `subject`, `predicate`, `object`.
    `df.attrs["kg_types"]` records how each column was read.
    """
    pd = _pandas()
    if isinstance(result, ox.QueryBoolean):
        frame = pd.DataFrame({"ask": pd.Series([bool(result)], dtype=bool)})
        frame.attrs["kg_types"] = {"ask": "xsd:boolean"}
        return frame
    if isinstance(result, ox.QueryTriples):
        triples = list(result)
        columns = {
            "subject": [t.subject for t in triples],
            "predicate": [t.predicate for t in triples],
            "object": [t.object for t in triples],
        }
    else:
        from kg.query import solution_rows

        variables, rows = solution_rows(result)
        columns = {name: [row[i] for row in rows] for i, name in enumerate(variables)}
    data: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for name, terms in columns.items():
        data[name], kinds[name] = _column(pd, terms)
    frame = pd.DataFrame(data, columns=list(columns))
    frame.attrs["kg_types"] = kinds
    return frame


def _kind(term: Any) -> str:
    if isinstance(term, ox.Literal):
        return term.datatype.value
    if isinstance(term, ox.NamedNode):
        return "iri"
    return "other"


def _column(pd: Any, terms: list[Any]) -> tuple[Any, str]:
    """One column's values as a typed Series, and how it was read."""
    present = [t for t in terms if t is not None]
    kinds = {_kind(t) for t in present}
    texts = [None if t is None else term_text(t) for t in terms]
    if not present:
        return pd.Series(texts, dtype=object), "unbound"
    if len(kinds) > 1:
        if kinds <= INTEGER_TYPES | FLOAT_TYPES:
            return _convert(pd, terms, texts, XSD + "decimal")
        return pd.Series(texts), "text" if kinds <= set(DATE_TYPES) else "mixed"
    return _convert(pd, terms, texts, kinds.pop())


def _convert(pd: Any, terms: list[Any], texts: list[str | None], kind: str) -> tuple[Any, str]:
    label = kind if kind in ("iri", "other") else shorten(kind)
    try:
        if kind in INTEGER_TYPES:
            return pd.Series([None if t is None else int(t) for t in texts], dtype="Int64"), label
        if kind in FLOAT_TYPES:
            return pd.Series([float("nan") if t is None else float(t) for t in texts], dtype="float64"), label
        if kind == XSD + "boolean":
            values = [None if t is None else t in ("true", "1") for t in texts]
            return pd.Series(values, dtype="boolean" if None in values else bool), label
        if kind == XSD + "date":
            return pd.to_datetime(pd.Series(texts, dtype=object), format="%Y-%m-%d"), label
        if kind in DATE_TYPES:
            freq = DATE_TYPES[kind]
            periods = [pd.NaT if t is None else pd.Period(t, freq=freq) for t in texts]
            return pd.Series(pd.array(periods, dtype=f"period[{freq}]")), label
        if kind == XSD + "dateTime":
            return pd.to_datetime(pd.Series(texts, dtype=object), format="ISO8601"), label
    except (ValueError, TypeError, OverflowError):
        return pd.Series(texts), "text"  # an ill-formed or out-of-range value: keep what is written
    return pd.Series(texts), label


# --- machine-coded events (GDELT) -----------------------------------------------------------------


def tension_df(
    a: str,
    b: str,
    by: str = "month",
    since: str | None = None,
    until: str | None = None,
    store: GraphStore | str | os.PathLike[str] | None = None,
) -> Any:
    """The cooperation–conflict series of the dyad A–B (CAMEO country codes) as a DataFrame: per
    period and direction (A→B, B→A, both), events, Goldstein mean and mention-weighted mean, and
    events per quad class — what `kg tension --dyad A B` prints."""
    from kg.tension import tension_df as series

    return series(_store(store), a, b, by=by, since=since, until=until)


def busiest_dyads(n: int = 10, store: GraphStore | str | os.PathLike[str] | None = None) -> Any:
    """The country pairs with the most machine-coded events, as a DataFrame (a, b, events)."""
    from kg.tension import busiest_dyads as ranked

    return _pandas().DataFrame(ranked(_store(store), n), columns=["a", "b", "events"])


# --- graphs drawn inline --------------------------------------------------------------------------


def show(
    what: Any,
    *,
    hops: int = 1,
    store: GraphStore | str | os.PathLike[str] | None = None,
    title: str | None = None,
    sizes: dict[str, float] | None = None,
    height: int = 600,
) -> HTML:
    """Draw a graph inline: a networkx graph (e.g. a `kg.analysis.project` view), a pyvis Network from
    `kg.pages.render.network`, or the name of an entity (any language) — then its neighbourhood of `hops`
    links in the full entity graph.

    The page is kg's self-contained, escaped page (vis-network inlined, no network access) inside an
    `<iframe srcdoc>` with `sandbox="allow-scripts"`, which works offline in JupyterLab, Notebook,
    VS Code and nbconvert's HTML. Displayed at once in a notebook; the returned HTML object is
    not displayed a second time as the cell's result.
    """
    from pyvis.network import Network

    from kg.pages.graph import graph_page
    from kg.pages.render import page_html

    if isinstance(what, str):
        from kg.describe import find_entity
        from kg.snapshot import Snapshot

        if hops < 0:
            raise ParameterError(f"hops must be 0 or more, not {hops}")
        snap = Snapshot.of(_store(store))
        entity = find_entity(snap, what)
        title = title or f"{entity.label}: links within {hops} hop{'s' if hops != 1 else ''}"
        shown_page = graph_page(snap, focus=entity.iri, hops=hops, size="none", sizes=sizes, title=title, subtitle="")
        page, nodes, links = shown_page.html(), shown_page.nodes, shown_page.edges
    elif isinstance(what, Network):
        title = title or "kg graph"
        page, nodes, links = page_html(what, title=title), len(what.nodes), len(what.edges)
    elif hasattr(what, "is_directed") and hasattr(what, "nodes"):
        title = title or "kg graph"
        shown_page = graph_page(what, size="none", sizes=sizes, title=title, subtitle="")
        page, nodes, links = shown_page.html(), shown_page.nodes, shown_page.edges
    else:
        raise TypeError(f"show() takes a networkx graph, a pyvis Network or an entity name, not {type(what).__name__}")
    frame = (
        f'<div class="kg-graph"><iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
        f'title="{html.escape(title, quote=True)}" '
        f'style="width: 100%; height: {int(height)}px; border: 1px solid #ddd;"></iframe></div>'
    )
    shown = _inline_page_class()(frame)
    shown.summary = f"<kg graph page {title!r}: {nodes} nodes, {links} links>"
    if _in_kernel():
        _display(shown)
    return cast("HTML", shown)


@cache
def _inline_page_class() -> type[Any]:
    from IPython.display import HTML, publish_display_data

    publish: Any = publish_display_data

    class InlinePage(HTML):
        """An HTML page in an iframe that a cell shows once, however often it is displayed there."""

        summary = "<kg graph page>"
        shown_in: object = None

        def _ipython_display_(self) -> None:
            count = getattr(_shell(), "execution_count", None)
            if count is not None and count == self.shown_in:
                return
            self.shown_in = count
            publish(data={"text/html": self.data, "text/plain": self.summary})

        def __repr__(self) -> str:
            return self.summary

    return InlinePage


def _shell() -> InteractiveShell | None:
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell: InteractiveShell | None = get_ipython()
    return shell


def _display(item: Any) -> None:
    from IPython.display import display

    display_any: Any = display
    display_any(item)


def _in_kernel() -> bool:
    return getattr(_shell(), "kernel", None) is not None


# --- the %%sparql cell magic ----------------------------------------------------------------------


class _UsageError(Exception):
    pass


USAGE = "%%sparql [NAME] [--param NAME=VALUE ...] [--store PATH]"


class SparqlMagic:
    """`%%sparql [NAME] [--param NAME=VALUE ...] [--store PATH]`: run the cell (SPARQL, or the name of
    a canned query) on the store, show the table and, with NAME, keep the DataFrame in that variable.

    Values in the line can use `{python_variable}`; they are bound as typed terms like `kg query
    --param`, never pasted into the query. Errors are one line on stderr: `kg: invalid SPARQL: …`.
    """

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell

    def __call__(self, line: str, cell: str) -> Any:
        try:
            name, params, store = self.parse(line)
            frame = query_df(cell, store=store, params=params)
        except _UsageError as error:
            print(f"kg: {error} (usage: {USAGE})", file=sys.stderr)
            return None
        except KgError as error:
            print(f"kg: {error}", file=sys.stderr)
            return None
        if name is None:
            return frame
        self.shell.user_ns[name] = frame
        _display(frame)
        return None

    @staticmethod
    def parse(line: str) -> tuple[str | None, dict[str, str], str | None]:
        import argparse
        import keyword
        import shlex

        class Parser(argparse.ArgumentParser):
            def error(self, message: str) -> NoReturn:
                raise _UsageError(message)

        parser = Parser(prog="%%sparql", add_help=False)
        parser.add_argument("name", nargs="?")
        parser.add_argument("--param", "-p", action="append", default=[])
        parser.add_argument("--store")
        try:
            args = parser.parse_args(shlex.split(line))
        except ValueError as error:  # unbalanced quotes
            raise _UsageError(str(error)) from None
        if args.name is not None and (not args.name.isidentifier() or keyword.iskeyword(args.name)):
            raise _UsageError(f"{args.name!r} is not a valid Python variable name")
        params: dict[str, str] = {}
        for item in args.param:
            key, equals, value = item.partition("=")
            if not equals or not key:
                raise _UsageError(f"--param {item!r}: expected NAME=VALUE")
            params[key] = value
        return args.name, params, args.store


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext kg`: register the `%%sparql` cell magic."""
    ipython.register_magic_function(SparqlMagic(ipython), magic_kind="cell", magic_name="sparql")
