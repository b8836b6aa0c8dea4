"""A pool of query processes for the server: bounded concurrency, and time limits that really stop.

Each worker is a separate process holding a read-only handle on the live store generation. A query
that passes its time limit is stopped by killing its worker, which is replaced in the background;
a query running longer than a second is reniced so short queries keep their latency meanwhile.
Results are serialized in the worker, under a size limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

SLOW_AFTER_SECONDS = 1.0
SLOW_NICENESS = 15
DEFAULT_GRAPH_IRI = "urn:kg:default-graph"  # in default-graph-uri: the store's own (unnamed) default graph


@dataclass(frozen=True)
class QueryJob:
    """What a worker runs: the query, the formats wanted, the dataset, and the result-size limit."""

    query: str
    results_format: str = "json"  # for SELECT/ASK: json, xml, csv, tsv
    graph_format: str = "ntriples"  # for CONSTRUCT/DESCRIBE: turtle, ntriples, jsonld, rdfxml
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_bytes: int = 50 * 1024 * 1024
    dataset: bool = False  # the request names its dataset: the graphs above, possibly none, replace the query's
    base_iri: str | None = None  # resolves the query's relative IRIs


@dataclass(frozen=True)
class QueryOutcome:
    """status: 200, 400 (bad query), 500 (failed or too large), 503 (busy) or 504 (time limit)."""

    status: int
    kind: str = ""  # "results", "boolean" or "graph"
    format: str = ""
    body: bytes = b""
    message: str = ""
    seconds: float = 0.0


class _ResultTooLarge(Exception):
    pass


class _LimitedBuffer(io.RawIOBase):
    def __init__(self, limit: int):
        self.buffer = bytearray()
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.buffer.extend(data)
        if len(self.buffer) > self.limit:
            raise _ResultTooLarge
        return len(data)


def _worker_main(connection: Connection, store_path: str) -> None:
    """Serve jobs from the pipe until it closes; reopen the store when a build or update swapped it."""
    import pyoxigraph as ox

    from kg.namespaces import PREFIXES

    results_formats = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                       "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
    graph_formats = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                     "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}
    live = Path(store_path) / "current"
    opened: tuple[str, Any] | None = None
    while True:
        try:
            job: QueryJob = connection.recv()
        except (EOFError, OSError):
            return
        started = time.perf_counter()
        try:
            target = os.path.realpath(live)
            if opened is None or opened[0] != target:
                opened = (target, ox.Store.read_only(os.path.join(target, "oxigraph")))
            store = opened[1]
            options: dict[str, Any] = {"prefixes": PREFIXES, "base_iri": job.base_iri}
            if job.dataset or job.default_graphs or job.named_graphs:
                options["default_graph"] = [_graph_name(g) for g in job.default_graphs]
                options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
            else:
                options["use_default_graph_as_union"] = True
            result = store.query(job.query, **options)
            output: Any = _LimitedBuffer(job.max_bytes)
            if isinstance(result, ox.QueryTriples):
                kind, fmt = "graph", job.graph_format
                ox.serialize(result, output, graph_formats[fmt],
                             prefixes=PREFIXES if fmt == "turtle" else None)
            else:
                kind = "boolean" if isinstance(result, ox.QueryBoolean) else "results"
                fmt = job.results_format
                result.serialize(output, results_formats[fmt])
            outcome = QueryOutcome(200, kind, fmt, bytes(output.buffer), seconds=time.perf_counter() - started)
        except SyntaxError as error:
            outcome = QueryOutcome(400, message=_syntax_message(error, job.query))
        except _ResultTooLarge:
            outcome = QueryOutcome(500, message=f"the result is larger than the server's limit of "
                                                f"{job.max_bytes // (1024 * 1024)} MB; add a LIMIT")
        except (OSError, RuntimeError, ValueError) as error:
            if error.__context__ is not None and isinstance(error.__context__, _ResultTooLarge):
                outcome = QueryOutcome(500, message=f"the result is larger than the server's limit of "
                                                    f"{job.max_bytes // (1024 * 1024)} MB; add a LIMIT")
            else:
                outcome = QueryOutcome(500, message=f"query failed: {' '.join(str(error).split())}")
        try:
            connection.send(outcome)
        except (BrokenPipeError, OSError):
            return


def _graph_name(iri: str) -> Any:
    """DEFAULT_GRAPH_IRI names the store's own default graph in a dataset; any other IRI a named graph."""
    import pyoxigraph as ox

    return ox.DefaultGraph() if iri == DEFAULT_GRAPH_IRI else ox.NamedNode(iri)


def _syntax_message(error: SyntaxError, query: str) -> str:
    from kg.query import _syntax_message as explain

    return "invalid SPARQL: " + explain(error, query)


@dataclass
class _Worker:
    process: Any
    connection: Connection
    busy_since: float = 0.0


@dataclass
class QueryPool:
    """`size` worker processes; at most `max_waiting` queries wait for one before 503."""

    store_path: Path
    size: int = 3
    timeout: float = 10.0
    max_waiting: int = 64
    _idle: asyncio.Queue[_Worker] = field(init=False)
    _threads: ThreadPoolExecutor = field(init=False)
    _waiting: int = 0
    _context: Any = field(init=False)
    _processes: dict[int, Any] = field(default_factory=dict)

    async def start(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._idle = asyncio.Queue()
        self._threads = ThreadPoolExecutor(max_workers=self.size + 2, thread_name_prefix="kg-query")
        workers = await asyncio.gather(*(asyncio.to_thread(self._spawn) for _ in range(self.size)))
        for worker in workers:
            self._idle.put_nowait(worker)

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(child, str(self.store_path)), daemon=True)
        process.start()
        child.close()
        self._processes[process.pid] = process
        return _Worker(process, parent)

    async def _replace(self, worker: _Worker) -> None:
        with contextlib.suppress(Exception):
            worker.process.kill()
            worker.connection.close()
        self._processes.pop(worker.process.pid, None)
        await asyncio.to_thread(worker.process.join, 5)
        fresh = await asyncio.to_thread(self._spawn)
        self._idle.put_nowait(fresh)

    def _roundtrip(self, worker: _Worker, job: QueryJob) -> QueryOutcome:
        worker.connection.send(job)
        outcome: QueryOutcome = worker.connection.recv()
        return outcome

    async def run(self, job: QueryJob) -> QueryOutcome:
        """Run a job in a free worker, waiting for one if all are busy (503 when too many wait)."""
        if self._waiting >= self.max_waiting:
            return QueryOutcome(503, message="the server is busy; try again shortly")
        self._waiting += 1
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=self.timeout)
        except TimeoutError:
            return QueryOutcome(503, message="the server is busy; try again shortly")
        finally:
            self._waiting -= 1
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        task = loop.run_in_executor(self._threads, self._roundtrip, worker, job)
        try:
            try:
                outcome = await asyncio.wait_for(asyncio.shield(task), timeout=min(SLOW_AFTER_SECONDS, self.timeout))
            except TimeoutError:
                with contextlib.suppress(OSError):  # a long query yields the CPU to short ones
                    os.setpriority(os.PRIO_PROCESS, worker.process.pid, SLOW_NICENESS)
                remaining = max(self.timeout - (time.perf_counter() - started), 0.001)
                outcome = await asyncio.wait_for(task, timeout=remaining)
                asyncio.get_running_loop().create_task(self._replace(worker))
                return outcome
        except TimeoutError:
            asyncio.get_running_loop().create_task(self._replace(worker))
            return QueryOutcome(504, message=f"the query was stopped at the server's time limit of {self.timeout:g} s")
        except (EOFError, OSError) as error:
            asyncio.get_running_loop().create_task(self._replace(worker))
            return QueryOutcome(500, message=f"the query worker failed: {error}")
        self._idle.put_nowait(worker)
        return outcome

    async def stop(self) -> None:
        for process in list(self._processes.values()):
            with contextlib.suppress(Exception):
                process.kill()
        self._processes.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)
