"""`kg serve`: a SPARQL 1.1 Protocol endpoint over the store, safe by default (Starlette + uvicorn).

* Binds 127.0.0.1 unless told otherwise; read-only unless started with --allow-update and a
  bearer token (from KG_SERVE_TOKEN or a token file, never the command line).
* SERVICE, LOAD and FROM/FROM NAMED of graphs not in the store are refused on the parsed query
  (kg.sparql_guard), in the worker that would run it; query and update processes cannot open
  network sockets at all (kg.sandbox). Length and nesting limits are checked first (400).
* Queries run in a pool of worker processes (kg.workers): bounded concurrency with a worker kept
  for short queries, a per-query time limit enforced by killing the worker, and a result-size
  limit; HTML result pages are rendered there too. Requests have a size limit.
* Connections that stall before their headers are complete, or while sending a body, are closed
  after `read_timeout` seconds (slowloris); stalled connections never make other requests 503.
* Only requests whose Host is a loopback name (or a --public-host) are answered, so a page that
  rebinds its own name to 127.0.0.1 cannot read the endpoint (DNS rebinding).
* Updates (SPARQL Update, Graph Store Protocol) run in a separate process under the same time
  limit, into a copy of the live store generation that is swapped in only on success.
* GET /sparql without a query returns the service description; / serves the `kg site` pages and
  /query a small offline query page.
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
from urllib.parse import parse_qs

from kg import formats as registry
from kg.errors import InputFileError, KgError, QueryLimitError, ServeError
from kg.sparql_guard import check_limits
from kg.workers import QueryJob, QueryPool

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")

RESULT_TYPES = {f.name: f.media_type for f in registry.formats("results")}
GRAPH_TYPES = {f.name: f.media_type for f in registry.formats("rdf", writable=True, quads=False)}
UPLOAD_TYPES = {f.media_type: f.name for f in registry.formats("rdf")}


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
    public_hosts: tuple[str, ...] = ()
    read_timeout: float = 10.0

    def allowed_hosts(self) -> list[str]:
        """Host header names answered: the loopback names, the bound address and --public-host names."""
        hosts = list(LOOPBACK_HOSTS)
        if self.host not in ("0.0.0.0", "::", ""):
            hosts.append(f"[{self.host}]" if ":" in self.host else self.host)
        return hosts + [h.lower() for h in self.public_hosts]


def _accepted(header: str) -> list[tuple[str, float]]:
    """Media types of an Accept header, best first (by q, then order)."""
    items = []
    for index, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        quality = 1.0
        for option in fields[1:]:
            if option.startswith("q="):
                try:
                    quality = float(option[2:])
                except ValueError:
                    quality = 0.0
        if fields[0]:
            items.append((fields[0].lower(), quality, -index))
    return [(m, q) for m, q, _ in sorted(items, key=lambda item: (-item[1], -item[2])) if q > 0]


def negotiate(accept: str, format_param: str | None) -> tuple[str, str, bool]:
    """(results format, graph format, wants HTML) from ?format= or the Accept header."""
    if format_param:
        name = format_param.lower()
        aliases = {"ttl": "turtle", "nt": "ntriples", "json-ld": "jsonld", "rdf": "rdfxml", "html": "html"}
        name = aliases.get(name, name)
        if name == "html":
            return "json", "turtle", True
        return (name if name in RESULT_TYPES else "json", name if name in GRAPH_TYPES else "turtle", False)
    results, graph, html = None, None, False
    for media, _ in _accepted(accept or "*/*"):
        if media == "text/html" and results is None and graph is None:
            html = True
        for name, media_type in RESULT_TYPES.items():
            if results is None and media in (media_type, "application/json" if name == "json" else ""):
                results = name
        for name, media_type in GRAPH_TYPES.items():
            if graph is None and media == media_type:
                graph = name
    return results or "json", graph or "turtle", html


def service_description(base: str, allow_update: bool) -> str:
    languages = "sd:SPARQL11Query" + (", sd:SPARQL11Update" if allow_update else "")
    served = [registry.get(name, "results") for name in RESULT_TYPES]
    served += [registry.get(name, "rdf") for name in GRAPH_TYPES]
    results = ", ".join(f"<{registry.W3C_FORMATS}{f.w3c}>" for f in served)
    return f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

[] a sd:Service ;
    rdfs:label "kg SPARQL endpoint" ;
    rdfs:comment "Read-only unless --allow-update; SERVICE, LOAD and foreign FROM refused; time-limited." ;
    sd:endpoint <{base}> ;
    sd:supportedLanguage {languages} ;
    sd:feature sd:UnionDefaultGraph ;
    sd:resultFormat {results} ;
    sd:defaultDataset [ a sd:Dataset ; rdfs:comment "The default graph is the union of all named graphs." ] .
"""


def _apply_update(store_path: str, operation: str, payload: str, graph: str | None, fmt: str | None,
                  connection: Any, max_bytes: int = 1024 * 1024) -> None:
    """In a child process: copy the live generation, apply one change, swap it in on success."""
    from kg.sandbox import deny_network

    deny_network()
    try:
        import pyoxigraph as ox

        from kg.errors import ForbiddenQueryError
        from kg.limits import Limits
        from kg.safe_rdf import load_rdf
        from kg.sparql_guard import check_update
        from kg.storage.embedded import new_generation

        if operation == "update":
            try:
                current = ox.Store.read_only(os.path.join(os.path.realpath(Path(store_path) / "current"),
                                                          "oxigraph"))
                graphs = {g.value for g in current.named_graphs() if isinstance(g, ox.NamedNode)}
                del current
                check_update(payload, graphs.__contains__)
            except ForbiddenQueryError as error:
                connection.send((403, str(error)))
                return
        with new_generation(Path(store_path), copy_current=True, keep_previous=True) as (store, _):
            if operation == "update":
                store.oxigraph.update(payload)
            else:
                target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
                if operation in ("put", "delete"):
                    if graph is None:
                        store.oxigraph.clear_graph(ox.DefaultGraph())
                    elif store.oxigraph.contains_named_graph(target):
                        store.oxigraph.remove_graph(target)
                    elif operation == "delete":
                        raise LookupError(f"no graph <{graph}> in the store")
                if operation in ("put", "post"):
                    # the checked loader: entity expansion, literal size and nesting bounded by the request limit
                    load_rdf(store.oxigraph, payload.encode("utf-8"), registry.rdf_syntax(fmt or "turtle"),
                             "request body", limits=Limits(max_input_bytes=max_bytes), to_graph=target, base_iri=graph)
        connection.send((204, ""))
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
        self.pool = QueryPool(config.store_path, size=config.workers, timeout=config.timeout)
        self.update_lock = asyncio.Lock()
        self.site_dir: tempfile.TemporaryDirectory[str] | None = None
        self._graphs: tuple[str, frozenset[str]] = ("", frozenset())

    def named_graphs(self) -> frozenset[str]:
        """The store's named graphs, cached per generation (for the FROM check)."""
        import pyoxigraph as ox

        live = os.path.realpath(self.config.store_path / "current")
        if self._graphs[0] != live:
            store = ox.Store.read_only(os.path.join(live, "oxigraph"))
            graphs = frozenset(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
            self._graphs = (live, graphs)
        return self._graphs[1]

    async def query(self, text: str, accept: str, format_param: str | None, default_graphs: list[str],
                    named_graphs: list[str]) -> Any:
        from starlette.responses import HTMLResponse, PlainTextResponse, Response

        try:
            check_limits(text)  # cheap; the parsed-query checks run in the worker, under its limits
        except QueryLimitError as error:
            return PlainTextResponse(f"{error}\n", status_code=400)
        results_format, graph_format, html = negotiate(accept, format_param)
        outcome = await self.pool.run(QueryJob(
            text, results_format=results_format, graph_format=graph_format,
            default_graphs=tuple(default_graphs), named_graphs=tuple(named_graphs),
            max_bytes=self.config.max_result_bytes, html=html,
        ))
        if outcome.status != 200:
            headers = {"Retry-After": "1"} if outcome.status == 503 else None
            return PlainTextResponse(outcome.message + "\n", status_code=outcome.status, headers=headers)
        if outcome.kind == "html":
            return HTMLResponse(outcome.body)
        media = GRAPH_TYPES[outcome.format] if outcome.kind == "graph" else RESULT_TYPES[outcome.format]
        charset = "; charset=utf-8" if media.startswith("text/") or media.endswith("json") else ""
        return Response(outcome.body, media_type=media + charset)

    async def change(self, operation: str, payload: str, graph: str | None = None, fmt: str | None = None) -> Any:
        """Run one update in a child process under the time limit; the live store changes only on success."""
        from starlette.responses import PlainTextResponse, Response

        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_apply_update,
                                  args=(str(self.config.store_path), operation, payload, graph, fmt, child,
                                        self.config.max_request_bytes),
                                  daemon=True)
        async with self.update_lock:
            process.start()
            child.close()
            finished = await asyncio.to_thread(parent.poll, self.config.timeout)
            if not finished:
                process.kill()
                await asyncio.to_thread(process.join, 5)
                return PlainTextResponse(
                    f"the update was stopped at the server's time limit of {self.config.timeout:g} s; "
                    "the store is unchanged\n", status_code=504)
            status, message = parent.recv()
            await asyncio.to_thread(process.join, 5)
        if status == 204:
            return Response(status_code=204)
        return PlainTextResponse(f"{message}; the store is unchanged\n", status_code=status)


def create_app(config: ServeConfig) -> Any:
    """The Starlette application (uvicorn runs it; tests can too)."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    server = Server(config)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await server.pool.start()
        if config.site:
            server.site_dir = tempfile.TemporaryDirectory(prefix="kg-site-")
            await asyncio.to_thread(_write_site, config.store_path, Path(server.site_dir.name))
            app.router.routes.append(Mount("/site", app=StaticFiles(directory=server.site_dir.name, html=True)))
        yield
        await server.pool.stop()
        if server.site_dir is not None:
            server.site_dir.cleanup()

    async def read_body(request: Request) -> bytes | Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > config.max_request_bytes:
            return PlainTextResponse(f"request larger than the limit of {config.max_request_bytes} bytes\n",
                                     status_code=413)
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
                return PlainTextResponse(f"the request body did not arrive within {config.read_timeout:g} s\n",
                                         status_code=408, headers={"Connection": "close"})
            body.extend(chunk)
            if len(body) > config.max_request_bytes:
                return PlainTextResponse(f"request larger than the limit of {config.max_request_bytes} bytes\n",
                                         status_code=413)
        return bytes(body)

    def authorised(request: Request) -> Response | None:
        if not config.allow_update:
            return PlainTextResponse("this endpoint is read-only (start kg serve with --allow-update)\n",
                                     status_code=403)
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        if not config.token or not hmac.compare_digest(token.encode(), config.token.encode()):
            return PlainTextResponse("a valid bearer token is required for updates\n", status_code=401,
                                     headers={"WWW-Authenticate": 'Bearer realm="kg"'})
        return None

    async def sparql(request: Request) -> Response:
        params = dict(request.query_params)
        multi = request.query_params
        query: str | None = params.get("query")
        update: str | None = None
        default_graphs = multi.getlist("default-graph-uri")
        named_graphs = multi.getlist("named-graph-uri")
        if request.method == "POST":
            body = await read_body(request)
            if isinstance(body, Response):
                return body
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media == "application/sparql-query":
                query = body.decode("utf-8", errors="replace")
            elif media == "application/sparql-update":
                update = body.decode("utf-8", errors="replace")
            elif media == "application/x-www-form-urlencoded":
                form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
                query = form.get("query", [None])[0]
                update = form.get("update", [None])[0]
                default_graphs += form.get("default-graph-uri", []) + form.get("using-graph-uri", [])
                named_graphs += form.get("named-graph-uri", [])
            else:
                return PlainTextResponse("POST a query as application/sparql-query or "
                                         "application/x-www-form-urlencoded\n", status_code=415)
        if update is not None:
            denied = authorised(request)
            if denied is not None:
                return denied
            try:
                check_limits(update, "update")  # SERVICE and LOAD are refused in the update's process
            except QueryLimitError as error:
                return PlainTextResponse(f"{error}\n", status_code=400)
            response: Response = await server.change("update", update)
            return response
        if query is None:
            accept = request.headers.get("accept", "")
            if negotiate(accept, None)[2]:
                return RedirectResponse("/query", status_code=303)
            base = str(request.url).split("?")[0]
            return Response(service_description(base, config.allow_update), media_type="text/turtle")
        result: Response = await server.query(query, request.headers.get("accept", ""), params.get("format"),
                                              default_graphs, named_graphs)
        return result

    async def graph_store(request: Request) -> Response:
        """SPARQL 1.1 Graph Store HTTP Protocol, indirect identification (?graph=IRI or ?default)."""
        import pyoxigraph as ox

        graph = request.query_params.get("graph")
        if graph is None and "default" not in request.query_params:
            return PlainTextResponse("name a graph with ?graph=IRI or ?default\n", status_code=400)
        if graph is not None:
            try:
                ox.NamedNode(graph)
            except ValueError:
                return PlainTextResponse(f"not an IRI: {graph}\n", status_code=400)
        if request.method in ("GET", "HEAD"):
            pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
            if graph and graph not in server.named_graphs():
                return PlainTextResponse(f"no graph <{graph}> in the store\n", status_code=404)
            response: Response = await server.query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}", request.headers.get("accept", "text/turtle"),
                request.query_params.get("format"), [], [])
            return response
        denied = authorised(request)
        if denied is not None:
            return denied
        if request.method == "DELETE":
            deleted: Response = await server.change("delete", "", graph)
            return deleted
        body = await read_body(request)
        if isinstance(body, Response):
            return body
        media = request.headers.get("content-type", "text/turtle").split(";")[0].strip().lower()
        if media not in UPLOAD_TYPES or UPLOAD_TYPES[media] in ("nquads", "trig"):
            return PlainTextResponse(f"unsupported graph format {media!r}\n", status_code=415)
        changed: Response = await server.change("put" if request.method == "PUT" else "post",
                                                body.decode("utf-8", errors="replace"), graph, UPLOAD_TYPES[media])
        return changed

    async def query_page(request: Request) -> Response:
        from importlib.resources import files

        from starlette.responses import HTMLResponse

        return HTMLResponse((files("kg") / "templates" / "query.html").read_text(encoding="utf-8"))

    async def home(request: Request) -> Response:
        return RedirectResponse("/site/index.html" if config.site else "/query", status_code=303)

    routes = [
        Route("/", home),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/rdf-graphs", graph_store, methods=["GET", "HEAD", "PUT", "POST", "DELETE"]),
        Route("/query", query_page),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=config.allowed_hosts())]
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)


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
    server = uvicorn.Server(uvicorn.Config(
        create_app(config), log_level="warning", http=_guarded_protocol(config.read_timeout),
        limit_concurrency=None, timeout_keep_alive=5))
    server.run(sockets=[sock])
