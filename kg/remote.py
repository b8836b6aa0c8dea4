"""Remote stores: `--store URL` runs kg against a SPARQL 1.1 server (Virtuoso, Fuseki, GraphDB, Neptune).

A `RemoteStore` offers what the library uses of the embedded `kg.store.Store` — `query()` returning
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
* Builds (`replace_dataset`) upload each graph with the SPARQL 1.1 Graph Store Protocol into a
  staging graph (a graph new to the server: under its own name), check the server holds every
  statement, then MOVE them over the live graphs (the old ones are moved aside first, and moved
  back if the swap fails), the manifest last. Graphs whose content did not change since the last
  build are neither uploaded nor moved. What kg manages is recorded in ``urn:kg:manifest``.

Credentials never come from the command line: ``KG_REMOTE_USER`` / ``KG_REMOTE_PASSWORD``, or a
``remotes.toml`` in the user's config folder (``~/.config/kg/remotes.toml``), keyed by endpoint URL.
See docs/remote-stores.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox

from kg.errors import StoreError
from kg.namespaces import PREFIXES
from kg.remote_http import RemoteSettings, _Http, load_settings
from kg.remote_sparql import (
    _WHOLE_UNION,
    _as_query_triples,
    _fix_results,
    _fix_triple,
    _graph_format,
    _names_dataset,
    _Order,
    _ordering,
    _query_tokens,
    _solutions,
    bind_values,
    prefix_lines,
)

MANIFEST_GRAPH = "urn:kg:manifest"
DEFAULT_GRAPH = "urn:kg:default-graph"  # holds what the embedded store keeps in its default graph
UNION_GRAPH = "urn:kg:union"  # the union of all of kg's graphs: the default graph of kg's queries
INTERNAL_GRAPHS = (DEFAULT_GRAPH, UNION_GRAPH)
STAGING = "urn:kg:staging:"
BACKUP = "urn:kg:backup:"
NO_GRAPH = "urn:kg:no-graph"  # names no graph: an empty list of named graphs
_VOCAB = "urn:kg:vocab#"
_STATE = ox.NamedNode(_VOCAB + "state")
_PENDING = ox.NamedNode(_VOCAB + "pending")
_MANIFEST = ox.NamedNode(MANIFEST_GRAPH)

RESULTS_JSON = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/plain;q=0.9, text/turtle;q=0.5"
N_TRIPLES = "application/n-triples; charset=utf-8"


# Graph Store uploads: graphs bigger than this go in several requests (PUT, then POSTs)
CHUNK_TRIPLES = 50_000
# SPARQL Update requests carry at most this many operations (Virtuoso: "Query too large" at ~2,000)
MAX_OPERATIONS = 200
# Above this many named graphs they are not listed in queries (Virtuoso: ~0.4 ms per listed graph
# per query, and no answer at all from about 4,000)
MAX_LISTED_GRAPHS = 1000
# Graphs with blank nodes up to this size get canonical blank node labels (and so a stable digest)
CANONICAL_LIMIT = 20_000
# Characters per literal of the manifest's state (Virtuoso's Graph Store refuses literals over 64 KB)
STATE_PART = 12_000
# Statements per INSERT DATA request when the server has no Graph Store endpoint
INSERT_BATCH = 500


def is_remote(location: object) -> bool:
    """Whether a --store value names a SPARQL endpoint (http:// or https://) rather than a folder."""
    return isinstance(location, str) and location.lower().startswith(("http://", "https://"))


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
        return json.dumps({"version": 1, "graphs": graphs, "build": self.build, "listed": self.listed},
                          ensure_ascii=False, separators=(",", ":"))


@dataclass
class ReplaceReport:
    """What `replace_dataset` did."""

    graphs: int = 0
    statements: int = 0
    uploaded_graphs: int = 0
    uploaded_statements: int = 0
    removed_graphs: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Change:
    final: str
    staging: str | None  # None: the graph is removed
    backup: str | None  # None: nothing to keep aside (the graph did not exist)
    direct: bool = False  # uploaded under its own name (it did not exist): nothing to move


# --------------------------------------------------------------------------------------------------
# The store


class RemoteStore:
    """A SPARQL 1.1 server used as kg's store. `location` is the query endpoint URL."""

    def __init__(self, url: str, settings: RemoteSettings | None = None):
        self.location = url
        self.settings = settings or load_settings(url)
        self._http = _Http(self.settings)
        self._manifest: Manifest | None = None
        self._all_graphs: dict[str, int] | None = None
        self._checker = ox.Store()  # empty: parses queries and applies pyoxigraph's parameter rules

    # -- reading -----------------------------------------------------------------------------------

    def manifest(self, refresh: bool = False) -> Manifest:
        if self._manifest is None or refresh:
            self._manifest = self._read_manifest()
        return self._manifest

    def _read_manifest(self, strict: bool = True) -> Manifest:
        rows = self._select(
            f"SELECT ?p ?o WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ <{MANIFEST_GRAPH}> ?p ?o }} }}", dataset=False
        )
        manifest = Manifest()
        parts = []
        for row in rows:
            predicate, value = row["p"].value, row["o"].value
            if predicate == _STATE.value:
                parts.append(value)
            elif predicate == _PENDING.value:
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
                    raise StoreError(f"{self.location}: the kg manifest graph <{MANIFEST_GRAPH}> is damaged; "
                                     "rebuild with `kg build`") from None
                manifest = Manifest(pending=manifest.pending | {"damaged"})  # a build replaces it
        return manifest

    def require_built(self) -> None:
        if not self.manifest().exists:
            raise StoreError(f"{self.location}: no kg dataset has been built on this server yet; "
                             f"run `kg --store {self.location} build` first")

    def named_graphs(self) -> set[str]:
        return {g for g in self.manifest().graphs if g not in INTERNAL_GRAPHS}

    def build_info(self) -> dict[str, Any]:
        return dict(self.manifest().build)

    def __len__(self) -> int:
        return sum(count for graph, (_, count) in self.manifest().graphs.items() if graph != UNION_GRAPH)

    def count(self) -> int:
        """Statements the server holds in kg's graphs, counted by the server (len() uses the manifest)."""
        graphs = self.manifest().graphs
        rows = self._select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", dataset=False)
        return sum(int(r["n"].value) for r in rows if r["g"].value in graphs and r["g"].value != UNION_GRAPH)

    def quads(self) -> list[ox.Quad]:
        """Every statement of kg's graphs (the default graph's as DefaultGraph), paging past row limits."""
        graphs = {g for g in self.manifest().graphs if g != UNION_GRAPH}
        quads = set()
        for row in self._paged("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", "?g ?s ?p ?o"):
            graph = row["g"].value
            if graph in graphs:
                quads.add(ox.Quad(row["s"], row["p"], row["o"],
                                  ox.DefaultGraph() if graph == DEFAULT_GRAPH else ox.NamedNode(graph)))
        if len(quads) != len(self):
            raise StoreError(f"{self.location}: the server returned {len(quads)} of the {len(self)} statements "
                             "kg stored there (were kg's graphs changed by another client? then run `kg build`)")
        return list(quads)

    def close(self) -> None:
        self._http.client.close()

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries -----------------------------------------------------------------------------------

    def query(
        self, sparql: str, substitutions: dict[ox.Variable, Any] | None = None, union: bool = True
    ) -> Any:
        """Run a SPARQL query; returns pyoxigraph QuerySolutions, QueryBoolean or QueryTriples.

        With `union` (the default) the query's default graph is the union of all of kg's graphs;
        without it, only the statements the build put outside any named graph.
        """
        from kg.sparql_guard import check_query

        check_query(sparql, lambda iri: iri in self.named_graphs())
        # Parse locally first: the same syntax errors and parameter rules as the embedded store,
        # and the kind of result to ask the server for.
        kind = self._checker.query(sparql, use_default_graph_as_union=union, prefixes=PREFIXES,
                                   substitutions=substitutions)
        if isinstance(kind, ox.QueryTriples) and not substitutions and union and _WHOLE_UNION.match(sparql):
            return _as_query_triples({q.triple for q in self.quads()})  # paged: never cut by row limits
        items = _query_tokens(sparql)
        own_dataset = _names_dataset(items)
        order = _ordering(sparql, items, kind) if self.is_virtuoso else None
        if order is not None:  # ask for every row: kg orders and slices them (see _ordering)
            sparql = sparql[:order.slice_start] + sparql[order.slice_end:]
            items = _query_tokens(sparql)
        text = prefix_lines(sparql, items) + bind_values(sparql, substitutions, items)
        if isinstance(kind, ox.QueryTriples):
            response = self._post_query(text, GRAPH_ACCEPT, union=union, dataset=not own_dataset)
            fmt = _graph_format(response.headers.get("content-type", ""))
            try:
                triples = list(ox.parse(response.content, fmt))
            except SyntaxError as error:
                raise StoreError(f"{self.location}: unreadable answer to a CONSTRUCT query ({error})") from None
            self._check_graph_cut(len(triples))
            return _as_query_triples(_fix_triple(t.triple if isinstance(t, ox.Quad) else t) for t in triples)
        response = self._post_query(text, RESULTS_JSON, union=union, dataset=not own_dataset)
        results = self._parse_results(response)
        if order is not None:
            results = self._reorder(results, order)
        return _in_projection_order(results, list(kind.variables)) if isinstance(kind, ox.QuerySolutions) else results

    def _reorder(self, results: Any, order: _Order) -> Any:
        """Order and slice the server's rows with pyoxigraph, as the embedded store would."""
        variables = list(results.variables)
        rows = [[row[v] for v in variables] for row in results]
        if any(isinstance(t, ox.BlankNode) for row in rows for t in row):  # VALUES cannot hold blank nodes
            start = order.offset or 0  # keep the server's order; slice here
            return _solutions(variables, rows[start:start + order.limit] if order.limit is not None else rows[start:])
        body = " ".join("(" + " ".join("UNDEF" if t is None else str(t) for t in row) + ")" for row in rows)
        local = (f"{order.prologue}SELECT * WHERE {{ VALUES ({' '.join(map(str, variables))}) {{ {body} }} }}\n"
                 f"{order.clause}\n{order.slice}")
        return self._checker.query(local, prefixes=PREFIXES)

    def _select(self, sparql: str, *, dataset: bool = True) -> list[Any]:
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
            raise StoreError(f"{self.location}: the server stopped the query at its time limit and answered "
                             "only in part (Virtuoso: MaxQueryExecutionTime in virtuoso.ini)")
        try:
            return ox.parse_query_results(_fix_results(response.content), ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as error:
            kind = response.headers.get("content-type", "?")
            raise StoreError(f"{self.location}: unreadable SPARQL results ({kind}): {error}") from None

    _row_limit: int | None = None

    def _check_graph_cut(self, count: int) -> None:
        # Virtuoso cuts CONSTRUCT answers at ResultSetMaxRows silently (SELECT answers say so).
        limit = self._row_limit or (10_000 if self.is_virtuoso else None)
        if limit and count == limit:
            raise StoreError(f"{self.location}: the answer has exactly {limit} statements, the server's row limit; "
                             "it was probably cut (Virtuoso: raise ResultSetMaxRows in virtuoso.ini)")

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
        return self._http.request("POST", self.location, what="the query", query_error=True,
                                  data=form, headers={"Accept": accept})

    def _dataset(self, text: str, union: bool, all_named: bool) -> tuple[str, dict[str, Any]]:
        """kg's graphs as the query's dataset: the union graph (or the default graph) and the named graphs."""
        manifest = self.manifest()
        if not manifest.listed:  # too many graphs to list: the server's own dataset (see the module's notes)
            return text, ({} if union else {"default-graph-uri": [DEFAULT_GRAPH]})
        named = sorted(g for g in manifest.graphs if g != UNION_GRAPH and (all_named or g != DEFAULT_GRAPH))
        return text, {"default-graph-uri": [UNION_GRAPH if union else DEFAULT_GRAPH],
                      "named-graph-uri": named or [NO_GRAPH]}

    def server_graphs(self, refresh: bool = False) -> dict[str, int]:
        """Every graph on the server with its size (GROUP BY: Virtuoso times out on SELECT DISTINCT ?g)."""
        if self._all_graphs is None or refresh:
            rows = self._select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
                                dataset=False)
            self._all_graphs = {r["g"].value: int(r["n"].value) for r in rows if isinstance(r["g"], ox.NamedNode)}
        return self._all_graphs

    @property
    def is_virtuoso(self) -> bool:
        if not self._http.server:
            with contextlib.suppress(StoreError):
                self._http.request("POST", self.location, what="a probe", data={"query": "ASK {}"},
                                   headers={"Accept": RESULTS_JSON})
        return "virtuoso" in self._http.server.lower()

    # -- endpoints ---------------------------------------------------------------------------------

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

    # -- builds ------------------------------------------------------------------------------------

    def replace_dataset(self, source: Any, info: dict[str, Any] | None = None,
                        progress: Callable[[str], None] | None = None) -> ReplaceReport:
        """Make the server's kg graphs exactly the quads of `source` (a kg Store or a pyoxigraph Store).

        Changed graphs are uploaded into staging graphs (graphs new to the server straight under
        their names) and checked; only then are the live graphs moved aside and the staging graphs
        moved in, the manifest last. If that fails, the moved graphs are moved back. On any failure
        the uploaded graphs are dropped and the live graphs are left as they were. Graphs whose
        content did not change are neither uploaded nor moved.
        """
        started = time.perf_counter()
        report = ReplaceReport()
        store: ox.Store = getattr(source, "oxigraph", source)
        old = self._manifest = self._read_manifest(strict=False)
        token = uuid.uuid4().hex[:12]
        trust_old = not old.pending  # after a crashed build, compare nothing: upload everything
        self._clean_leftovers(old)
        timer = time.perf_counter()
        listed = len(list(store.named_graphs())) <= MAX_LISTED_GRAPHS
        local = self._local_graphs(store, union=listed)
        report.timings["serialize"] = time.perf_counter() - timer
        report.graphs = len([g for g in local if g not in INTERNAL_GRAPHS])
        report.statements = sum(len(lines) for g, (_, lines, _) in local.items() if g != UNION_GRAPH)
        existing = self.server_graphs(refresh=True)
        changes: list[_Change] = []
        uploads: list[tuple[str, list[bytes], bool]] = []
        for index, (final, (digest, lines, has_blank)) in enumerate(sorted(local.items())):
            previous = old.graphs.get(final)
            if (trust_old and previous is not None and digest is not None and previous[0] == digest
                    and existing.get(final) == previous[1] == len(lines)):
                continue
            if final in existing:
                staging = f"{STAGING}{token}:{index}"
                changes.append(_Change(final, staging, f"{BACKUP}{token}:{index}"))
            else:  # nothing to protect: upload in place (Virtuoso moves ~8k statements/s, uploads ~40k/s)
                staging = final
                changes.append(_Change(final, staging, None, direct=True))
            uploads.append((staging, lines, has_blank))
        for index, final in enumerate(sorted(set(old.graphs) - set(local))):
            if final in existing:
                changes.append(_Change(final, None, f"{BACKUP}{token}:r{index}"))
                report.removed_graphs += 1
        manifest = Manifest({g: (d, len(lines)) for g, (d, lines, _) in local.items()}, dict(info or {}),
                            exists=True, listed=listed)
        if not changes and old.exists and old.build == manifest.build:
            report.seconds = time.perf_counter() - started
            return report
        # The manifest is one more graph to swap in, and it is always swapped last.
        # The state goes in numbered parts: Virtuoso's Graph Store refuses literals over 64 KB.
        state = manifest.state_literal()
        pending = ox.Triple(_MANIFEST, _PENDING, ox.Literal(token))
        manifest_lines = [
            _nt_line(ox.Triple(_MANIFEST, _STATE, ox.Literal(f"{n:06d}:{state[start:start + STATE_PART]}")))
            for n, start in enumerate(range(0, len(state), STATE_PART))
        ] + [_nt_line(pending)]
        changes.append(_Change(MANIFEST_GRAPH, f"{STAGING}{token}:manifest",
                               f"{BACKUP}{token}:manifest" if MANIFEST_GRAPH in existing else None))
        uploads.append((f"{STAGING}{token}:manifest", manifest_lines, False))
        report.uploaded_graphs = len(uploads) - 1
        report.uploaded_statements = sum(len(lines) for _, lines, _ in uploads) - len(manifest_lines)
        self.update(f"INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ {_nt_line(pending).decode()} }} }}",
                    "recording the build")  # so that a killed build's leftovers are found and dropped
        try:
            timer = time.perf_counter()
            self._upload_all(uploads, progress)
            report.timings["upload"] = time.perf_counter() - timer
            self._check_uploaded(uploads)
            timer = time.perf_counter()
            self._swap(changes)
            report.timings["swap"] = time.perf_counter() - timer
        except BaseException:
            self._drop([u[0] for u in uploads], quiet=True)
            with contextlib.suppress(StoreError):
                self.update(f"DELETE DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ {_nt_line(pending).decode()} }} }}",
                            "cleaning up")
            self._forget()
            raise
        self._forget()
        timer = time.perf_counter()
        with contextlib.suppress(StoreError):  # leftovers are dropped by the next build otherwise
            self._drop([c.backup for c in changes if c.backup])
            self.update(f"DELETE DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ {_nt_line(pending).decode()} }} }}",
                        "cleaning up")
        report.timings["cleanup"] = time.perf_counter() - timer
        self._forget()
        report.seconds = time.perf_counter() - started
        return report

    def _forget(self) -> None:
        self._manifest = None
        self._all_graphs = None

    @staticmethod
    def _local_graphs(store: ox.Store, union: bool = True) -> dict[str, tuple[str | None, list[bytes], bool]]:
        """Each graph's N-Triples lines, their digest (None: not comparable), whether it has blank nodes.

        The default graph becomes DEFAULT_GRAPH, and UNION_GRAPH holds the union of all graphs.
        """
        graphs: dict[str, tuple[str | None, list[bytes], bool]] = {}
        union_triples: set[ox.Triple] = set()
        for graph in [ox.DefaultGraph(), *store.named_graphs()]:
            if isinstance(graph, ox.BlankNode):
                raise StoreError("a graph named by a blank node cannot be stored on a remote server")
            triples = [q.triple for q in store.quads_for_pattern(None, None, None, graph)]
            if triples:
                union_triples.update(triples)
                graphs[DEFAULT_GRAPH if isinstance(graph, ox.DefaultGraph) else graph.value] = _lines(triples)
        if union_triples and union:
            graphs[UNION_GRAPH] = _lines(list(union_triples))
        return graphs

    def _upload_all(self, uploads: list[tuple[str, list[bytes], bool]],
                    progress: Callable[[str], None] | None) -> None:
        _, graph_store = self.endpoints()
        failure: list[BaseException] = []

        def upload(item: tuple[str, list[bytes], bool]) -> None:
            if failure:
                return
            try:
                graph, lines, has_blank = item
                if graph_store:
                    self._put_graph(graph_store, graph, lines, has_blank)
                else:
                    self._insert_graph(graph, lines, has_blank)
            except BaseException as error:
                failure.append(error)

        from kg import progress as bars

        workers = max(1, min(self.settings.workers, len(uploads)))
        with bars.task("Uploading", total=sum(len(lines) for _, lines, _ in uploads), unit="stmt") as bar:
            if workers == 1:
                for item in uploads:
                    upload(item)
                    bar.advance(len(item[1]))
            else:
                with ThreadPoolExecutor(workers) as pool:
                    for item, _ in zip(uploads, pool.map(upload, uploads), strict=True):
                        bar.advance(len(item[1]))
        if failure:
            raise failure[0]
        if progress:
            progress(f"uploaded {len(uploads)} graphs")

    def _put_graph(self, graph_store: str, graph: str, lines: list[bytes], has_blank: bool) -> None:
        size = len(lines) if has_blank else CHUNK_TRIPLES  # blank nodes must arrive in one document
        for start in range(0, max(len(lines), 1), size):
            try:
                self._send_part(graph_store, graph, lines[start:start + size], start == 0)
            except StoreError as error:
                if "unsupported type text/plain" in str(error) and any(len(line) > 60_000 for line in lines):
                    raise StoreError(f"{error} (Virtuoso cannot load literals over 64 KB)") from None
                raise

    def _send_part(self, graph_store: str, graph: str, lines: list[bytes], first: bool) -> None:
        self._http.request(  # PUT replaces and POST adds the same statements again: safe to retry
            "PUT" if first else "POST", graph_store, what=f"uploading graph <{graph}>", retries=2,
            params={"graph": graph}, content=b"".join(lines), headers={"Content-Type": N_TRIPLES},
        )

    def _insert_graph(self, graph: str, lines: list[bytes], has_blank: bool) -> None:
        """SPARQL updates of at most INSERT_BATCH statements. Blank nodes are fresh in each request, so
        statements sharing blank nodes go in the same request, as INSERT … WHERE {} (Virtuoso refuses
        blank nodes in INSERT DATA)."""
        batches = [(False, lines[start:start + INSERT_BATCH]) for start in range(0, len(lines), INSERT_BATCH)]
        if has_blank:
            plain, groups = _blank_node_groups(lines)
            batches = [(False, plain[start:start + INSERT_BATCH]) for start in range(0, len(plain), INSERT_BATCH)]
            batch: list[bytes] = []
            for group in groups:
                if batch and len(batch) + len(group) > INSERT_BATCH:
                    batches.append((True, batch))
                    batch = []
                batch.extend(group)
            if batch:
                batches.append((True, batch))
        for with_blank, part in batches:
            body = b"".join(part).decode("utf-8")
            operation, where = ("INSERT", " WHERE {}") if with_blank else ("INSERT DATA", "")
            self.update(f"{operation} {{ GRAPH <{graph}> {{\n{body}}} }}{where}", f"uploading graph <{graph}>")

    def _check_uploaded(self, uploads: list[tuple[str, list[bytes], bool]]) -> None:
        """The server must hold every statement sent (a server may drop or merge some silently)."""
        stored = self.server_graphs(refresh=True)
        for graph, lines, _ in uploads:
            if stored.get(graph, 0) != len(lines):
                raise StoreError(f"{self.location}: the server kept {stored.get(graph, 0)} of the {len(lines)} "
                                 f"statements uploaded to <{graph}>; nothing was changed")

    def _swap(self, changes: list[_Change]) -> None:
        """Move the live graphs aside, then the staging graphs in (manifest last); undo on failure."""
        operations = [f"MOVE SILENT <{c.final}> TO <{c.backup}>" for c in changes if c.backup]
        operations += [f"MOVE SILENT <{c.staging}> TO <{c.final}>" for c in changes if c.staging and not c.direct]
        operations += [f"DROP SILENT GRAPH <{c.final}>" for c in changes if not c.staging and not c.backup]
        try:
            self._run_operations(operations, "replacing the graphs")
        except BaseException as error:
            try:
                self._undo_swap(changes)
            except StoreError as undo_error:
                raise StoreError(f"{error}; moving the previous graphs back failed too ({undo_error}); "
                                 "run `kg build` again") from None
            raise

    def _undo_swap(self, changes: list[_Change]) -> None:
        backups = {c.backup for c in changes if c.backup}
        kept = {g for g, n in self.server_graphs(refresh=True).items() if g in backups and n > 0}
        operations = []
        for change in changes:
            if change.backup in kept:
                operations.append(f"MOVE SILENT <{change.backup}> TO <{change.final}>")
            elif change.backup is None and change.staging:  # a new graph: remove what arrived
                operations.append(f"DROP SILENT GRAPH <{change.final}>")
        self._run_operations(operations, "moving the previous graphs back")

    def _run_operations(self, operations: list[str], what: str) -> None:
        for start in range(0, len(operations), MAX_OPERATIONS):
            self.update(" ;\n".join(operations[start:start + MAX_OPERATIONS]), what)

    def _drop(self, graphs: Iterable[str], quiet: bool = False) -> None:
        operations = [f"DROP SILENT GRAPH <{g}>" for g in graphs]
        try:
            self._run_operations(operations, "dropping temporary graphs")
        except StoreError:
            if not quiet:
                raise

    def _clean_leftovers(self, old: Manifest) -> None:
        """Drop the temporary graphs of builds that were killed before they could clean up."""
        if not old.pending:
            return
        rows = self._select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(STRSTARTS(STR(?g), "{STAGING}") || STRSTARTS(STR(?g), "{BACKUP}")) }} GROUP BY ?g',
            dataset=False,
        )
        tokens = {t for t in old.pending}
        leftovers = [r["g"].value for r in rows
                     if r["g"].value.split(":")[3] in tokens]  # urn:kg:staging:<token>:<n>
        self._drop(leftovers)
        self.update(" ;\n".join(
            f'DELETE DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ <{MANIFEST_GRAPH}> <{_PENDING.value}> "{t}" }} }}'
            for t in sorted(tokens)), "cleaning up")


def _in_projection_order(results: Any, variables: list[ox.Variable]) -> Any:
    """The server's solutions with the columns in the query's SELECT order (Virtuoso may reorder them)."""
    if not isinstance(results, ox.QuerySolutions) or list(results.variables) == variables:
        return results
    served = list(results.variables)
    rows = []
    for row in results:
        cells = dict(zip(served, row, strict=True))
        rows.append([cells.get(v) for v in variables])
    return _solutions(variables, rows)


def _lines(triples: list[ox.Triple]) -> tuple[str | None, list[bytes], bool]:
    """N-Triples lines (sorted), their SHA-256 (None: blank nodes too many to name canonically), blank nodes?"""
    has_blank = any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples)
    if has_blank and len(triples) <= CANONICAL_LIMIT:
        # name blank nodes canonically (RDFC-1.0), so that an unchanged graph has the same digest
        dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        triples = [q.triple for q in dataset]
    buffer = io.BytesIO()
    ox.serialize(triples, buffer, ox.RdfFormat.N_TRIPLES)
    lines = sorted(line + b"\n" for line in buffer.getvalue().split(b"\n") if line)
    stable = not has_blank or len(triples) <= CANONICAL_LIMIT
    return (hashlib.sha256(b"".join(lines)).hexdigest() if stable else None), lines, has_blank


def _blank_node_groups(lines: list[bytes]) -> tuple[list[bytes], list[list[bytes]]]:
    """N-Triples lines without blank nodes, and the others grouped by the blank nodes they share."""
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    plain: list[bytes] = []
    keyed: list[tuple[str, bytes]] = []
    for line in lines:
        triple = next(iter(ox.parse(line, ox.RdfFormat.N_TRIPLES)))
        labels = [term.value for term in (triple.subject, triple.object) if isinstance(term, ox.BlankNode)]
        if not labels:
            plain.append(line)
            continue
        for label in labels[1:]:
            parent[root(label)] = root(labels[0])
        keyed.append((labels[0], line))
    groups: dict[str, list[bytes]] = {}
    for label, line in keyed:
        groups.setdefault(root(label), []).append(line)
    return plain, list(groups.values())


def _nt_line(triple: ox.Triple) -> bytes:
    buffer = io.BytesIO()
    ox.serialize([triple], buffer, ox.RdfFormat.N_TRIPLES)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Entry points for kg.store / kg.build


def open_remote(url: str) -> RemoteStore:
    """Open a server that holds a kg build (read-only use); raise StoreError if there is none."""
    store = RemoteStore(url)
    try:
        store.require_built()
    except BaseException:
        store.close()
        raise
    return store


@contextlib.contextmanager
def remote_generation(url: str, *, copy_current: bool = False) -> Iterator[tuple[Any, Path]]:
    """Like kg.store.new_generation, for a server: yield an in-memory kg Store and a scratch folder.

    When the block succeeds, the store's quads replace kg's graphs on the server (with
    `replace_dataset`; a ``build.json`` written in the folder goes into the manifest). On any
    exception nothing is sent and the server is left as it was.
    """
    from kg.store import memory_store

    remote = RemoteStore(url)
    scratch = Path(tempfile.mkdtemp(prefix="kg-remote-"))
    try:
        local = memory_store()
        if copy_current:
            remote.require_built()
            local.oxigraph.extend(remote.quads())
        yield local, scratch
        info_file = scratch / "build.json"
        info = json.loads(info_file.read_text(encoding="utf-8")) if info_file.exists() else remote.build_info()
        remote.replace_dataset(local, info)
    finally:
        remote.close()
        shutil.rmtree(scratch, ignore_errors=True)
