"""Cross-origin (CORS) rules of `kg serve`: off unless origins are listed.

A loopback endpoint may hold a private graph; with `Access-Control-Allow-Origin: *` any web page
the user visits could read it. So requests carrying an Origin other than the server's own are
refused (403) unless the origin is listed: `--cors-origin` origins (or `*`) may query (GET, form
POST, application/sparql-query, Graph Store GET/HEAD, and their preflights); `--cors-update-origin`
origins may also update and write graphs (still with the bearer token). Same-origin requests
(the /query page) need no listing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

WRITE_METHODS = ("PUT", "DELETE", "PATCH")


@dataclass(frozen=True)
class CorsPolicy:
    """Which foreign origins may query, and which may also write."""

    origins: tuple[str, ...] = ()
    update_origins: tuple[str, ...] = ()

    def allows(self, origin: str, write: bool) -> bool:
        listed = self.update_origins if write else self.origins + self.update_origins
        return "*" in listed or origin in listed

    def allow_origin_header(self, origin: str, write: bool) -> str:
        listed = self.update_origins if write else self.origins + self.update_origins
        return origin if origin in listed else "*"


def is_write(method: str, path: str) -> bool:
    """Whether a request is a write by its method and path alone (an /sparql POST may still be an update)."""
    return method in WRITE_METHODS or (method == "POST" and path.startswith("/rdf-graphs"))


class CorsMiddleware:
    """ASGI middleware applying a CorsPolicy; it marks scope["state"]["cors_may_write"] for the handlers."""

    def __init__(self, app: App, policy: CorsPolicy):
        self.app, self.policy = app, policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        origin = headers.get("origin")
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        if origin is None or origin == own:
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope.get("path", "")
        requested = headers.get("access-control-request-method")
        if method == "OPTIONS" and requested:
            asked_headers = headers.get("access-control-request-headers", "").lower()
            write = is_write(requested.upper(), path) or "authorization" in asked_headers
            await self._preflight(origin, write, send)
            return
        write = is_write(method, path)
        if not self.policy.allows(origin, write):
            what = "write" if write else "query"
            flag = "--cors-update-origin" if write else "--cors-origin"
            await _plain(send, 403, f"cross-origin {what} from {origin} refused: start kg serve with {flag} {origin}")
            return
        scope.setdefault("state", {})["cors_may_write"] = self.policy.allows(origin, True)
        allow = self.policy.allow_origin_header(origin, write)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", allow.encode("latin-1")),
                    (b"access-control-expose-headers", b"Location, Content-Type"),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, origin: str, write: bool, send: Send) -> None:
        if not self.policy.allows(origin, write):
            flag = "--cors-update-origin" if write else "--cors-origin"
            await _plain(send, 403, f"cross-origin requests from {origin} refused: start kg serve with {flag} {origin}")
            return
        methods = "GET, HEAD, POST, PUT, DELETE" if self.policy.allows(origin, True) else "GET, HEAD, POST"
        allowed_headers = "Accept, Content-Type" + (", Authorization" if self.policy.allows(origin, True) else "")
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [
                    (b"access-control-allow-origin", self.policy.allow_origin_header(origin, write).encode("latin-1")),
                    (b"access-control-allow-methods", methods.encode()),
                    (b"access-control-allow-headers", allowed_headers.encode()),
                    (b"access-control-max-age", b"600"),
                    (b"vary", b"Origin"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})


async def _plain(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"vary", b"Origin"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
