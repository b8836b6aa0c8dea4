"""The serve command: the store as a SPARQL 1.1 endpoint."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.base import ServerStartFailed, Session, pass_session, read_text


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True, help="TCP port.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Query processes (one more is kept for short queries).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Time limit per query or update, in seconds (the worker is stopped).",
)
@click.option(
    "--max-result-mb",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Largest result the server sends.",
)
@click.option(
    "--max-request-kb",
    type=click.IntRange(min=1),
    default=1024,
    show_default=True,
    help="Largest request body accepted.",
)
@click.option("--allow-update", is_flag=True, help="Accept SPARQL Update and Graph Store writes (needs a token).")
@click.option(
    "--token-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File holding the bearer token for updates (or set KG_SERVE_TOKEN).",
)
@click.option("--no-site", is_flag=True, help="Do not serve the kg site pages at /site.")
@click.option(
    "--public-host",
    "public_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests whose Host is NAME (repeatable); by default only loopback names.",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds a client has to send a request's headers, and its body.",
)
@click.option("--base", metavar="IRI", help="Base IRI of queries and updates (default: the endpoint's URL).")
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages from ORIGIN (e.g. http://localhost:3000, or *) query; repeatable. Default: none.",
)
@click.option(
    "--cors-update-origin",
    "cors_update_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages from ORIGIN also update (with the token); repeatable. Default: none.",
)
@click.option(
    "--from-disk",
    is_flag=True,
    help="Answer from the on-disk store instead of loading it into memory (the default unless --allow-update).",
)
@pass_session
def serve(
    session: Session,
    host: str,
    port: int,
    workers: int,
    timeout: float,
    max_result_mb: int,
    max_request_kb: int,
    allow_update: bool,
    token_file: Path | None,
    no_site: bool,
    public_hosts: tuple[str, ...],
    read_timeout: float,
    base: str | None,
    cors_origins: tuple[str, ...],
    cors_update_origins: tuple[str, ...],
    from_disk: bool,
) -> None:
    """Serve the store as a SPARQL 1.1 endpoint at /sparql, with the site at /site and a query page.

    Read-only and bound to 127.0.0.1 unless told otherwise; SERVICE, LOAD and foreign FROM are
    refused; every query has a time limit; only loopback Host names are answered unless
    --public-host names others; pages of other origins may query only when listed with
    --cors-origin. Exit 3 if the address is in use.

    Queries run on the store loaded into memory at start (its snapshot, written by every build);
    a new `kg build` into the store is loaded in the background and answered from once ready.
    With --allow-update (or --from-disk) queries read the on-disk store instead.

    Example: kg serve --port 7878 --timeout 5
    """
    import os

    from kg.errors import ProtocolError, ServeError
    from kg.serve import ServeConfig, listen
    from kg.serve import serve as run_server
    from kg.sparql_protocol import check_iri

    token = read_text(token_file, "token file").strip() if token_file else os.environ.get("KG_SERVE_TOKEN")
    if base is not None:
        try:
            check_iri(base, "--base")
        except ProtocolError as error:
            raise click.UsageError(str(error)) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: binding {host}: the endpoint is reachable from other machines", err=True)
    location = session.location
    if location.is_remote:
        raise click.UsageError("kg serve serves a store folder; a SPARQL server already has its own endpoint")
    config = ServeConfig(
        store_path=location.folder,
        host=host,
        port=port,
        workers=workers,
        timeout=timeout,
        max_result_bytes=max_result_mb * 1024 * 1024,
        max_request_bytes=max_request_kb * 1024,
        allow_update=allow_update,
        token=token or None,
        site=not no_site,
        public_hosts=public_hosts,
        read_timeout=read_timeout,
        base=base,
        cors_origins=cors_origins,
        cors_update_origins=cors_update_origins,
        memory=not from_disk,
    )
    try:
        sock = listen(config)
    except ServeError as error:
        raise ServerStartFailed(str(error)) from None
    port = sock.getsockname()[1]  # the port bound (--port 0 picks a free one)
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"kg serve: http://{shown}:{port}/sparql (query page http://{shown}:{port}/query)"
        + (", updates allowed with the bearer token" if allow_update else ", read-only"),
        err=True,
    )
    run_server(config, sock)
