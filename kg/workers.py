"""A pool of query processes for the server: bounded concurrency, and time limits that really stop.

Each worker is a separate process holding the live store generation: loaded in memory, forked from
the zygote that loaded it (kg.zygote; the default), or a read-only handle on the disk store. A query
that passes its time limit is stopped by killing its worker, which is replaced in the background;
a query running longer than a second is reniced so short queries keep their latency meanwhile.
One more worker is kept for short queries: when every general worker is busy (three runaway
queries, say), a query runs there under a short time limit, so runaways can never take every
worker. Queries are checked (kg.sparql_guard), run, serialized and, for browsers, rendered as an
HTML page in the worker, under the same time and size limits. Workers cannot open network
sockets (kg.sandbox), so even a query the guard let through cannot fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

SLOW_AFTER_SECONDS = 1.0
SLOW_NICENESS = 15
SHORT_LANE_SECONDS = 1.0  # the time limit of a query run on the worker kept for short queries
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
    html: bool = False  # render the results as kg's HTML results page (in the worker, under the limits)
    dataset: bool = False  # the request names its dataset: the graphs above, possibly none, replace the query's
    base_iri: str | None = None  # resolves the query's relative IRIs


@dataclass(frozen=True)
class QueryOutcome:
    """status: 200, 400 (bad or too large query), 403 (refused), 500 (failed or too large), 503 (busy)
    or 504 (time limit)."""

    status: int
    kind: str = ""  # "results", "boolean", "graph" or "html"
    format: str = ""
    body: bytes = b""
    message: str = ""
    seconds: float = 0.0
    private_mb: float = 0.0  # memory the worker holds on its own (memory mode: pages of the shared store it copied)


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
    """A worker reading the disk store: serve jobs until the pipe closes, reopening the store when a
    build or update swapped in a new generation."""
    from kg.sandbox import deny_network

    deny_network()  # before anything else: this process never needs the network
    live = Path(store_path) / "current"
    opened: list[tuple[str, Any, frozenset[str]]] = []

    def live_store() -> tuple[Any, frozenset[str]]:
        import pyoxigraph as ox

        target = os.path.realpath(live)
        if not opened or opened[0][0] != target:
            store = ox.Store.read_only(os.path.join(target, "oxigraph"))
            opened[:] = [(target, store, named_graphs(store))]
        return opened[0][1], opened[0][2]

    serve_jobs(connection, live_store)


def named_graphs(store: Any) -> frozenset[str]:
    """The IRIs of a pyoxigraph store's named graphs (for the FROM check)."""
    import pyoxigraph as ox

    return frozenset(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))


def serve_jobs(
    connection: Connection, live_store: Callable[[], tuple[Any, frozenset[str]]], measure: bool = False
) -> None:
    """Run jobs from the pipe on the store `live_store()` gives, until the pipe closes.

    The caller has already locked the process out of the network (kg.sandbox). `measure` reports
    with each outcome the memory the process holds privately (a forked worker copies the pages of
    the shared store that reading touches: Oxigraph counts references inside the quads it reads)."""
    import pyoxigraph as ox

    from kg import formats as registry
    from kg.errors import ForbiddenQueryError, QueryLimitError
    from kg.namespaces import PREFIXES
    from kg.sparql_guard import check_query

    results_formats = {f.name: f.results for f in registry.formats("results")}
    graph_formats = {f.name: f.rdf for f in registry.formats("rdf", writable=True)}
    private = PrivateMemory()
    while True:
        try:
            job: QueryJob = connection.recv()
        except (EOFError, OSError):
            return
        started = time.perf_counter()
        too_large = f"the result is larger than the server's limit of {job.max_bytes // (1024 * 1024)} MB; add a LIMIT"
        try:
            store, graphs = live_store()
            check_query(job.query, graphs.__contains__)
            options: dict[str, Any] = {"prefixes": PREFIXES, "base_iri": job.base_iri}
            if job.dataset or job.default_graphs or job.named_graphs:
                options["default_graph"] = [_graph_name(g) for g in job.default_graphs]
                options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
            else:
                options["use_default_graph_as_union"] = True
            result = store.query(job.query, **options)
            output: Any = _LimitedBuffer(job.max_bytes)
            if job.html:
                kind, fmt = "html", "html"
                body = results_page(job.query, result, job.max_bytes)
            elif isinstance(result, ox.QueryTriples):
                kind, fmt = "graph", job.graph_format
                ox.serialize(
                    result, output, graph_formats[fmt], prefixes=PREFIXES if registry.get(fmt, "rdf").prefixes else None
                )
                body = bytes(output.buffer)
            else:
                kind = "boolean" if isinstance(result, ox.QueryBoolean) else "results"
                fmt = job.results_format
                result.serialize(output, results_formats[fmt])
                body = bytes(output.buffer)
            outcome = QueryOutcome(200, kind, fmt, body, seconds=time.perf_counter() - started)
        except QueryLimitError as error:
            outcome = QueryOutcome(400, message=str(error))
        except ForbiddenQueryError as error:
            outcome = QueryOutcome(403, message=str(error))
        except SyntaxError as error:
            outcome = QueryOutcome(400, message=_syntax_message(error, job.query))
        except _ResultTooLarge:
            outcome = QueryOutcome(500, message=too_large)
        except (OSError, RuntimeError, ValueError) as error:
            if error.__context__ is not None and isinstance(error.__context__, _ResultTooLarge):
                outcome = QueryOutcome(500, message=too_large)
            else:
                outcome = QueryOutcome(500, message=f"query failed: {' '.join(str(error).split())}")
        except MemoryError:
            outcome = QueryOutcome(500, message="query failed: out of memory")
        if measure:
            outcome = dataclasses.replace(outcome, private_mb=private())
        try:
            connection.send(outcome)
        except (BrokenPipeError, OSError):
            return


class PrivateMemory:
    """A worker's private memory in MB, read exactly (`private_memory_mb`) only when it may have grown.

    Reading /proc/self/smaps_rollup walks the page tables of every mapping: in a worker forked from
    a 1M-quad store it took most of the ~80 ms an `ASK` cost over HTTP (bench/README.md). The memory
    a worker holds privately grows by page faults (a page of the shared store copied on write, or a
    new one), which getrusage counts for a few µs: below `step_mb` of faults since the last exact
    reading, the last reading plus those faults is reported — never less than the truth.
    """

    def __init__(self, step_mb: float = 8.0) -> None:
        self.step_mb = step_mb
        self.exact_mb = 0.0
        self.faults: int | None = None
        self.readings = 0  # exact readings so far

    def __call__(self) -> float:
        faults = _page_faults()
        grown = float("inf") if self.faults is None or faults is None else (faults - self.faults) * _PAGE_MB
        if grown < self.step_mb:
            return self.exact_mb + grown
        self.exact_mb = private_memory_mb()
        self.faults = _page_faults()
        self.readings += 1
        return self.exact_mb


_PAGE_MB = (os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096) / (1024 * 1024)


def _page_faults() -> int | None:
    """Page faults of this process so far (minor and major); None where getrusage is missing."""
    try:
        import resource
    except ImportError:
        return None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return int(usage.ru_minflt + usage.ru_majflt)


def private_memory_mb() -> float:
    """This process's private (unshared) resident memory in MB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as rollup:
            fields = dict(line.split(":", 1) for line in rollup if ":" in line and not line[0].isdigit())
        return sum(int(fields[key].split()[0]) for key in ("Private_Clean", "Private_Dirty")) / 1024
    except (OSError, ValueError, KeyError):
        return 0.0


def _graph_name(iri: str) -> Any:
    """DEFAULT_GRAPH_IRI names the store's own default graph in a dataset; any other IRI a named graph."""
    import pyoxigraph as ox

    return ox.DefaultGraph() if iri == DEFAULT_GRAPH_IRI else ox.NamedNode(iri)


def results_page(query: str, result: Any, max_bytes: int) -> bytes:
    """kg's HTML page of a query and its results, escaped by Jinja; _ResultTooLarge past max_bytes."""
    import pyoxigraph as ox
    from jinja2 import Environment, PackageLoader, select_autoescape

    from kg.namespaces import PREFIXES

    columns: list[str] = []
    rows: list[list[str]] = []
    text = ""
    if isinstance(result, ox.QueryTriples):
        output: Any = _LimitedBuffer(max_bytes)
        ox.serialize(result, output, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        text = bytes(output.buffer).decode("utf-8")
    elif isinstance(result, ox.QueryBoolean):
        columns, rows = ["answer"], [["true" if bool(result) else "false"]]
    else:
        columns = [variable.value for variable in result.variables]
        size = 0
        for solution in result:
            row = [
                "" if (term := solution[column]) is None else str(getattr(term, "value", term)) for column in columns
            ]
            size += sum(len(value) + 9 for value in row) + 9  # <td></td> and <tr></tr> at least
            if size > max_bytes:
                raise _ResultTooLarge
            rows.append(row)
    env = Environment(loader=PackageLoader("kg", "templates"), autoescape=select_autoescape(["html"]))
    page = env.get_template("results.html").render(query=query, columns=columns, rows=rows, text=text).encode()
    if len(page) > max_bytes:
        raise _ResultTooLarge
    return page


def _syntax_message(error: SyntaxError, query: str) -> str:
    from kg.query import _syntax_message as explain

    return "invalid SPARQL: " + explain(error, query)


@dataclass
class _Worker:
    process: Any
    connection: Connection
    short_lane: bool = False
    zygote: Any = None  # in memory mode, the kg.zygote.Zygote (loaded generation) it was forked from


@dataclass
class QueryPool:
    """`size` worker processes plus one kept for short queries; at most `max_waiting` queries wait
    for a worker before 503.

    With `memory`, the workers are forked from a zygote holding the live generation in memory
    (kg.zygote) and `reload()` moves them to a new generation once it is loaded; otherwise each
    worker reads the disk store and reopens it when the generation changes. `report` receives the
    one-line start-up and reload messages."""

    store_path: Path
    size: int = 3
    timeout: float = 10.0
    max_waiting: int = 64
    short_lane_seconds: float = SHORT_LANE_SECONDS
    memory: bool = False
    report: Callable[[str], None] = print
    _zygote: Any = None
    _restart_lock: threading.Lock = field(default_factory=threading.Lock)
    _reloading: bool = False
    _failed: str = ""
    _idle: list[_Worker] = field(default_factory=list)
    _short_idle: list[_Worker] = field(default_factory=list)
    _freed: asyncio.Event = field(init=False)
    _threads: ThreadPoolExecutor = field(init=False)
    _waiting: int = 0
    _context: Any = field(init=False)
    _processes: dict[int, Any] = field(default_factory=dict)
    _tasks: set[Any] = field(default_factory=set)

    async def start(self) -> None:
        """Start the workers (in memory mode, after loading the live generation; StoreError if that fails)."""
        self._context = multiprocessing.get_context("spawn")
        self._freed = asyncio.Event()
        self._threads = ThreadPoolExecutor(max_workers=self.size + 3, thread_name_prefix="kg-query")
        if self.memory:
            from kg.errors import StoreError
            from kg.zygote import Zygote

            zygote = Zygote(self.store_path, serve_jobs)
            try:
                loaded = await asyncio.to_thread(zygote.start)
            except StoreError as error:
                self.memory = False
                self.report(f"kg serve: {error}; answering from the disk store instead")
            else:
                self._zygote = zygote
                self.report(f"kg serve: {loaded.summary()}; {self.size}+1 query workers forked from it")
        workers = await asyncio.gather(
            *(asyncio.to_thread(self._spawn, index == self.size) for index in range(self.size + 1))
        )
        for worker in workers:
            self._release(worker)

    @property
    def generation(self) -> Path | None:
        """The generation the workers answer from in memory mode (None when reading the disk store)."""
        return self._zygote.loaded.generation if self.memory and self._zygote is not None else None

    async def reload(self) -> bool:
        """If `current` names a generation other than the loaded one, load it in a new zygote while
        the old one keeps answering, then fork new workers from it; busy workers of the old one
        finish their query first. Returns whether a new generation was swapped in."""
        if not self.memory or self._reloading:
            return False
        target = os.path.realpath(self.store_path / "current")
        if target in (str(self.generation), self._failed) or not os.path.isdir(target):
            return False
        from kg.errors import StoreError
        from kg.zygote import Zygote

        self._reloading = True
        try:
            fresh = Zygote(self.store_path, serve_jobs, Path(target))
            try:
                loaded = await asyncio.to_thread(fresh.start)
            except StoreError as error:
                self._failed = target
                self.report(
                    f"kg serve: the new build could not be loaded, still answering from the previous one: {error}"
                )
                return False
            previous, self._zygote = self._zygote, fresh
            idle, self._idle, self._short_idle = [*self._idle, *self._short_idle], [], []
            for worker in idle:
                self._background(self._replace(worker))
            await asyncio.to_thread(previous.stop)
            self.report(f"kg serve: reloaded: {loaded.summary()}")
            return True
        finally:
            self._reloading = False

    def _spawn(self, short_lane: bool = False) -> _Worker:
        if self.memory:
            for _ in range(3):
                zygote = self._zygote
                try:
                    process, connection = zygote.fork()
                except OSError:
                    try:
                        self._restart(zygote)  # unless a reload replaced it meanwhile
                    except Exception as error:  # whatever stops the reload, the disk store still answers
                        self._to_disk(" ".join(str(error).split()) or type(error).__name__)
                        break
                    continue
                self._processes[process.pid] = process
                return _Worker(process, connection, short_lane, zygote)
            else:
                self._to_disk("the process holding the store keeps failing")
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(child, str(self.store_path)), daemon=True)
        process.start()
        child.close()
        self._processes[process.pid] = process
        return _Worker(process, parent, short_lane)

    def _to_disk(self, reason: str) -> None:
        """Answer from the disk store from now on (the memory copy cannot be had), and say so once."""
        if self.memory:
            self.memory = False
            self.report(f"kg serve: cannot hold the store in memory ({reason}); answering from the disk store")

    def _restart(self, failed: Any) -> None:
        """Replace a zygote that died (killed by the system, say) by a fresh one."""
        from kg.zygote import Zygote

        with self._restart_lock:
            if failed is not self._zygote:
                return
            fresh = Zygote(self.store_path, serve_jobs)  # the live build (the next reload check finds nothing new)
            loaded = fresh.start()
            self._zygote = fresh
            failed.stop()
            self.report(f"kg serve: the process holding the store stopped; restarted: {loaded.summary()}")

    def _release(self, worker: _Worker) -> None:
        if worker.zygote is not None and worker.zygote is not self._zygote:
            self._background(self._replace(worker))  # a worker of the previous build: retire it
            return
        (self._short_idle if worker.short_lane else self._idle).append(worker)
        self._freed.set()

    async def _replace(self, worker: _Worker) -> None:
        with contextlib.suppress(Exception):
            worker.process.kill()
            worker.connection.close()
        self._processes.pop(worker.process.pid, None)
        await asyncio.to_thread(worker.process.join, 5)
        self._release(await asyncio.to_thread(self._spawn, worker.short_lane))

    def _background(self, job: Any) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _acquire(self) -> _Worker | None:
        """A general worker if one is free, else the short-query worker; None after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            if self._idle:
                return self._idle.pop()
            if self._short_idle:
                return self._short_idle.pop()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            self._freed.clear()
            try:
                await asyncio.wait_for(self._freed.wait(), timeout=remaining)
            except TimeoutError:
                return None

    def _roundtrip(self, worker: _Worker, job: QueryJob) -> QueryOutcome:
        worker.connection.send(job)
        outcome: QueryOutcome = worker.connection.recv()
        return outcome

    async def run(self, job: QueryJob) -> QueryOutcome:
        """Run a job in a free worker, waiting for one if all are busy (503 when too many wait)."""
        busy = QueryOutcome(503, message="the server is busy; try again shortly")
        if self._waiting >= self.max_waiting:
            return busy
        self._waiting += 1
        try:
            worker = await self._acquire()
        finally:
            self._waiting -= 1
        if worker is None:
            return busy
        limit = min(self.short_lane_seconds, self.timeout) if worker.short_lane else self.timeout
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        task = loop.run_in_executor(self._threads, self._roundtrip, worker, job)
        try:
            try:
                outcome = await asyncio.wait_for(asyncio.shield(task), timeout=min(SLOW_AFTER_SECONDS, limit))
            except TimeoutError:
                if worker.short_lane:
                    raise
                with contextlib.suppress(OSError):  # a long query yields the CPU to short ones
                    os.setpriority(os.PRIO_PROCESS, worker.process.pid, SLOW_NICENESS)
                remaining = max(limit - (time.perf_counter() - started), 0.001)
                outcome = await asyncio.wait_for(task, timeout=remaining)
                self._background(self._replace(worker))
                return outcome
        except TimeoutError:
            self._background(self._replace(worker))
            if worker.short_lane and limit < self.timeout:
                return QueryOutcome(503, message="every query worker is busy with long queries; try again shortly")
            return QueryOutcome(504, message=f"the query was stopped at the server's time limit of {self.timeout:g} s")
        except (EOFError, OSError) as error:
            self._background(self._replace(worker))
            return QueryOutcome(500, message=f"the query worker failed: {error}")
        if self._zygote is not None and outcome.private_mb > self._recycle_mb():
            self._background(self._replace(worker))  # a fresh fork shares the store again
        else:
            self._release(worker)
        return outcome

    def _recycle_mb(self) -> float:
        """A forked worker holding more than this much memory of its own is replaced by a fresh
        fork: a quarter of the loaded store, at least 64 MB."""
        loaded = self._zygote.loaded
        return max(64.0, (loaded.rss_growth_mb if loaded else 0.0) / 4)

    async def stop(self) -> None:
        for process in list(self._processes.values()):
            with contextlib.suppress(Exception):
                process.kill()
        self._processes.clear()
        if self._zygote is not None:
            self._zygote.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)
