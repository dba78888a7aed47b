"""An asyncio OpenAI-compatible mock upstream for the gateway's load test and benchmark.

Thousands of concurrent keep-alive connections on one thread. `POST .../chat/completions`
answers with the last user message echoed back (`echo: TEXT`), whole or as SSE chunks
of one word each, so every client can check it got its own answer. Run alone:
`python tests/serve_mock.py PORT [DELAY]` (DELAY: seconds between stream chunks).
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from typing import Any


def _answer(body: dict[str, Any]) -> str:
    messages = body.get("messages") or [{}]
    content = messages[-1].get("content", "")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return f"echo: {content}"


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    data = {
        "id": "chatcmpl-mock",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "mock",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def _whole(text: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": 0,
            "model": "mock",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
        }
    ).encode()


class MockUpstream:
    def __init__(self, port: int = 0, delay: float = 0.0) -> None:
        self.port = port
        self.delay = delay  # seconds between stream chunks
        self.requests = 0
        self.completed = 0  # streams sent to their end
        self.closed: list[float] = []  # when a client's connection broke mid-answer
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MockUpstream:
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)
        return self

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", self.port, backlog=4096)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = json.loads(await reader.readexactly(length)) if length else {}
                self.requests += 1
                await self._reply(writer, body)
        except asyncio.IncompleteReadError:
            pass
        except ConnectionError:
            self.closed.append(time.monotonic())
        finally:
            writer.close()

    async def _reply(self, writer: asyncio.StreamWriter, body: dict[str, Any]) -> None:
        text = _answer(body)
        if not body.get("stream"):
            payload = _whole(text)
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(payload), payload)
            )
            await writer.drain()
            return
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        frames = [_chunk({"role": "assistant", "content": ""})]
        words = text.split(" ")
        frames += [_chunk({"content": (" " if i else "") + w}) for i, w in enumerate(words)]
        frames += [_chunk({}, "stop"), b"data: [DONE]\n\n"]
        for frame in frames:
            writer.write(b"%x\r\n%s\r\n" % (len(frame), frame))
            if self.delay:
                await writer.drain()
                await asyncio.sleep(self.delay)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        self.completed += 1


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    mock = MockUpstream(port, delay=float(sys.argv[2]) if len(sys.argv) > 2 else 0.0).start()
    print(mock.url, flush=True)
    threading.Event().wait()
