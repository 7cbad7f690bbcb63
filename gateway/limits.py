"""Size limits on what a caller may send, enforced before any parsing.

Headers over ``max_header_bytes`` in total get 431; a body over the route's limit gets 413, whether
announced by Content-Length or discovered while streaming (chunked uploads). JSON endpoints take
small bodies; bulk-job uploads (``/api/v1/verification-jobs``) have their own, larger limit.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import send_problem

__all__ = ["SizeLimitMiddleware"]

_UPLOAD_PREFIX = "/api/v1/verification-jobs"


class _TooLarge(Exception):
    pass


async def _problem(send: Send, scope: Scope, status: int, code: str, detail: str) -> None:
    title = "Request too large"
    await send_problem(
        send,
        scope,
        status=status,
        code=code,
        title=title,
        detail=detail,
        layer="client",
        close=True,
    )


class SizeLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_header_bytes: int = 16 * 1024,
        max_body_bytes: int = 64 * 1024,
        max_upload_bytes: int = 512 * 1024 * 1024,
    ) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes = sum(len(k) + len(v) for k, v in scope["headers"])
        if header_bytes > self.max_header_bytes:
            await _problem(send, scope, 431, "headers_too_large", "Request headers are too large.")
            return
        limit = self._body_limit(scope["path"])
        if _declared_length(scope) > limit:
            await _problem(send, scope, 413, "body_too_large", f"Request body over {limit} bytes.")
            return
        await self._guarded(scope, receive, send, limit)

    def _body_limit(self, path: str) -> int:
        return self.max_upload_bytes if path.startswith(_UPLOAD_PREFIX) else self.max_body_bytes

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _problem(
                    send, scope, 413, "body_too_large", f"Request body over {limit} bytes."
                )


def _declared_length(scope: Scope) -> int:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0
