"""The edge of the API as one pure ASGI middleware (no BaseHTTPMiddleware overhead).

For every HTTP request it: takes or makes the request id (``X-Request-ID``, echoed on every
response); refuses bodies over the limit (413; the batch route has its own) and bodies that are
not JSON on writes (415), both as problem+json; and records request count and latency per
route template for ``/metrics``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..ids import random_hex
from .metrics import Metrics
from .problems import PROBLEM_JSON, TYPES

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_json_media_type(value: str) -> bool:
    """``application/json`` or ``application/<anything>+json``, parameters ignored."""
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class EdgeMiddleware:
    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, body_limit: Callable[[str], int],
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = ""
        content_length: int | None = None
        content_type = ""
        chunked = False
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _REQUEST_ID.match(candidate):
                    request_id = candidate
            elif name == b"content-length":
                try:
                    content_length = int(value)
                except ValueError:
                    content_length = None
            elif name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if not request_id:
            request_id = random_hex()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("latin-1"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                kept = [h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"]
                message["headers"] = [*kept, header]
            await send(message)

        path: str = scope["path"]
        method: str = scope["method"]
        limit = self.body_limit(path)
        try:
            if content_length is not None and content_length > limit:
                await self._problem(send_with_id, scope, request_id, 413,
                                    f"request body over {limit} bytes")
                return
            has_body = chunked or bool(content_length)
            # The JSON API takes JSON; the reviewer pages under /ui/ post HTML forms.
            json_only = path.startswith("/v1/")
            if (method in _WRITE_METHODS and has_body and json_only
                    and not is_json_media_type(content_type)):
                await self._problem(send_with_id, scope, request_id, 415,
                                    "send the body as application/json")
                return
            received = 0

            async def receive_limited() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise HTTPException(413, f"request body over {limit} bytes")
                return message

            await self.app(scope, receive_limited, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            self.metrics.observe_request(method, template, status,
                                         time.perf_counter() - started)

    @staticmethod
    async def _problem(send: Send, scope: Scope, request_id: str, status: int,
                       detail: str) -> None:
        titles = {413: "Content Too Large", 415: "Unsupported Media Type"}
        body = json.dumps({
            "type": TYPES[status], "title": titles[status], "status": status, "detail": detail,
            "instance": scope["path"], "request_id": request_id,
        }).encode()
        await send({
            "type": "http.response.start", "status": status,
            "headers": [(b"content-type", PROBLEM_JSON.encode()),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})
