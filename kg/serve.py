"""`kg serve`: a SPARQL 1.1 Protocol endpoint over the store, safe by default (Starlette + uvicorn).

* Binds 127.0.0.1 unless told otherwise; read-only unless started with --allow-update and a
  bearer token (from KG_SERVE_TOKEN or a token file, never the command line).
* SERVICE, LOAD and FROM/FROM NAMED of graphs not in the store are refused on the parsed query
  (kg.sparql_guard), in the worker that would run it; query and update processes cannot open
  network sockets at all (kg.sandbox). Length and nesting limits are checked first (400).
* Queries run on the live generation loaded into memory (kg.storage.memory), in worker processes
  forked from the process that loaded it (kg.zygote); a new build swapped into the store is loaded
  in the background and answered from once ready, without a restart. A writable endpoint reads the
  disk store instead, so each update is visible to the next query without a reload.
* Queries run in a pool of worker processes (kg.workers): bounded concurrency with a worker kept
  for short queries, a per-query time limit enforced by killing the worker, and a result-size
  limit; HTML result pages are rendered there too. Requests have a size limit.
* Connections that stall before their headers are complete, or while sending a body, are closed
  after `read_timeout` seconds (slowloris); stalled connections never make other requests 503.
* Only requests whose Host is a loopback name (or a --public-host) are answered, so a page that
  rebinds its own name to 127.0.0.1 cannot read the endpoint (DNS rebinding).
* Updates (SPARQL Update, Graph Store Protocol) run in a separate process under the same time
  limit, into a copy of the live store generation that is swapped in only on success.
* The protocol rules live in kg.sparql_protocol (one operation per request, datasets, content
  negotiation, service description), kg.graph_store (graph identification, uploads) and kg.cors
  (cross-origin policy); this module wires them to HTTP.
* GET /sparql without a query returns the service description; / serves the `kg site` pages,
  /query a small offline query page and /yasgui the bundled YASGUI.
"""

from __future__ import annotations

import asyncio
import hmac
import multiprocessing
import os
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.cors import CorsMiddleware, CorsPolicy
from kg.errors import InputFileError, KgError, ProtocolError, QueryLimitError, ServeError
from kg.graph_store import identify, read_upload
from kg.sparql_guard import check_limits
from kg.sparql_protocol import (
    HTML,
    SparqlRequest,
    acceptable_list,
    apply_using,
    content_type,
    negotiate,
    negotiate_description,
    parse_request,
    query_form,
    service_description,
)
from kg.workers import DEFAULT_GRAPH_IRI, QueryJob, QueryPool

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class ServeConfig:
    store_path: Path
    host: str = "127.0.0.1"
    port: int = 7878
    workers: int = 3
    timeout: float = 10.0
    max_result_bytes: int = 50 * 1024 * 1024
    max_request_bytes: int = 1024 * 1024
    allow_update: bool = False
    token: str | None = None
    site: bool = True
    base: str | None = None  # base IRI of queries and updates; default: the endpoint's own URL
    cors_origins: tuple[str, ...] = ()  # origins (or "*") whose pages may query
    cors_update_origins: tuple[str, ...] = ()  # origins whose pages may also update
    public_hosts: tuple[str, ...] = ()
    read_timeout: float = 10.0
    memory: bool = True  # answer from the in-memory snapshot (always from disk with allow_update)
    reload_seconds: float = 1.0  # how often the live generation is checked for a new build

    @property
    def in_memory(self) -> bool:
        """Whether queries run on the in-memory snapshot: by default, unless updates are allowed."""
        return self.memory and not self.allow_update

    def allowed_hosts(self) -> list[str]:
        """Host header names answered: the loopback names, the bound address and --public-host names."""
        hosts = list(LOOPBACK_HOSTS)
        if self.host not in ("0.0.0.0", "::", ""):
            hosts.append(f"[{self.host}]" if ":" in self.host else self.host)
        return hosts + [h.lower() for h in self.public_hosts]


def _apply_update(
    store_path: str,
    operation: str,
    payload: Any,
    graph: str | None,
    base: str | None,
    connection: Any,
    max_bytes: int = 1024 * 1024,
) -> None:
    """In a child process: copy the live generation, apply one change, swap it in on success.

    operation: "update" (payload: the SPARQL Update), "put"/"post" (payload: [(format, text)]) or
    "delete"; graph None is the store's own default graph. Sends (status, message): 201 when a
    Graph Store write created the graph, 204 otherwise, or the error status.
    """
    from kg.sandbox import deny_network

    deny_network()
    try:
        import pyoxigraph as ox

        from kg import formats as registry
        from kg.errors import ForbiddenQueryError
        from kg.limits import Limits
        from kg.namespaces import PREFIXES
        from kg.safe_rdf import load_rdf
        from kg.sparql_guard import check_update
        from kg.storage.embedded import new_generation

        if operation == "update":
            try:
                current = ox.Store.read_only(os.path.join(os.path.realpath(Path(store_path) / "current"), "oxigraph"))
                graphs = {g.value for g in current.named_graphs() if isinstance(g, ox.NamedNode)}
                del current
                check_update(payload, graphs.__contains__)
            except ForbiddenQueryError as error:
                connection.send((403, str(error)))
                return
        created = False
        # no snapshot: the writable endpoint reads the disk store, and a dump per update would cost
        # seconds at scale; a memory reader then reads the disk store (kg.storage.memory)
        with new_generation(Path(store_path), copy_current=True, keep_previous=True, snapshot=False) as (store, _):
            if operation == "update":
                store.oxigraph.update(payload, base_iri=base, prefixes=PREFIXES)
            else:
                target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
                exists = graph is None or store.oxigraph.contains_named_graph(target)
                if operation == "delete" and not exists:
                    raise LookupError(f"no graph <{graph}> in the store")
                if operation in ("put", "delete"):
                    if graph is None:
                        store.oxigraph.clear_graph(target)
                    elif exists:
                        store.oxigraph.remove_graph(target)
                if operation in ("put", "post"):
                    if isinstance(target, ox.NamedNode):
                        store.oxigraph.add_graph(target)
                    for fmt, text in payload:
                        # the checked loader: entity expansion, literal size and nesting bounded by the request limit
                        load_rdf(
                            store.oxigraph,
                            text.encode("utf-8"),
                            registry.rdf_syntax(fmt),
                            "request body",
                            limits=Limits(max_input_bytes=max_bytes),
                            to_graph=target,
                            base_iri=graph or base,
                        )
                    created = not exists
            # as every build does: the superclass types and super-property statements of what arrived
            # (the canned queries read `?e kg:participant ?x`, not a property path; docs/remote-stores.md)
            from kg.build import materialise_hierarchy

            materialise_hierarchy(store)
        connection.send((201 if created else 204, ""))
    except InputFileError as error:
        connection.send((400, " ".join(str(error).split())))
    except SyntaxError as error:
        connection.send((400, " ".join(str(error).split())))
    except LookupError as error:
        connection.send((404, str(error)))
    except Exception as error:  # the server reports every failure as one line
        connection.send((500, " ".join(str(error).split()) or type(error).__name__))


class Server:
    """The endpoint's state: configuration, the query pool, and a lock that serialises updates."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self.pool = QueryPool(
            config.store_path,
            size=config.workers,
            timeout=config.timeout,
            memory=config.in_memory,
            report=_tell,
        )
        self.update_lock = asyncio.Lock()
        self.site_dir: tempfile.TemporaryDirectory[str] | None = None
        self._graphs: tuple[str, frozenset[str]] = ("", frozenset())

    def named_graphs(self) -> frozenset[str]:
        """The store's named graphs, cached per generation (for the FROM check)."""
        import pyoxigraph as ox

        served = self.pool.generation  # in memory mode: the generation loaded, until a reload is done
        live = str(served) if served is not None else os.path.realpath(self.config.store_path / "current")
        if self._graphs[0] != live:
            store = ox.Store.read_only(os.path.join(live, "oxigraph"))
            graphs = frozenset(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
            self._graphs = (live, graphs)
        return self._graphs[1]

    async def query(self, request: SparqlRequest, accept: str | None, base: str) -> Any:
        """Run a checked query request; 406 no acceptable format, else the worker's outcome."""
        from starlette.responses import HTMLResponse, PlainTextResponse, Response

        text = request.query or ""
        try:
            check_limits(text)  # cheap; the parsed-query checks run in the worker, under its limits
        except QueryLimitError as error:
            return PlainTextResponse(f"{error}\n", status_code=400)
        kind = query_form(text)
        chosen = {k: negotiate(k, accept, request.formats) for k in ("results", "graph")}
        if kind is not None and chosen[kind] is None:
            return PlainTextResponse(
                f"none of the formats asked for ({', '.join(request.formats) or accept}) can hold this query's "
                f"answer; available: {acceptable_list(kind)}\n",
                status_code=406,
            )
        html = kind is not None and chosen[kind] == HTML
        results_format = chosen["results"] if chosen["results"] not in (None, HTML) else "json"
        graph_format = chosen["graph"] if chosen["graph"] not in (None, HTML) else "turtle"
        outcome = await self.pool.run(
            QueryJob(
                text,
                results_format=results_format,
                graph_format=graph_format,
                default_graphs=request.default_graphs,
                named_graphs=request.named_graphs,
                dataset=request.has_dataset,
                max_bytes=self.config.max_result_bytes,
                base_iri=base,
                html=html,
            )
        )
        if outcome.status != 200:
            headers = {"Retry-After": "1"} if outcome.status == 503 else None
            return PlainTextResponse(outcome.message + "\n", status_code=outcome.status, headers=headers)
        if outcome.kind == "html":
            return HTMLResponse(outcome.body)
        return Response(
            outcome.body,
            headers={"Content-Type": content_type("graph" if outcome.kind == "graph" else "results", outcome.format)},
        )

    async def change(
        self,
        operation: str,
        payload: Any,
        graph: str | None = None,
        base: str | None = None,
        location: str | None = None,
    ) -> Any:
        """Run one change in a child process under the time limit; the live store changes only on success."""
        from starlette.responses import PlainTextResponse, Response

        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_apply_update,
            args=(str(self.config.store_path), operation, payload, graph, base, child, self.config.max_request_bytes),
            daemon=True,
        )
        async with self.update_lock:
            process.start()
            child.close()
            finished = await asyncio.to_thread(parent.poll, self.config.timeout)
            if not finished:
                process.kill()
                await asyncio.to_thread(process.join, 5)
                return PlainTextResponse(
                    f"the update was stopped at the server's time limit of {self.config.timeout:g} s; "
                    "the store is unchanged\n",
                    status_code=504,
                )
            status, message = parent.recv()
            await asyncio.to_thread(process.join, 5)
        if status == 201:
            return Response(status_code=201, headers={"Location": location or graph or ""})
        if status == 204:
            return Response(status_code=204)
        return PlainTextResponse(f"{message}; the store is unchanged\n", status_code=status)


def _page(name: str, **context: Any) -> str:
    """A page of kg/templates with the predeclared prefixes (for shortening IRIs in the browser)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from kg.namespaces import PREFIXES

    env = Environment(loader=PackageLoader("kg", "templates"), autoescape=select_autoescape(["html"]))
    return env.get_template(name).render(prefixes=PREFIXES, **context)


def create_app(config: ServeConfig) -> Any:
    """The Starlette application (uvicorn runs it; tests can too)."""
    from importlib.resources import files

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    server = Server(config)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not config.in_memory:
            why = "updates are allowed" if config.allow_update else "--from-disk"
            _tell(f"kg serve: answering from the disk store ({why}); every query reads the live generation")
        await server.pool.start()
        watcher = asyncio.get_running_loop().create_task(_watch(server.pool, config.reload_seconds))
        if config.site:
            server.site_dir = tempfile.TemporaryDirectory(prefix="kg-site-")
            await asyncio.to_thread(_write_site, config.store_path, Path(server.site_dir.name))
            app.router.routes.append(Mount("/site", app=StaticFiles(directory=server.site_dir.name, html=True)))
        yield
        watcher.cancel()
        await server.pool.stop()
        if server.site_dir is not None:
            server.site_dir.cleanup()

    async def read_body(request: Request) -> bytes | Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > config.max_request_bytes:
            return PlainTextResponse(
                f"request larger than the limit of {config.max_request_bytes} bytes\n", status_code=413
            )
        body = bytearray()
        chunks = request.stream().__aiter__()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + config.read_timeout
        while True:
            try:
                chunk = await asyncio.wait_for(chunks.__anext__(), timeout=max(deadline - loop.time(), 0.001))
            except StopAsyncIteration:
                break
            except TimeoutError:
                return PlainTextResponse(
                    f"the request body did not arrive within {config.read_timeout:g} s\n",
                    status_code=408,
                    headers={"Connection": "close"},
                )
            body.extend(chunk)
            if len(body) > config.max_request_bytes:
                return PlainTextResponse(
                    f"request larger than the limit of {config.max_request_bytes} bytes\n", status_code=413
                )
        return bytes(body)

    def authorised(request: Request) -> Response | None:
        if not config.allow_update:
            return PlainTextResponse(
                "this endpoint is read-only (start kg serve with --allow-update)\n", status_code=403
            )
        if not request.scope.get("state", {}).get("cors_may_write", True):
            origin = request.headers.get("origin", "")
            return PlainTextResponse(
                f"updates from {origin} refused: start kg serve with --cors-update-origin {origin}\n", status_code=403
            )
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        if not config.token or not hmac.compare_digest(token.encode(), config.token.encode()):
            return PlainTextResponse(
                "a valid bearer token is required for updates\n",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="kg"'},
            )
        return None

    def own_url(request: Request) -> str:
        """The request's URL without its query string (the endpoint's own IRI)."""
        return str(request.url.replace(query="", fragment="")).rstrip("?")

    async def sparql(request: Request) -> Response:
        body = b""
        if request.method == "POST":
            read = await read_body(request)
            if isinstance(read, Response):
                return read
            body = read
        try:
            operation = parse_request(
                request.method, request.query_params.multi_items(), request.headers.get("content-type"), body
            )
            if operation.update is not None:
                denied = authorised(request)
                if denied is not None:
                    return denied
                check_limits(operation.update, "update")  # SERVICE and LOAD are refused in the update's process
                update = apply_using(operation.update, operation.using_graphs, operation.using_named_graphs)
                response: Response = await server.change("update", update, base=config.base or own_url(request))
                return response
        except ProtocolError as error:
            return PlainTextResponse(f"{error}\n", status_code=error.status)
        except QueryLimitError as error:
            return PlainTextResponse(f"{error}\n", status_code=400)
        if operation.query is None:
            if request.method == "POST" or request.query_params:
                return PlainTextResponse(
                    "no query: send query= (GET or form POST), or POST application/sparql-query\n", status_code=400
                )
            return describe(request, operation.formats)
        result: Response = await server.query(operation, request.headers.get("accept"), config.base or own_url(request))
        return result

    def describe(request: Request, formats: tuple[str, ...]) -> Response:
        """The service description, in the format asked for (a browser is sent to the query page)."""
        fmt = negotiate_description(request.headers.get("accept"), formats)
        if fmt == HTML:
            return RedirectResponse("/query", status_code=303)
        if fmt is None:
            return PlainTextResponse(
                "the service description is available as text/turtle, application/rdf+xml, "
                "application/ld+json or application/n-triples\n",
                status_code=406,
            )
        endpoint = own_url(request)
        graph_store_url = endpoint.rsplit("/", 1)[0] + "/rdf-graphs"
        return Response(
            service_description(endpoint, graph_store_url, config.allow_update, fmt),
            headers={"Content-Type": content_type("graph", fmt)},
        )

    async def graph_store(request: Request) -> Response:
        """SPARQL 1.1 Graph Store HTTP Protocol: indirect (?graph=, ?default) and direct identification."""
        url = own_url(request)
        root = url[: url.index("/rdf-graphs") + len("/rdf-graphs")]
        params: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            params.setdefault(key, []).append(value)
        try:
            target = identify(request.method, params, url, root)
            if request.method in ("GET", "HEAD"):
                return await read_graph(request, target.graph)
            denied = authorised(request)
            if denied is not None:
                return denied
            if request.method == "DELETE":
                deleted: Response = await server.change("delete", None, target.graph)
                return deleted
            body = await read_body(request)
            if isinstance(body, Response):
                return body
            payload = read_upload(request.headers.get("content-type"), body)
        except ProtocolError as error:
            return PlainTextResponse(f"{error}\n", status_code=error.status)
        operation = "put" if request.method == "PUT" else "post"
        changed: Response = await server.change(
            operation, payload, target.graph, base=config.base or url, location=target.graph
        )
        return changed

    async def read_graph(request: Request, graph: str | None) -> Response:
        if graph is not None and graph not in server.named_graphs():
            return PlainTextResponse(f"no graph <{graph}> in the store\n", status_code=404)
        operation = SparqlRequest(
            query="CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
            default_graphs=(graph or DEFAULT_GRAPH_IRI,),
            formats=tuple(request.query_params.getlist("format")),
        )
        response: Response = await server.query(
            operation, request.headers.get("accept") or "text/turtle", own_url(request)
        )
        if request.method == "HEAD":
            return Response(
                status_code=response.status_code,
                headers={k: v for k, v in response.headers.items() if k.lower() != "content-length"},
            )
        return response

    pages = {"query": _page("query.html", site=config.site), "yasgui": _page("yasgui.html")}  # rendered once

    async def query_page(request: Request) -> Response:
        return HTMLResponse(pages["query"])

    async def yasgui_page(request: Request) -> Response:
        return HTMLResponse(pages["yasgui"])

    async def home(request: Request) -> Response:
        return RedirectResponse("/site/index.html" if config.site else "/query", status_code=303)

    routes = [
        Route("/", home),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/rdf-graphs", graph_store, methods=["GET", "HEAD", "PUT", "POST", "DELETE"]),
        Route("/rdf-graphs/{path:path}", graph_store, methods=["GET", "HEAD", "PUT", "POST", "DELETE"]),
        Route("/query", query_page),
        Route("/yasgui", yasgui_page),
        Mount("/static", app=StaticFiles(directory=str(files("kg") / "static"))),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=config.allowed_hosts())]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    return CorsMiddleware(app, CorsPolicy(config.cors_origins, config.cors_update_origins))


def _tell(message: str) -> None:
    """A start-up or reload line on stderr (beside the server's own log)."""
    import sys

    print(message, file=sys.stderr, flush=True)


async def _watch(pool: QueryPool, every: float) -> None:
    """Reload the pool when a build swaps a new generation in (checks the `current` link)."""
    while True:
        await asyncio.sleep(every)
        try:
            await pool.reload()
        except Exception as error:  # never let the watcher die: the server keeps answering
            _tell(f"kg serve: checking for a new build failed: {' '.join(str(error).split())}")


def _write_site(store_path: Path, target: Path) -> None:
    from kg.pages.site import site_pages
    from kg.storage import open_store

    for relative, text in site_pages(open_store(store_path)).items():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_text(text, encoding="utf-8")


def listen(config: ServeConfig) -> socket.socket:
    """Bind the endpoint's socket, or raise ServeError with one line (port in use, no such address)."""
    from kg.storage import open_store

    if config.allow_update and not config.token:
        raise KgError("--allow-update needs a bearer token: set KG_SERVE_TOKEN or use --token-file")
    open_store(config.store_path).close()  # fail early, with kg's message, if there is no store
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((config.host, config.port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        reason = (error.strerror or str(error)).lower()
        hint = "; is another server using it? choose another --port" if error.errno == 98 else ""
        raise ServeError(f"cannot listen on {config.host}:{config.port}: {reason}{hint}") from None
    sock.set_inheritable(True)
    return sock


def _guarded_protocol(read_timeout: float) -> type[Any]:
    """uvicorn's HTTP/1.1 protocol, closing connections whose request headers stall (slowloris)."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(read_timeout, self._headers_stalled)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_stalled(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()  # headers still incomplete: drop the connection

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:
                self._arm()  # the first bytes of a request: its headers must be complete in time
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return GuardedH11Protocol


def serve(config: ServeConfig, sock: socket.socket | None = None) -> None:
    """Run the endpoint until interrupted (on `sock` from listen(), or a socket bound here)."""
    import uvicorn

    sock = sock or listen(config)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            log_level="warning",
            http=_guarded_protocol(config.read_timeout),
            limit_concurrency=None,
            timeout_keep_alive=5,
        )
    )
    server.run(sockets=[sock])
