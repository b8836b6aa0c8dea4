"""Remote stores: `--store URL` runs kg against a SPARQL 1.1 server (Virtuoso, Fuseki, GraphDB, Neptune).

A `RemoteStore` offers what the library uses of the embedded `kg.storage.embedded.Store` — `query()` returning
pyoxigraph result objects, `named_graphs()`, `len()`, `quads()`, `close()` — over the SPARQL 1.1
Protocol:

* Queries go as URL-encoded POSTs (``query=…``) asking for SPARQL results JSON (SELECT, ASK) or
  N-Triples (CONSTRUCT, DESCRIBE); pyoxigraph parses them into the same QuerySolutions /
  QueryBoolean / QueryTriples the embedded store returns. Before anything is sent, the query is
  parsed by pyoxigraph (same syntax errors, same parameter rules as the embedded store).
* kg sees only the graphs it manages: each query names its dataset. The default graph is
  ``urn:kg:union``, a graph kg keeps with the union of all its graphs (the embedded store's
  default graph), and the named graphs are listed (``named-graph-uri``). One union graph rather
  than a list of graphs, because Virtuoso 7.2 answers some queries wrongly over a list (a
  property path such as ``rdfs:subClassOf*`` with ``FROM`` lists loses rows). Builds with more
  than MAX_LISTED_GRAPHS named graphs (Virtuoso cannot take lists of thousands) keep no union
  graph and query the server's own dataset: the server's other graphs then show through in
  queries (kg's export and statement counts still filter them out).
* Parameters are bound by a ``VALUES`` block opening the WHERE clause, its terms serialized by
  pyoxigraph (never pasted user text); the kg prefixes the query uses but does not declare are
  prepended.
* On Virtuoso, which sorts language-tagged strings by their first characters only, kg applies a
  SELECT's ORDER BY (and LIMIT/OFFSET) to the answer itself, with pyoxigraph.
* Builds (`kg.storage.publish`) upload each graph into a staging graph (a graph new to the server:
  under its own name), small graphs many to a request (INSERT DATA), big ones with the SPARQL 1.1
  Graph Store Protocol, check the server holds every statement, then MOVE them over the live
  graphs (the old ones are moved aside first, and moved back if the swap fails), the manifest last.
  Graphs whose content did not change since the last build are neither uploaded nor moved. What kg
  manages is recorded in ``urn:kg:manifest``.

Credentials never come from the command line: ``KG_REMOTE_USER`` / ``KG_REMOTE_PASSWORD``, or a
``remotes.toml`` in the user's config folder (``~/.config/kg/remotes.toml``), keyed by endpoint URL.
See docs/remote-stores.md.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox

from kg import formats as registry
from kg.errors import StoreError
from kg.namespaces import PREFIXES
from kg.storage.remote_http import Http, RemoteSettings, load_settings
from kg.storage.remote_sparql import (
    WHOLE_UNION,
    Order,
    as_query_triples,
    bind_values,
    fix_results,
    fix_triple,
    graph_format,
    names_dataset,
    ordering,
    prefix_lines,
    query_tokens,
    solutions,
)

MANIFEST_GRAPH = "urn:kg:manifest"
DEFAULT_GRAPH = "urn:kg:default-graph"  # holds what the embedded store keeps in its default graph
UNION_GRAPH = "urn:kg:union"  # the union of all of kg's graphs: the default graph of kg's queries
INTERNAL_GRAPHS = (DEFAULT_GRAPH, UNION_GRAPH)
STAGING = "urn:kg:staging:"
BACKUP = "urn:kg:backup:"
NO_GRAPH = "urn:kg:no-graph"  # names no graph: an empty list of named graphs
VOCAB = "urn:kg:vocab#"
MANIFEST_STATE = ox.NamedNode(VOCAB + "state")  # parts of the manifest's JSON state
MANIFEST_PENDING = ox.NamedNode(VOCAB + "pending")  # tokens of builds under way
MANIFEST_NODE = ox.NamedNode(MANIFEST_GRAPH)

_NT, _TURTLE = registry.get("ntriples", "rdf"), registry.get("turtle", "rdf")
RESULTS_JSON = registry.get("json", "results").media_type
GRAPH_ACCEPT = f"{_NT.media_types[0]}, {_NT.media_types[1]};q=0.9, {_TURTLE.media_type};q=0.5"
N_TRIPLES = f"{_NT.media_type}; charset=utf-8"
N_QUADS = f"{registry.get('nquads', 'rdf').media_type}; charset=utf-8"


# --------------------------------------------------------------------------------------------------
# Manifest: which graphs kg manages, with a digest and size of each


@dataclass
class Manifest:
    graphs: dict[str, tuple[str | None, int]] = field(default_factory=dict)  # iri -> (sha256, statements)
    build: dict[str, Any] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)  # tokens of builds whose temporary graphs may remain
    exists: bool = False
    listed: bool = True  # False: too many graphs to list; queries use the server's own dataset

    def state_literal(self) -> str:
        graphs = {iri: [digest, count] for iri, (digest, count) in sorted(self.graphs.items())}
        return json.dumps(
            {"version": 1, "graphs": graphs, "build": self.build, "listed": self.listed},
            ensure_ascii=False,
            separators=(",", ":"),
        )


# --------------------------------------------------------------------------------------------------
# The store


class RemoteStore:
    """A SPARQL 1.1 server used as kg's store. `location` is the query endpoint URL."""

    def __init__(self, url: str, settings: RemoteSettings | None = None):
        self.location = url
        self.settings = settings or load_settings(url)
        self._http = Http(self.settings)
        self._manifest: Manifest | None = None
        self._all_graphs: dict[str, int] | None = None
        self._checker = ox.Store()  # empty: parses queries and applies pyoxigraph's parameter rules

    # -- reading -----------------------------------------------------------------------------------

    def manifest(self, refresh: bool = False) -> Manifest:
        if self._manifest is None or refresh:
            self._manifest = self.read_manifest()
        return self._manifest

    def read_manifest(self, strict: bool = True) -> Manifest:
        rows = self.select(
            f"SELECT ?p ?o WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ <{MANIFEST_GRAPH}> ?p ?o }} }}", dataset=False
        )
        manifest = Manifest()
        parts = []
        for row in rows:
            predicate, value = row["p"].value, row["o"].value
            if predicate == MANIFEST_STATE.value:
                parts.append(value)
            elif predicate == MANIFEST_PENDING.value:
                manifest.pending.add(value)
        if parts:
            try:
                state = json.loads("".join(part.split(":", 1)[1] for part in sorted(parts)))
                manifest.graphs = {iri: (pair[0], int(pair[1])) for iri, pair in state["graphs"].items()}
                manifest.build = dict(state.get("build") or {})
                manifest.listed = bool(state.get("listed", True))
                manifest.exists = True
            except (ValueError, KeyError, TypeError, IndexError):
                if strict:
                    raise StoreError(
                        f"{self.location}: the kg manifest graph <{MANIFEST_GRAPH}> is damaged; rebuild with `kg build`"
                    ) from None
                manifest = Manifest(pending=manifest.pending | {"damaged"})  # a build replaces it
        return manifest

    def require_built(self) -> None:
        if not self.manifest().exists:
            raise StoreError(
                f"{self.location}: no kg dataset has been built on this server yet; "
                f"run `kg --store {self.location} build` first"
            )

    def named_graphs(self) -> set[str]:
        return {g for g in self.manifest().graphs if g not in INTERNAL_GRAPHS}

    def build_info(self) -> dict[str, Any]:
        return dict(self.manifest().build)

    def __len__(self) -> int:
        return sum(count for graph, (_, count) in self.manifest().graphs.items() if graph != UNION_GRAPH)

    def count(self) -> int:
        """Statements the server holds in kg's graphs, counted by the server (len() uses the manifest)."""
        graphs = self.manifest().graphs
        rows = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", dataset=False)
        return sum(int(r["n"].value) for r in rows if r["g"].value in graphs and r["g"].value != UNION_GRAPH)

    def quads(self) -> list[ox.Quad]:
        """Every statement of kg's graphs (the default graph's as DefaultGraph), paging past row limits."""
        graphs = {g for g in self.manifest().graphs if g != UNION_GRAPH}
        quads = set()
        for row in self._paged("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", "?g ?s ?p ?o"):
            graph = row["g"].value
            if graph in graphs:
                quads.add(
                    ox.Quad(
                        row["s"],
                        row["p"],
                        row["o"],
                        ox.DefaultGraph() if graph == DEFAULT_GRAPH else ox.NamedNode(graph),
                    )
                )
        if len(quads) != len(self):
            raise StoreError(
                f"{self.location}: the server returned {len(quads)} of the {len(self)} statements "
                "kg stored there (were kg's graphs changed by another client? then run `kg build`)"
            )
        return list(quads)

    def close(self) -> None:
        self._http.client.close()

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries -----------------------------------------------------------------------------------

    def query(self, sparql: str, substitutions: dict[ox.Variable, Any] | None = None, union: bool = True) -> Any:
        """Run a SPARQL query; returns pyoxigraph QuerySolutions, QueryBoolean or QueryTriples.

        With `union` (the default) the query's default graph is the union of all of kg's graphs;
        without it, only the statements the build put outside any named graph.
        """
        from kg.sparql_guard import check_query

        check_query(sparql, lambda iri: iri in self.named_graphs())
        # Parse locally first: the same syntax errors and parameter rules as the embedded store,
        # and the kind of result to ask the server for.
        kind = self._checker.query(
            sparql, use_default_graph_as_union=union, prefixes=PREFIXES, substitutions=substitutions
        )
        if isinstance(kind, ox.QueryTriples) and not substitutions and union and WHOLE_UNION.match(sparql):
            return as_query_triples({q.triple for q in self.quads()})  # paged: never cut by row limits
        items = query_tokens(sparql)
        own_dataset = names_dataset(items)
        order = ordering(sparql, items, kind) if self.is_virtuoso else None
        if order is not None:  # ask for every row: kg orders and slices them (see ordering)
            sparql = sparql[: order.slice_start] + sparql[order.slice_end :]
            items = query_tokens(sparql)
        text = prefix_lines(sparql, items) + bind_values(sparql, substitutions, items)
        if isinstance(kind, ox.QueryTriples):
            response = self._post_query(text, GRAPH_ACCEPT, union=union, dataset=not own_dataset)
            fmt = graph_format(response.headers.get("content-type", ""))
            try:
                triples = list(ox.parse(response.content, fmt))
            except SyntaxError as error:
                raise StoreError(f"{self.location}: unreadable answer to a CONSTRUCT query ({error})") from None
            self._check_graph_cut(len(triples))
            return as_query_triples(fix_triple(t.triple if isinstance(t, ox.Quad) else t) for t in triples)
        response = self._post_query(text, RESULTS_JSON, union=union, dataset=not own_dataset)
        results = self._parse_results(response)
        if order is not None:
            results = self._reorder(results, order)
        return _in_projection_order(results, list(kind.variables)) if isinstance(kind, ox.QuerySolutions) else results

    def _reorder(self, results: Any, order: Order) -> Any:
        """Order and slice the server's rows with pyoxigraph, as the embedded store would."""
        variables = list(results.variables)
        rows = [[row[v] for v in variables] for row in results]
        if any(isinstance(t, ox.BlankNode) for row in rows for t in row):  # VALUES cannot hold blank nodes
            start = order.offset or 0  # keep the server's order; slice here
            return solutions(variables, rows[start : start + order.limit] if order.limit is not None else rows[start:])
        body = " ".join("(" + " ".join("UNDEF" if t is None else str(t) for t in row) + ")" for row in rows)
        local = (
            f"{order.prologue}SELECT * WHERE {{ VALUES ({' '.join(map(str, variables))}) {{ {body} }} }}\n"
            f"{order.clause}\n{order.slice}"
        )
        return self._checker.query(local, prefixes=PREFIXES)

    def select(self, sparql: str, *, dataset: bool = True) -> list[Any]:
        response = self._post_query(sparql, RESULTS_JSON, union=True, dataset=dataset)
        return list(self._parse_results(response))

    def _parse_results(self, response: Any) -> Any:
        if response.headers.get("x-sparql-maxrows"):
            raise StoreError(
                f"{self.location}: the server cut the answer at its limit of "
                f"{response.headers['x-sparql-maxrows']} rows (Virtuoso: raise ResultSetMaxRows in the "
                "[SPARQL] section of virtuoso.ini), or narrow the query"
            )
        if response.headers.get("x-sql-state") in ("S1TAT", "S1T00"):
            raise StoreError(
                f"{self.location}: the server stopped the query at its time limit and answered "
                "only in part (Virtuoso: MaxQueryExecutionTime in virtuoso.ini)"
            )
        try:
            return ox.parse_query_results(fix_results(response.content), ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as error:
            kind = response.headers.get("content-type", "?")
            raise StoreError(f"{self.location}: unreadable SPARQL results ({kind}): {error}") from None

    _row_limit: int | None = None

    def _check_graph_cut(self, count: int) -> None:
        # Virtuoso cuts CONSTRUCT answers at ResultSetMaxRows silently (SELECT answers say so).
        limit = self._row_limit or (10_000 if self.is_virtuoso else None)
        if limit and count == limit:
            raise StoreError(
                f"{self.location}: the answer has exactly {limit} statements, the server's row limit; "
                "it was probably cut (Virtuoso: raise ResultSetMaxRows in virtuoso.ini)"
            )

    def _paged(self, select: str, order: str, page: int = 10_000) -> Iterator[Any]:
        """Rows of a SELECT over kg's graphs, page by page (servers cap answers: Virtuoso at 10,000)."""
        offset = 0
        while True:
            # ORDER BY in a subquery: Virtuoso refuses to sort past its row limit for an OFFSET
            text = f"SELECT * WHERE {{ {{ {select} ORDER BY {order} }} }} LIMIT {page} OFFSET {offset}"
            response = self._post_query(text, RESULTS_JSON, union=True, dataset=True, all_named=True)
            limit = response.headers.get("x-sparql-maxrows")
            if limit:  # the server's cap is below our page: continue from what it gave
                self._row_limit = int(limit)
                page = int(limit)
                response.headers.pop("x-sparql-maxrows")
            rows = list(self._parse_results(response))
            yield from rows
            if len(rows) < page:
                return
            offset += len(rows)

    def _post_query(self, text: str, accept: str, *, union: bool, dataset: bool, all_named: bool = False) -> Any:
        form: dict[str, Any] = {}
        if dataset:
            text, form = self._dataset(text, union, all_named)
        form["query"] = text
        return self._http.request(
            "POST", self.location, what="the query", query_error=True, data=form, headers={"Accept": accept}
        )

    def _dataset(self, text: str, union: bool, all_named: bool) -> tuple[str, dict[str, Any]]:
        """kg's graphs as the query's dataset: the union graph (or the default graph) and the named graphs."""
        manifest = self.manifest()
        if not manifest.listed:  # too many graphs to list: the server's own dataset (see the module's notes)
            return text, ({} if union else {"default-graph-uri": [DEFAULT_GRAPH]})
        named = sorted(g for g in manifest.graphs if g != UNION_GRAPH and (all_named or g != DEFAULT_GRAPH))
        return text, {
            "default-graph-uri": [UNION_GRAPH if union else DEFAULT_GRAPH],
            "named-graph-uri": named or [NO_GRAPH],
        }

    def server_graphs(self, refresh: bool = False) -> dict[str, int]:
        """Every graph on the server with its size (GROUP BY: Virtuoso times out on SELECT DISTINCT ?g)."""
        if self._all_graphs is None or refresh:
            rows = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", dataset=False)
            self._all_graphs = {r["g"].value: int(r["n"].value) for r in rows if isinstance(r["g"], ox.NamedNode)}
        return self._all_graphs

    @property
    def is_virtuoso(self) -> bool:
        if not self._http.server:
            with contextlib.suppress(StoreError):
                self._http.request(
                    "POST", self.location, what="a probe", data={"query": "ASK {}"}, headers={"Accept": RESULTS_JSON}
                )
        return "virtuoso" in self._http.server.lower()

    # -- endpoints ---------------------------------------------------------------------------------

    def forget(self) -> None:
        """Drop what was cached about the server (after it changed)."""
        self._manifest = None
        self._all_graphs = None

    @property
    def http(self) -> Http:
        """The authenticated HTTP client (for publishing)."""
        return self._http

    def endpoints(self) -> tuple[str, str | None]:
        """The update endpoint and the Graph Store endpoint (None: none; uploads use INSERT DATA)."""
        settings = self.settings
        parts = urlsplit(self.location)
        root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        path = parts.path.rstrip("/")
        update, store = settings.update_url, settings.graph_store_url
        if self.is_virtuoso:
            update = update or root + "/sparql-auth"
            store = store if store is not None else root + "/sparql-graph-crud-auth"
        elif "/repositories/" in path:  # GraphDB, RDF4J
            update = update or self.location.rstrip("/") + "/statements"
            store = store if store is not None else self.location.rstrip("/") + "/rdf-graphs/service"
        elif "fuseki" in self._http.server.lower():
            dataset = path.rsplit("/", 1)[0] if path.rsplit("/", 1)[-1] in ("sparql", "query") else path
            update = update or root + dataset + "/update"
            store = store if store is not None else root + dataset + "/data"
        elif parts.hostname and parts.hostname.endswith(".amazonaws.com") and path.endswith("/sparql"):
            update = update or self.location  # Neptune
            store = store if store is not None else root + path + "/gsp/"
        update = update or self.location
        return update, (store or None)

    def update(self, sparql: str, what: str = "the update") -> None:
        """Run a SPARQL Update on the update endpoint (authenticated)."""
        update_url, _ = self.endpoints()
        self._http.request("POST", update_url, what=what, data={"update": sparql})


def _in_projection_order(results: Any, variables: list[ox.Variable]) -> Any:
    """The server's solutions with the columns in the query's SELECT order (Virtuoso may reorder them)."""
    if not isinstance(results, ox.QuerySolutions) or list(results.variables) == variables:
        return results
    served = list(results.variables)
    rows = []
    for row in results:
        cells = dict(zip(served, row, strict=True))
        rows.append([cells.get(v) for v in variables])
    return solutions(variables, rows)


# --------------------------------------------------------------------------------------------------
# Entry points for kg.storage.embedded / kg.build


def open_remote(url: str) -> RemoteStore:
    """Open a server that holds a kg build (read-only use); raise StoreError if there is none."""
    store = RemoteStore(url)
    try:
        store.require_built()
    except BaseException:
        store.close()
        raise
    return store
