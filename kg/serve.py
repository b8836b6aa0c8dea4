"""`kg serve`: a SPARQL 1.1 Protocol endpoint over the store, safe by default (Starlette + uvicorn).

* Binds 127.0.0.1 unless told otherwise; read-only unless started with --allow-update and a
  bearer token (from KG_SERVE_TOKEN or a token file, never the command line).
* SERVICE, LOAD and FROM/FROM NAMED of graphs not in the store are refused before a query runs.
* Queries run in a pool of worker processes (kg.workers): bounded concurrency, a per-query time
  limit enforced by killing the worker, and a result-size limit. Requests have a size limit.
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
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.cors import CorsMiddleware, CorsPolicy
from kg.errors import ForbiddenQueryError, KgError, ProtocolError
from kg.graph_store import identify, read_upload
from kg.protocol import (
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
from kg.sparql_guard import check_query
from kg.workers import DEFAULT_GRAPH_IRI, QueryJob, QueryOutcome, QueryPool


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


def _apply_update(store_path: str, operation: str, payload: Any, graph: str | None, base: str | None,
                  connection: Any) -> None:
    """In a child process: copy the live generation, apply one change, swap it in on success.

    operation: "update" (payload: the SPARQL Update), "put"/"post" (payload: [(format, text)]) or
    "delete"; graph None is the store's own default graph. Sends (status, message): 201 when a
    Graph Store write created the graph, 204 otherwise, or the error status.
    """
    try:
        import pyoxigraph as ox

        from kg.namespaces import PREFIXES
        from kg.store import new_generation

        created = False
        with new_generation(Path(store_path), copy_current=True, keep_previous=True) as (store, _):
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
                    formats = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                               "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}
                    if isinstance(target, ox.NamedNode):
                        store.oxigraph.add_graph(target)
                    for fmt, text in payload:
                        store.oxigraph.load(text.encode("utf-8"), format=formats[fmt], to_graph=target,
                                            base_iri=graph or base)
                    created = not exists
        connection.send((201 if created else 204, ""))
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

    async def query(self, request: SparqlRequest, accept: str | None, base: str) -> Any:
        """Run a checked query request; 403 refused, 406 no acceptable format, else the worker's outcome."""
        from starlette.responses import PlainTextResponse, Response

        text = request.query or ""
        try:
            check_query(text, lambda iri: iri in self.named_graphs())
        except ForbiddenQueryError as error:
            return PlainTextResponse(f"{error}\n", status_code=403)
        kind = query_form(text)
        chosen = {k: negotiate(k, accept, request.formats) for k in ("results", "graph")}
        if kind is not None and chosen[kind] is None:
            return PlainTextResponse(
                f"none of the formats asked for ({', '.join(request.formats) or accept}) can hold this query's "
                f"answer; available: {acceptable_list(kind)}\n", status_code=406)
        html = kind is not None and chosen[kind] == HTML
        results_format = chosen["results"] if chosen["results"] not in (None, HTML) else "json"
        graph_format = chosen["graph"] if chosen["graph"] not in (None, HTML) else "turtle"
        outcome = await self.pool.run(QueryJob(
            text, results_format=results_format, graph_format=graph_format,
            default_graphs=request.default_graphs, named_graphs=request.named_graphs, dataset=request.has_dataset,
            max_bytes=self.config.max_result_bytes, base_iri=base,
        ))
        if outcome.status != 200:
            headers = {"Retry-After": "1"} if outcome.status == 503 else None
            return PlainTextResponse(outcome.message + "\n", status_code=outcome.status, headers=headers)
        if html:
            return _html_results(text, outcome)
        return Response(outcome.body, headers={"Content-Type": content_type(
            "graph" if outcome.kind == "graph" else "results", outcome.format)})

    async def change(self, operation: str, payload: Any, graph: str | None = None, base: str | None = None,
                     location: str | None = None) -> Any:
        """Run one change in a child process under the time limit; the live store changes only on success."""
        from starlette.responses import PlainTextResponse, Response

        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_apply_update,
                                  args=(str(self.config.store_path), operation, payload, graph, base, child),
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


def _html_results(query: str, outcome: QueryOutcome) -> Any:
    import json

    from jinja2 import Environment, PackageLoader, select_autoescape
    from starlette.responses import HTMLResponse

    env = Environment(loader=PackageLoader("kg", "templates"), autoescape=select_autoescape(["html"]))
    columns: list[str] = []
    rows: list[list[str]] = []
    text = ""
    if outcome.kind == "graph":
        text = outcome.body.decode("utf-8")
    else:
        data = json.loads(outcome.body)
        if "boolean" in data:
            columns, rows = ["answer"], [["true" if data["boolean"] else "false"]]
        else:
            columns = data["head"]["vars"]
            rows = [[b.get(c, {}).get("value", "") for c in columns] for b in data["results"]["bindings"]]
    page = env.get_template("results.html").render(query=query, columns=columns, rows=rows, text=text)
    return HTMLResponse(page)


def create_app(config: ServeConfig) -> Any:
    """The Starlette application (uvicorn runs it; tests can too)."""
    from importlib.resources import files

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
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
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > config.max_request_bytes:
                return PlainTextResponse(f"request larger than the limit of {config.max_request_bytes} bytes\n",
                                         status_code=413)
        return bytes(body)

    def authorised(request: Request) -> Response | None:
        if not config.allow_update:
            return PlainTextResponse("this endpoint is read-only (start kg serve with --allow-update)\n",
                                     status_code=403)
        if not request.scope.get("state", {}).get("cors_may_write", True):
            origin = request.headers.get("origin", "")
            return PlainTextResponse(f"updates from {origin} refused: start kg serve with "
                                     f"--cors-update-origin {origin}\n", status_code=403)
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        if not config.token or not hmac.compare_digest(token.encode(), config.token.encode()):
            return PlainTextResponse("a valid bearer token is required for updates\n", status_code=401,
                                     headers={"WWW-Authenticate": 'Bearer realm="kg"'})
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
            operation = parse_request(request.method, request.query_params.multi_items(),
                                      request.headers.get("content-type"), body)
            if operation.update is not None:
                denied = authorised(request)
                if denied is not None:
                    return denied
                check_query(operation.update, lambda iri: iri in server.named_graphs())
                update = apply_using(operation.update, operation.using_graphs, operation.using_named_graphs)
                response: Response = await server.change("update", update, base=config.base or own_url(request))
                return response
        except ProtocolError as error:
            return PlainTextResponse(f"{error}\n", status_code=error.status)
        except ForbiddenQueryError as error:
            return PlainTextResponse(f"{error}\n", status_code=403)
        if operation.query is None:
            if request.method == "POST" or request.query_params:
                return PlainTextResponse("no query: send query= (GET or form POST), or POST "
                                         "application/sparql-query\n", status_code=400)
            return describe(request, operation.formats)
        result: Response = await server.query(operation, request.headers.get("accept"),
                                              config.base or own_url(request))
        return result

    def describe(request: Request, formats: tuple[str, ...]) -> Response:
        """The service description, in the format asked for (a browser is sent to the query page)."""
        fmt = negotiate_description(request.headers.get("accept"), formats)
        if fmt == HTML:
            return RedirectResponse("/query", status_code=303)
        if fmt is None:
            return PlainTextResponse("the service description is available as text/turtle, application/rdf+xml, "
                                     "application/ld+json or application/n-triples\n", status_code=406)
        endpoint = own_url(request)
        graph_store_url = endpoint.rsplit("/", 1)[0] + "/rdf-graphs"
        return Response(service_description(endpoint, graph_store_url, config.allow_update, fmt),
                        headers={"Content-Type": content_type("graph", fmt)})

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
        changed: Response = await server.change(operation, payload, target.graph, base=config.base or url,
                                                location=target.graph)
        return changed

    async def read_graph(request: Request, graph: str | None) -> Response:
        if graph is not None and graph not in server.named_graphs():
            return PlainTextResponse(f"no graph <{graph}> in the store\n", status_code=404)
        operation = SparqlRequest(query="CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                                  default_graphs=(graph or DEFAULT_GRAPH_IRI,),
                                  formats=tuple(request.query_params.getlist("format")))
        response: Response = await server.query(operation, request.headers.get("accept") or "text/turtle",
                                                own_url(request))
        if request.method == "HEAD":
            return Response(status_code=response.status_code, headers={
                k: v for k, v in response.headers.items() if k.lower() != "content-length"})
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
    app = Starlette(routes=routes, lifespan=lifespan)
    return CorsMiddleware(app, CorsPolicy(config.cors_origins, config.cors_update_origins))


def _write_site(store_path: Path, target: Path) -> None:
    from kg.site import site_pages
    from kg.store import open_store

    for relative, text in site_pages(open_store(store_path)).items():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_text(text, encoding="utf-8")


def serve(config: ServeConfig) -> None:
    """Run the endpoint until interrupted."""
    import uvicorn

    from kg.store import open_store

    if config.allow_update and not config.token:
        raise KgError("--allow-update needs a bearer token: set KG_SERVE_TOKEN or use --token-file")
    open_store(config.store_path).close()  # fail early, with kg's message, if there is no store
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="warning",
                limit_concurrency=256, timeout_keep_alive=5)
