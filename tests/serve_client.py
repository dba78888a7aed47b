"""A minimal HTTP/1.1 client on asyncio streams for the gateway's load test and benchmark.

httpx's pool slows down as thousands of connections share one client; here each
request has its own connection, so the figures measure the server, not the client.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


async def post(
    port: int, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """POST `body` as JSON; the status and the whole (de-chunked) response body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await send(writer, port, path, body, headers)
        status, chunked, length = await read_head(reader)
        data = await read_body(reader, chunked, length)
        return status, data
    finally:
        writer.close()


async def send(
    writer: asyncio.StreamWriter,
    port: int,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    payload = json.dumps(body).encode()
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write(
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(payload)}\r\n{extra}\r\n".encode()
        + payload
    )
    await writer.drain()


async def read_head(reader: asyncio.StreamReader) -> tuple[int, bool, int | None]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
    status = int(head.split(" ", 2)[1])
    chunked = "transfer-encoding: chunked" in head
    length = None
    for line in head.split("\r\n"):
        if line.startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    return status, chunked, length


async def read_body(reader: asyncio.StreamReader, chunked: bool, length: int | None) -> bytes:
    if not chunked:
        return await reader.readexactly(length or 0)
    data = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return bytes(data)
        data += await reader.readexactly(size)
        await reader.readexactly(2)


def sse_text(body: bytes) -> str:
    """The content deltas of a chat.completion.chunk stream, joined."""
    text = ""
    for line in body.decode().split("\n"):
        if line.startswith("data: {"):
            for choice in json.loads(line[6:])["choices"]:
                text += choice["delta"].get("content") or ""
    return text
