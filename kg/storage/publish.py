"""Publishing a build to a SPARQL server: upload each changed graph, check it, swap it in.

`replace_dataset` uploads each graph into a staging graph (a graph new to the server: under its
own name) — graphs under `batch` statements many to a request (`INSERT DATA` with a GRAPH block
each, or N-Quads to a configured dataset endpoint), bigger ones with the SPARQL 1.1 Graph Store
Protocol — checks the server holds every statement (one query counts every graph),
then MOVEs them over the live graphs (the old ones are moved aside first, and moved back if the
swap fails), the manifest last. Graphs whose content did not change since the last build are
neither uploaded nor moved. On Virtuoso the INSERT DATA batches go one at a time, or, when the
`unlogged_upload` setting asks for it, without the transaction log and in parallel
(VIRTUOSO_UPLOAD_MODE); the swap always logged (VIRTUOSO_SWAP_MODE).
`remote_generation` is the server's counterpart of `kg.storage.embedded.new_generation`
(see `kg.storage.location.writable`).
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

import pyoxigraph as ox

from kg.errors import StoreError
from kg.storage.embedded import memory_store
from kg.storage.remote import (
    BACKUP,
    DEFAULT_GRAPH,
    INTERNAL_GRAPHS,
    MANIFEST_GRAPH,
    MANIFEST_NODE,
    MANIFEST_PENDING,
    MANIFEST_STATE,
    N_QUADS,
    N_TRIPLES,
    STAGING,
    UNION_GRAPH,
    Manifest,
    RemoteStore,
)

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
# Bytes per batched request (and graphs bigger than a quarter of it go alone, by the Graph Store)
BATCH_BYTES = 4_000_000
# Graphs that came short in the count are sent again, one by one, if there are at most this many
REPAIR_LIMIT = 100
# Lines longer than this go by the Graph Store, one graph per request (Virtuoso's 64 KB literal limit)
LONG_LINE = 60_000
# Virtuoso, with the `unlogged_upload` setting: the INSERT DATA batches fill graphs new to the server
# (staging graphs, or graphs this build creates) without the transaction log and with row autocommit
# (log_enable mode 2, a documented SPARQL pragma); nothing reads those graphs before the count check and
# the swap, and a failed upload drops them. So they run `workers` at a time (transactional ones in
# parallel lost statements and were refused at random; logged ones with row autocommit, mode 3, cost 1.5x
# the server CPU). Not the default: until the server's next checkpoint a crash loses those graphs, and a
# logged MOVE of an unlogged staging graph replayed after a crash empties the live graph.
VIRTUOSO_UPLOAD_MODE = "DEFINE sql:log-enable 2\n"
# Virtuoso: the swap and its undo run in the default mode (logged, no row autocommit), said explicitly
# (Virtuoso's log_enable reference: a web request's mode lasts until the request ends).
VIRTUOSO_SWAP_MODE = "DEFINE sql:log-enable 1\n"


@dataclass
class ReplaceReport:
    """What `replace_dataset` did."""

    graphs: int = 0
    statements: int = 0
    uploaded_graphs: int = 0
    uploaded_statements: int = 0
    removed_graphs: int = 0
    requests: int = 0  # HTTP requests sent to the server
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Change:
    final: str
    staging: str | None  # None: the graph is removed
    backup: str | None  # None: nothing to keep aside (the graph did not exist)
    direct: bool = False  # uploaded under its own name (it did not exist): nothing to move


class Publisher:
    """Replaces kg's graphs on one server (a `RemoteStore`) with the statements of a local store."""

    def __init__(self, remote: RemoteStore):
        self.remote = remote

    # -- publishing ------------------------------------------------------------------------------------

    def replace_dataset(
        self, source: Any, info: dict[str, Any] | None = None, progress: Callable[[str], None] | None = None
    ) -> ReplaceReport:
        """Make the server's kg graphs exactly the quads of `source` (a kg Store or a pyoxigraph Store).

        Changed graphs are uploaded into staging graphs (graphs new to the server straight under
        their names) and checked; only then are the live graphs moved aside and the staging graphs
        moved in, the manifest last. If that fails, the moved graphs are moved back. On any failure
        the uploaded graphs are dropped and the live graphs are left as they were. Graphs whose
        content did not change are neither uploaded nor moved.
        """
        started = time.perf_counter()
        report = ReplaceReport()
        sent = self.remote.http.requests
        store: ox.Store = getattr(source, "oxigraph", source)
        old = self.remote.read_manifest(strict=False)
        self.remote.forget()
        token = uuid.uuid4().hex[:12]
        trust_old = not old.pending  # after a crashed build, compare nothing: upload everything
        self._clean_leftovers(old)
        timer = time.perf_counter()
        listed = len(list(store.named_graphs())) <= MAX_LISTED_GRAPHS
        local = self._local_graphs(store, union=listed)
        report.timings["serialize"] = time.perf_counter() - timer
        report.graphs = len([g for g in local if g not in INTERNAL_GRAPHS])
        report.statements = sum(len(lines) for g, (_, lines, _) in local.items() if g != UNION_GRAPH)
        existing = self.remote.server_graphs(refresh=True)
        changes: list[_Change] = []
        uploads: list[tuple[str, list[bytes], bool]] = []
        for index, (final, (digest, lines, has_blank)) in enumerate(sorted(local.items())):
            previous = old.graphs.get(final)
            if (
                trust_old
                and previous is not None
                and digest is not None
                and previous[0] == digest
                and existing.get(final) == previous[1] == len(lines)
            ):
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
        manifest = Manifest(
            {g: (d, len(lines)) for g, (d, lines, _) in local.items()}, dict(info or {}), exists=True, listed=listed
        )
        if not changes and old.exists and old.build == manifest.build:
            report.requests = self.remote.http.requests - sent
            report.seconds = time.perf_counter() - started
            return report
        # The manifest is one more graph to swap in, and it is always swapped last.
        # The state goes in numbered parts: Virtuoso's Graph Store refuses literals over 64 KB.
        state = manifest.state_literal()
        pending = ox.Triple(MANIFEST_NODE, MANIFEST_PENDING, ox.Literal(token))
        manifest_lines = [
            _nt_line(
                ox.Triple(MANIFEST_NODE, MANIFEST_STATE, ox.Literal(f"{n:06d}:{state[start : start + STATE_PART]}"))
            )
            for n, start in enumerate(range(0, len(state), STATE_PART))
        ] + [_nt_line(pending)]
        changes.append(
            _Change(
                MANIFEST_GRAPH,
                f"{STAGING}{token}:manifest",
                f"{BACKUP}{token}:manifest" if MANIFEST_GRAPH in existing else None,
            )
        )
        uploads.append((f"{STAGING}{token}:manifest", manifest_lines, False))
        report.uploaded_graphs = len(uploads) - 1
        report.uploaded_statements = sum(len(lines) for _, lines, _ in uploads) - len(manifest_lines)
        self.remote.update(
            f"INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ {_nt_line(pending).decode()} }} }}", "recording the build"
        )  # so that a killed build's leftovers are found and dropped
        try:
            timer = time.perf_counter()
            self._upload_all(uploads, progress)
            report.timings["upload"] = time.perf_counter() - timer
            timer = time.perf_counter()
            self._check_uploaded(uploads)
            report.timings["check"] = time.perf_counter() - timer
            timer = time.perf_counter()
            self._swap(changes)
            report.timings["swap"] = time.perf_counter() - timer
        except BaseException:
            self._drop([u[0] for u in uploads], quiet=True)
            with contextlib.suppress(StoreError):
                self.remote.update(
                    f"DELETE DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ {_nt_line(pending).decode()} }} }}", "cleaning up"
                )
            self.remote.forget()
            raise
        self.remote.forget()
        timer = time.perf_counter()
        with contextlib.suppress(StoreError):  # leftovers are dropped by the next build otherwise
            self._drop([c.backup for c in changes if c.backup])
            self.remote.update(
                f"DELETE DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ {_nt_line(pending).decode()} }} }}", "cleaning up"
            )
        report.timings["cleanup"] = time.perf_counter() - timer
        self.remote.forget()
        report.requests = self.remote.http.requests - sent
        report.seconds = time.perf_counter() - started
        return report

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

    def _upload_all(self, uploads: list[tuple[str, list[bytes], bool]], progress: Callable[[str], None] | None) -> None:
        """Send every graph: small ones many to a request (`_batches`), the others one by one, in parallel."""
        _, graph_store = self.remote.endpoints()
        batch = self.remote.settings.batch
        jobs = _jobs(uploads, batch)
        failure: list[BaseException] = []

        def batched(job: list[tuple[str, list[bytes], bool]]) -> bool:
            return len(job) > 1 or bool(batch and _groupable(job[0]))

        def upload(job: list[tuple[str, list[bytes], bool]]) -> None:
            if failure:
                return
            try:
                if batched(job):
                    self._send_batch(job)
                elif graph_store:
                    self._put_graph(graph_store, *job[0])
                else:
                    self._insert_graph(*job[0])
            except BaseException as error:
                failure.append(error)

        from kg import progress as bars

        workers = self.remote.settings.workers
        rounds = [(jobs, workers)]
        if self.remote.is_virtuoso and batch:
            # Virtuoso 7.2.5: Graph Store uploads one at a time, never beside INSERT DATA requests (in
            # parallel with them statements were lost); then the INSERT DATA batches: transactional ones
            # one at a time (in parallel they lost statements), unlogged ones (VIRTUOSO_UPLOAD_MODE,
            # the `unlogged_upload` setting) `workers` at a time.
            rounds = [
                ([job for job in jobs if not batched(job)], 1),
                ([job for job in jobs if batched(job)], workers if self.remote.settings.unlogged_upload else 1),
            ]
        with bars.task("Uploading", total=sum(len(lines) for _, lines, _ in uploads), unit="stmt") as bar:
            for round_jobs, round_workers in rounds:
                if failure:
                    break
                if max(1, min(round_workers, len(round_jobs))) == 1:
                    for job in round_jobs:
                        upload(job)
                        bar.advance(sum(len(item[1]) for item in job))
                    continue
                with ThreadPoolExecutor(round_workers) as pool:
                    for job, _ in zip(round_jobs, pool.map(upload, round_jobs), strict=True):
                        bar.advance(sum(len(item[1]) for item in job))
        if failure:
            raise failure[0]
        if progress:
            progress(f"uploaded {len(uploads)} graphs in {len(jobs)} requests")

    def _send_batch(self, items: list[tuple[str, list[bytes], bool]]) -> None:
        """Several graphs in one request: N-Quads to a dataset endpoint, else one INSERT DATA with a GRAPH
        block per graph (adding the same statements again changes nothing: safe to retry)."""
        what = f"uploading graph <{items[0][0]}>" + (f" and {len(items) - 1} more" if len(items) > 1 else "")
        dataset = self.remote.settings.dataset_upload
        if dataset:
            body = b"".join(
                line[: line.rindex(b" .")] + b" <" + graph.encode() + b"> .\n"
                for graph, lines, _ in items
                for line in lines
            )
            self.remote.http.request(
                "POST", dataset, what=what, retries=2, content=body, headers={"Content-Type": N_QUADS}
            )
            return
        update_url, _ = self.remote.endpoints()
        # Virtuoso compiles INSERT DATA's statements into SQL text, which it caps at 10,000 lines
        # (~1,000 statements); as one constant (big-data-const) they cost a fifth of the time. Its
        # parser overflows ("memory exhausted") on a few thousand statements in one GRAPH block:
        # a graph goes in blocks of INSERT_BATCH statements.
        virtuoso = self.remote.is_virtuoso
        mode = VIRTUOSO_UPLOAD_MODE if virtuoso and self.remote.settings.unlogged_upload else ""
        try:
            self._insert_blocks(update_url, items, what, mode + ("DEFINE sql:big-data-const 1\n" if virtuoso else ""))
        except StoreError as error:
            # Virtuoso 7.2.5 refuses some such requests ("SP031 … add 'define sql:big-data-const 0'"),
            # as a rule on a fresh server whose dictionary lacks the data's datatypes: plain requests.
            if not (virtuoso and "big-data-const 0" in str(error)):
                raise
            self._insert_blocks(update_url, items, what, mode, size=INSERT_BATCH)

    def _insert_blocks(
        self, url: str, items: list[tuple[str, list[bytes], bool]], what: str, define: str, size: int = 0
    ) -> None:
        """INSERT DATA requests with a GRAPH block per graph (per INSERT_BATCH statements of it), all
        in one request, or (`size`) in requests of at most `size` statements."""
        blocks = [
            (
                min(INSERT_BATCH, len(lines) - start),
                f"GRAPH <{graph}> {{\n{b''.join(lines[start : start + INSERT_BATCH]).decode('utf-8')}}}\n",
            )
            for graph, lines, _ in items
            for start in range(0, len(lines), INSERT_BATCH)
        ]
        requests: list[list[str]] = [[]]
        count = 0
        for n, block in blocks:
            if size and requests[-1] and count + n > size:
                requests.append([])
                count = 0
            requests[-1].append(block)
            count += n
        for request in requests:
            text = "".join(request)
            self.remote.http.request(
                "POST", url, what=what, retries=2, data={"update": f"{define}INSERT DATA {{\n{text}}}"}
            )

    def _put_graph(self, graph_store: str, graph: str, lines: list[bytes], has_blank: bool) -> None:
        size = len(lines) if has_blank else CHUNK_TRIPLES  # blank nodes must arrive in one document
        for start in range(0, max(len(lines), 1), size):
            try:
                self._send_part(graph_store, graph, lines[start : start + size], start == 0)
            except StoreError as error:
                if "unsupported type text/plain" in str(error) and any(len(line) > 60_000 for line in lines):
                    raise StoreError(f"{error} (Virtuoso cannot load literals over 64 KB)") from None
                raise

    def _send_part(self, graph_store: str, graph: str, lines: list[bytes], first: bool) -> None:
        self.remote.http.request(  # PUT replaces and POST adds the same statements again: safe to retry
            "PUT" if first else "POST",
            graph_store,
            what=f"uploading graph <{graph}>",
            retries=2,
            params={"graph": graph},
            content=b"".join(lines),
            headers={"Content-Type": N_TRIPLES},
        )

    def _insert_graph(self, graph: str, lines: list[bytes], has_blank: bool) -> None:
        """SPARQL updates of at most INSERT_BATCH statements. Blank nodes are fresh in each request, so
        statements sharing blank nodes go in the same request, as INSERT … WHERE {} (Virtuoso refuses
        blank nodes in INSERT DATA)."""
        batches = [(False, lines[start : start + INSERT_BATCH]) for start in range(0, len(lines), INSERT_BATCH)]
        if has_blank:
            plain, groups = _blank_node_groups(lines)
            batches = [(False, plain[start : start + INSERT_BATCH]) for start in range(0, len(plain), INSERT_BATCH)]
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
            self.remote.update(f"{operation} {{ GRAPH <{graph}> {{\n{body}}} }}{where}", f"uploading graph <{graph}>")

    def _check_uploaded(self, uploads: list[tuple[str, list[bytes], bool]]) -> None:
        """The server must hold every statement sent (a server may drop or merge some silently).

        One query counts every graph. Graphs that came short are sent once more, each alone (Virtuoso
        7.2 was seen to lose a statement now and then under parallel INSERT DATA requests), and
        counted again; a graph still short fails the build.
        """
        stored = self.remote.server_graphs(refresh=True)
        short = [item for item in uploads if stored.get(item[0], 0) != len(item[1])]
        if short and len(short) <= REPAIR_LIMIT:
            _, graph_store = self.remote.endpoints()
            for graph, lines, has_blank in short:
                if graph_store:
                    self._put_graph(graph_store, graph, lines, has_blank)  # PUT replaces what arrived
                else:
                    self.remote.update(f"DROP SILENT GRAPH <{graph}>", f"uploading graph <{graph}>")
                    self._insert_graph(graph, lines, has_blank)
            stored = self.remote.server_graphs(refresh=True)
        for graph, lines, _ in short:
            if stored.get(graph, 0) != len(lines):
                raise StoreError(
                    f"{self.remote.location}: the server kept {stored.get(graph, 0)} of the {len(lines)} "
                    f"statements uploaded to <{graph}>; nothing was changed"
                )

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
                raise StoreError(
                    f"{error}; moving the previous graphs back failed too ({undo_error}); run `kg build` again"
                ) from None
            raise

    def _undo_swap(self, changes: list[_Change]) -> None:
        backups = {c.backup for c in changes if c.backup}
        kept = {g for g, n in self.remote.server_graphs(refresh=True).items() if g in backups and n > 0}
        operations = []
        for change in changes:
            if change.backup in kept:
                operations.append(f"MOVE SILENT <{change.backup}> TO <{change.final}>")
            elif change.backup is None and change.staging:  # a new graph: remove what arrived
                operations.append(f"DROP SILENT GRAPH <{change.final}>")
        self._run_operations(operations, "moving the previous graphs back")

    def _run_operations(self, operations: list[str], what: str) -> None:
        mode = VIRTUOSO_SWAP_MODE if operations and self.remote.is_virtuoso else ""
        for start in range(0, len(operations), MAX_OPERATIONS):
            self.remote.update(mode + " ;\n".join(operations[start : start + MAX_OPERATIONS]), what)

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
        rows = self.remote.select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(STRSTARTS(STR(?g), "{STAGING}") || STRSTARTS(STR(?g), "{BACKUP}")) }} GROUP BY ?g',
            dataset=False,
        )
        tokens = {t for t in old.pending}
        leftovers = [r["g"].value for r in rows if r["g"].value.split(":")[3] in tokens]  # urn:kg:staging:<token>:<n>
        self._drop(leftovers)
        self.remote.update(
            " ;\n".join(
                f'DELETE DATA {{ GRAPH <{MANIFEST_GRAPH}> {{ <{MANIFEST_GRAPH}> <{MANIFEST_PENDING.value}> "{t}" }} }}'
                for t in sorted(tokens)
            ),
            "cleaning up",
        )


def replace_dataset(
    remote: RemoteStore, source: Any, info: dict[str, Any] | None = None, progress: Callable[[str], None] | None = None
) -> ReplaceReport:
    """Make the server's kg graphs exactly the quads of `source` (see `Publisher.replace_dataset`)."""
    return Publisher(remote).replace_dataset(source, info, progress)


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


def _groupable(item: tuple[str, list[bytes], bool]) -> bool:
    """Whether a graph may share a request with others: no blank nodes (they would be merged across
    graphs), small, no line long enough to need the Graph Store's own error."""
    _, lines, has_blank = item
    return not has_blank and sum(map(len, lines)) <= BATCH_BYTES // 4 and all(len(line) <= LONG_LINE for line in lines)


def _jobs(uploads: list[tuple[str, list[bytes], bool]], batch: int) -> list[list[tuple[str, list[bytes], bool]]]:
    """The upload requests: the graphs too big to group first (biggest first: they take longest), then
    the small ones packed in order into requests of at most `batch` statements and BATCH_BYTES bytes.
    `batch` 0: one request per graph."""
    if not batch:
        return [[item] for item in uploads]
    alone = [item for item in uploads if len(item[1]) >= batch or not _groupable(item)]
    jobs = [[item] for item in sorted(alone, key=lambda item: -len(item[1]))]
    current: list[tuple[str, list[bytes], bool]] = []
    size = weight = 0
    for item in uploads:
        if len(item[1]) >= batch or not _groupable(item):
            continue
        count, nbytes = len(item[1]), sum(map(len, item[1]))
        if current and (size + count > batch or weight + nbytes > BATCH_BYTES):
            jobs.append(current)
            current, size, weight = [], 0, 0
        current.append(item)
        size += count
        weight += nbytes
    if current:
        jobs.append(current)
    return jobs


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


@contextlib.contextmanager
def remote_generation(url: str, *, copy_current: bool = False) -> Iterator[tuple[Any, Path]]:
    """Like kg.storage.embedded.new_generation, for a server: yield an in-memory kg Store and a scratch folder.

    When the block succeeds, the store's quads replace kg's graphs on the server (with
    `replace_dataset`; a ``build.json`` written in the folder goes into the manifest). On any
    exception nothing is sent and the server is left as it was.
    """
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
        replace_dataset(remote, local, info)
    finally:
        remote.close()
        shutil.rmtree(scratch, ignore_errors=True)
