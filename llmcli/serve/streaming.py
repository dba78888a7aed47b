"""A streamed answer as an ASGI response that notices a client leaving at once.

The client's disconnect is watched beside the stream (not only found on the next
write): the stream task is cancelled, which closes the upstream response, so the
provider sees its connection close within a moment and stops generating.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # proxies (nginx) must not buffer it either
]


class EventStream(Response):
    def __init__(
        self,
        frames: AsyncGenerator[bytes, None],
        on_close: Callable[[], None],
        headers: dict[str, str] | None = None,
    ) -> None:
        self.frames = frames
        self.extra = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        self.on_close = on_close
        self.status_code = 200
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        head = HEADERS + self.extra
        await send({"type": "http.response.start", "status": 200, "headers": head})
        pump = asyncio.ensure_future(self._pump(send))
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            done, _ = await asyncio.wait({pump, gone}, return_when=asyncio.FIRST_COMPLETED)
            if pump in done:
                pump.result()
            else:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await pump
        finally:
            gone.cancel()
            pump.cancel()
            await self.frames.aclose()
            self.on_close()

    async def _pump(self, send: Send) -> None:
        async for frame in self.frames:
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
