"""The server's in-memory store: one process loads the snapshot and forks the query workers from it.

An in-memory Oxigraph store lives in one process and cannot be shared with others. Loading it in
every worker would cost the load time on every respawn (a worker is killed at its time limit) and
the memory once per worker. Instead a *zygote* — a single-threaded process started by the server —
loads the live generation's snapshot (kg.storage.memory) once, locks itself out of the network
(kg.sandbox), and forks each query worker on request: a fork shares the loaded store copy-on-write,
so a worker starts in milliseconds and costs only the pages it writes. The server passes the
worker's end of a pipe to the zygote (SCM_RIGHTS), gets the worker's pid back, and keeps a pidfd
to stop it at the time limit even though the worker is the zygote's child, not the server's.

A new build starts a new zygote beside the old one; when it is ready the server forks new workers
from it and retires the old ones as their queries finish (kg.workers.QueryPool.reload).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import select
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle, send_handle
from pathlib import Path
from typing import Any

from kg.errors import StoreError
from kg.storage.memory import LoadInfo

# What a forked worker runs: (its pipe, a function giving the store and its named graphs, whether
# to report its private memory) — kg.workers.serve_jobs, passed in by the pool.
WorkerLoop = Callable[[Connection, Callable[[], tuple[Any, frozenset[str]]], bool], None]


def _zygote_main(control: Connection, store_path: str, generation: str, serve: WorkerLoop) -> None:
    """Load the snapshot, report, then fork a worker running `serve` for each request until the
    server goes away."""
    from kg.sandbox import deny_network

    deny_network()  # the zygote and every worker forked from it: no network sockets
    import pyoxigraph as ox

    from kg.storage.memory import load_snapshot

    try:
        store, info = load_snapshot(Path(store_path), Path(generation) if generation else None)
    except (StoreError, OSError, MemoryError) as error:
        control.send(("error", " ".join(str(error).split())))
        return
    graphs = frozenset(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    _preload()
    control.send(("ready", info))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    gc.freeze()  # objects loaded so far are never collected: a worker's collector won't copy their pages
    while True:
        try:
            control.recv()
            handle = recv_handle(control)
        except (EOFError, OSError):
            return
        pid = os.fork()
        if pid == 0:  # the worker: the zygote's single thread, the loaded store shared copy-on-write
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                control.close()
                serve(Connection(handle), lambda: (store, graphs), True)
            finally:
                os._exit(0)
        os.close(handle)
        try:
            control.send(pid)
        except OSError:
            return


def _preload() -> None:
    """Import what a worker needs before forking, so no worker pays for it on its first query
    (rdflib's SPARQL grammar, which the guard parses suspicious queries with, costs about a second)."""
    import jinja2  # noqa: F401  (HTML result pages)
    import rdflib.plugins.sparql.parser  # noqa: F401

    import kg.formats
    import kg.query
    import kg.sparql_guard

    kg.formats.formats("results")


class ForkedWorker:
    """A worker forked by a zygote, stopped through a pidfd (it is not the server's own child)."""

    def __init__(self, pid: int):
        self.pid = pid
        self._pidfd: int | None = os.pidfd_open(pid)

    def kill(self) -> None:
        if self._pidfd is not None:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def join(self, timeout: float | None = None) -> None:
        """Wait until the process has exited (at most `timeout` seconds)."""
        if self._pidfd is None:
            return
        ready, _, _ = select.select([self._pidfd], [], [], timeout)
        if ready:
            os.close(self._pidfd)
            self._pidfd = None

    def is_alive(self) -> bool:
        if self._pidfd is None:
            return False
        ready, _, _ = select.select([self._pidfd], [], [], 0)
        return not ready


class Zygote:
    """The server's handle on one zygote process (one loaded generation)."""

    def __init__(self, store_path: Path, serve: WorkerLoop, generation: Path | None = None):
        self.store_path = store_path
        self.serve = serve
        self.requested = generation
        self.loaded: LoadInfo | None = None
        self._lock = threading.Lock()
        self._process: Any = None
        self._control: Connection | None = None

    def start(self) -> LoadInfo:
        """Start the process and wait until it has loaded the snapshot (blocking; StoreError on failure)."""
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(
            target=_zygote_main,
            args=(child, str(self.store_path), str(self.requested or ""), self.serve),
            daemon=True,
        )
        self._process.start()
        child.close()
        self._control = parent
        try:
            message = parent.recv()
        except (EOFError, OSError):
            self.stop()
            raise StoreError(f"{self.store_path}: the process loading the store into memory died") from None
        if message[0] != "ready":
            self.stop()
            raise StoreError(message[1])
        self.loaded = message[1]
        return message[1]  # type: ignore[no-any-return]

    def fork(self) -> tuple[ForkedWorker, Connection]:
        """A new worker on the loaded store, and the server's end of its pipe (blocking, thread-safe)."""
        ours, theirs = multiprocessing.Pipe()
        try:
            with self._lock:
                if self._control is None:
                    raise OSError("the zygote has stopped")
                self._control.send("fork")
                send_handle(self._control, theirs.fileno(), self._process.pid)
                pid: int = self._control.recv()
        except (EOFError, OSError):
            ours.close()
            raise
        finally:
            theirs.close()
        return ForkedWorker(pid), ours

    def stop(self) -> None:
        """Stop the zygote; workers already forked keep running until retired."""
        if self._control is not None:
            with contextlib.suppress(OSError):
                self._control.close()
            self._control = None
        if self._process is not None:
            with contextlib.suppress(Exception):
                self._process.kill()
                # no timeout: Process.join(timeout) waits on a pipe the forked workers also hold open;
                # without one it is a plain waitpid, immediate after SIGKILL
                self._process.join()
