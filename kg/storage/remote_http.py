"""Reaching a SPARQL server: endpoint settings, credentials (never from the command line), HTTP with one-line errors."""

from __future__ import annotations

import os
import re
import stat
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kg.errors import QueryError, StoreError

ENV_USER, ENV_PASSWORD = "KG_REMOTE_USER", "KG_REMOTE_PASSWORD"
ENV_CONFIG = "KG_REMOTES_CONFIG"

# --------------------------------------------------------------------------------------------------
# Settings: endpoints and credentials


@dataclass
class RemoteSettings:
    """Where and how to reach a server. Credentials come from the environment or remotes.toml."""

    query_url: str
    update_url: str | None = None  # None: derived from the query URL and the server's kind
    graph_store_url: str | None = None  # None: derived; "": the server has none (INSERT DATA batches)
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    auth: str = "auto"  # auto (digest or basic, as the server asks), digest, basic, none
    timeout: float = 300.0
    workers: int = 4  # parallel upload requests
    batch: int = 2_000  # statements per upload request of small graphs; 0: one request per graph
    dataset_upload: str | None = None  # a URL taking N-Quads POSTs (Fuseki's dataset, RDF4J's statements)
    unlogged_upload: bool = False  # Virtuoso: fill new graphs without the transaction log, in parallel
    verify: bool | str = True  # TLS verification, or a CA bundle file

    @property
    def has_credentials(self) -> bool:
        return bool(self.user) and self.password is not None


def config_path() -> Path:
    """remotes.toml: KG_REMOTES_CONFIG, else the user's config folder (~/.config/kg/remotes.toml)."""
    chosen = os.environ.get(ENV_CONFIG)
    if chosen:
        return Path(chosen)
    import platformdirs

    return Path(platformdirs.user_config_dir("kg", appauthor=False)) / "remotes.toml"


_SETTING_KEYS = {
    "user",
    "password",
    "password_env",
    "auth",
    "update",
    "graph_store",
    "dataset_upload",
    "timeout",
    "workers",
    "batch",
    "verify",
    "unlogged_upload",
}


def load_settings(url: str) -> RemoteSettings:
    """Settings for an endpoint URL: remotes.toml's table for that URL, then KG_REMOTE_* variables."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise StoreError(
            "credentials do not belong in the store URL (they would show in the process list and the "
            f"shell history); set {ENV_USER} and {ENV_PASSWORD}, or write them in {config_path()}"
        )
    if not parts.hostname:
        raise StoreError(f"{url}: not a SPARQL endpoint URL")
    settings = RemoteSettings(query_url=url)
    table = _config_table(url)
    if table:
        unknown = set(table) - _SETTING_KEYS
        if unknown:
            raise StoreError(f"{config_path()}: unknown setting(s) {', '.join(sorted(unknown))} for {url}")
        settings.user = _text(table, "user")
        settings.password = _text(table, "password")
        if "password_env" in table:
            variable = str(table["password_env"])
            settings.password = os.environ.get(variable)
            if settings.password is None:
                raise StoreError(f"{config_path()}: password_env names {variable}, which is not set")
        settings.auth = _text(table, "auth") or settings.auth
        settings.update_url = _text(table, "update")
        if "graph_store" in table:
            settings.graph_store_url = str(table["graph_store"])
        if "timeout" in table:
            settings.timeout = _positive(table["timeout"], f"{config_path()}: timeout", float)
        if "workers" in table:
            settings.workers = int(_positive(table["workers"], f"{config_path()}: workers", int))
        if "batch" in table:
            settings.batch = _batch(table["batch"], f"{config_path()}: batch")
        settings.dataset_upload = _text(table, "dataset_upload") or None
        if "verify" in table:
            settings.verify = table["verify"] if isinstance(table["verify"], bool) else str(table["verify"])
        if "unlogged_upload" in table:
            if not isinstance(table["unlogged_upload"], bool):
                raise StoreError(f"{config_path()}: unlogged_upload: expected true or false")
            settings.unlogged_upload = table["unlogged_upload"]
    env = os.environ
    settings.user = env.get(ENV_USER, settings.user)
    settings.password = env.get(ENV_PASSWORD, settings.password)
    settings.auth = env.get("KG_REMOTE_AUTH", settings.auth).lower()
    settings.update_url = env.get("KG_REMOTE_UPDATE_URL", settings.update_url)
    settings.graph_store_url = env.get("KG_REMOTE_GRAPH_STORE_URL", settings.graph_store_url)
    settings.dataset_upload = env.get("KG_REMOTE_DATASET_URL", settings.dataset_upload) or None
    if env.get("KG_REMOTE_WORKERS"):
        settings.workers = int(_positive(env["KG_REMOTE_WORKERS"], "KG_REMOTE_WORKERS", int))
    if env.get("KG_REMOTE_BATCH"):
        settings.batch = _batch(env["KG_REMOTE_BATCH"], "KG_REMOTE_BATCH")
    if env.get("KG_REMOTE_UNLOGGED_UPLOAD"):
        settings.unlogged_upload = _flag(env["KG_REMOTE_UNLOGGED_UPLOAD"], "KG_REMOTE_UNLOGGED_UPLOAD")
    if env.get("KG_REMOTE_TIMEOUT"):
        settings.timeout = _positive(env["KG_REMOTE_TIMEOUT"], "KG_REMOTE_TIMEOUT", float)
    if settings.auth not in ("auto", "digest", "basic", "none"):
        raise StoreError(f"remote auth {settings.auth!r}: use auto, digest, basic or none")
    return settings


def _flag(value: str, what: str) -> bool:
    """A yes/no setting from the environment, or a one-line StoreError naming it."""
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise StoreError(f"{what}: expected 1 or 0 (true or false), got {value!r}")


def _positive(value: Any, what: str, kind: Callable[[Any], float]) -> float:
    """A positive number from a setting, or a one-line StoreError naming the setting."""
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise StoreError(f"{what}: expected a positive number, got {value!r}")
    return float(number)


def _batch(value: Any, what: str) -> int:
    """Statements per upload request: a whole number, 0 for one request per graph."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0:
        raise StoreError(f"{what}: expected a whole number of statements (0: one request per graph), got {value!r}")
    return number


def _text(table: dict[str, Any], key: str) -> str | None:
    value = table.get(key)
    return None if value is None else str(value)


def _config_table(url: str) -> dict[str, Any] | None:
    path = config_path()
    if not path.exists():
        if os.environ.get(ENV_CONFIG):
            raise StoreError(f"{path}: no such remotes file (named by {ENV_CONFIG})")
        return None
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise StoreError(f"{path}: cannot read the remotes file: {error}") from None
    table = data.get(url) or data.get(url.rstrip("/"))
    if not isinstance(table, dict):
        return None
    if "password" in table and os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StoreError(f"{path} holds a password and other users can read it; run: chmod 600 {path}")
    return table


# --------------------------------------------------------------------------------------------------
# HTTP


class _AutoAuth:
    """Digest or Basic, whichever the server's 401 challenge asks for (Virtuoso wants Digest)."""

    def __new__(cls, user: str, password: str) -> Any:
        import httpx

        class AutoAuth(httpx.Auth):
            def __init__(self) -> None:
                self._digest = httpx.DigestAuth(user, password)
                self._basic = httpx.BasicAuth(user, password)
                self._scheme: str | None = None

            def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
                if self._scheme == "digest":
                    yield from self._digest.auth_flow(request)
                    return
                if self._scheme == "basic":
                    yield from self._basic.auth_flow(request)
                    return
                response = yield request
                challenge = response.headers.get("www-authenticate", "").lower()
                if response.status_code != 401 or not challenge:
                    return
                self._scheme = "digest" if challenge.startswith("digest") else "basic"
                flow = (self._digest if self._scheme == "digest" else self._basic).auth_flow(request)
                retry = next(flow)
                if self._scheme == "digest":  # DigestAuth first sends the request bare; answer its challenge
                    try:
                        retry = flow.send(response)
                    except StopIteration:
                        return
                yield retry

        return AutoAuth()


def _first_line(text: str, secret: str | None = None) -> str:
    """The server's error message on one line: markup, status lines and the echoed query dropped."""
    text = re.sub(r"(?is)<(head|script|style)\b.*?</\1>", " ", text)
    # <xmp> holds literal text (Virtuoso puts its message there, IRIs in <…> included)
    text = re.sub(
        r"(?is)<xmp>(.*?)</xmp>", lambda m: "\n" + m.group(1).replace("<", "\0L").replace(">", "\0G") + "\n", text
    )
    text = re.sub(r"(?s)<[^>]+>", "\n", text)
    text = text.replace("\0L", "<").replace("\0G", ">").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    lines = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if line.lower().startswith("sparql query:"):
            break
        if line and not re.match(r"(?i)^(<!doctype|http/\d)", line):
            lines.append(line)
    message = lines[0] if lines else ""
    if re.fullmatch(r"(?i)error \S+", message) and len(lines) > 1:  # Virtuoso: "Error 22023" then the text
        message = f"{message}: {lines[1]}"
    if secret:
        message = message.replace(secret, "***")
    return message[:300]


def _endpoint_name(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class Http:
    """An httpx client with the settings' credentials, timeouts and one-line errors."""

    def __init__(self, settings: RemoteSettings):
        import httpx

        self.settings = settings
        self.client = httpx.Client(
            timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
            verify=settings.verify,
            follow_redirects=False,
            headers={"User-Agent": "kg (SPARQL 1.1 client)"},
        )
        self._local = threading.local()
        self.server = ""  # the Server header of the last answer (to recognise Virtuoso, Fuseki…)
        self.requests = 0  # HTTP requests sent (retries and authentication round trips not counted)
        self._count_lock = threading.Lock()

    def auth(self) -> Any:
        settings = self.settings
        if not settings.has_credentials or settings.auth == "none":
            return None
        cached = getattr(self._local, "auth", None)  # digest state is per thread
        if cached is None:
            import httpx

            user, password = str(settings.user), str(settings.password)
            if settings.auth == "digest":
                cached = httpx.DigestAuth(user, password)
            elif settings.auth == "basic":
                cached = httpx.BasicAuth(user, password)
            else:
                cached = _AutoAuth(user, password)
            self._local.auth = cached
        return cached

    def request(
        self, method: str, url: str, *, what: str, query_error: bool = False, retries: int = 0, **kwargs: Any
    ) -> Any:
        """Send a request; errors become one-line StoreError/QueryError. `retries`: for idempotent
        requests, how many times to try again after a server error or a dropped connection."""
        import httpx

        name = _endpoint_name(url)
        with self._count_lock:
            self.requests += 1
        for attempt in range(retries + 1):
            try:
                response = self.client.request(method, url, auth=self.auth(), **kwargs)
            except httpx.ConnectTimeout:
                hint = " (is it http rather than https?)" if url.startswith("https:") else ""
                raise StoreError(
                    f"{name}: could not connect within {min(10.0, self.settings.timeout):.0f} s{hint}"
                ) from None
            except httpx.TimeoutException:
                raise StoreError(f"{name}: no answer within {self.settings.timeout:.0f} s ({what})") from None
            except httpx.HTTPError as error:
                if attempt < retries and not isinstance(error, httpx.ConnectError):
                    time.sleep(0.5 * (attempt + 1))
                    continue
                reason = str(error) or type(error).__name__
                raise StoreError(f"{name}: cannot reach the server ({reason})") from None
            if response.status_code not in (500, 502, 503, 504) or attempt == retries:
                break
            time.sleep(0.5 * (attempt + 1))
        self.server = response.headers.get("server", self.server)
        if response.status_code < 300:
            return response
        message = _first_line(response.text, self.settings.password)
        code = response.status_code
        if code in (401, 403):
            if not self.settings.has_credentials:
                hint = f"set {ENV_USER} and {ENV_PASSWORD}, or add them to {config_path()}"
            else:
                hint = f"check {ENV_USER}/{ENV_PASSWORD} or {config_path()}, and the account's rights"
            raise StoreError(
                f"{name}: the server refused {what} (HTTP {code}{': ' + message if message else ''}); " + hint
            )
        if code == 404:
            raise StoreError(f"{name}: no such endpoint (HTTP 404) for {what}")
        if query_error and code == 400:
            raise QueryError(f"the server refused the query: {message or 'HTTP 400'}")
        raise StoreError(f"{name}: {what} failed (HTTP {code}{': ' + message if message else ''})")
