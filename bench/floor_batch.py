"""The batch floor: the same job done the way a user would otherwise do it.

`floor_batch.py IN OUT URL CONCURRENCY [--httpx]`: read the JSONL prompts, send each to
URL's chat completions with `AsyncOpenAI` (openai's own async client), at most
CONCURRENCY at once (an asyncio semaphore), and write one JSON line per answer. With
`--httpx` (or without the openai package) the same with a bare `httpx.AsyncClient`.
Reads the whole input, as such scripts do.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


async def main(src: str, out: str, url: str, concurrency: int, bare: bool) -> None:
    with open(src, encoding="utf-8") as file:
        lines = [json.loads(x) for x in file if x.strip()]
    gate = asyncio.Semaphore(concurrency)
    send = _httpx(url, concurrency) if bare else _openai(url, concurrency)
    with open(out, "w", encoding="utf-8") as sink:

        async def one(line: dict[str, Any]) -> None:
            async with gate:
                content = await send(line["prompt"])
            sink.write(json.dumps({"custom_id": line["custom_id"], "content": content}) + "\n")

        await asyncio.gather(*(one(line) for line in lines))


def _openai(url: str, concurrency: int) -> Any:
    try:
        import httpx
        from openai import AsyncOpenAI
    except ImportError:
        return _httpx(url, concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    client = AsyncOpenAI(
        base_url=url, api_key="sk-bench", max_retries=8,
        http_client=httpx.AsyncClient(limits=limits),
    )  # fmt: skip

    async def send(prompt: str) -> str:
        answer = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
        )
        return answer.choices[0].message.content or ""

    return send


def _httpx(url: str, concurrency: int) -> Any:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    client = httpx.AsyncClient(limits=limits, timeout=60)

    async def send(prompt: str) -> str:
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}
        response = await client.post(url + "/chat/completions", json=body)
        response.raise_for_status()
        return str(response.json()["choices"][0]["message"]["content"])

    return send


if __name__ == "__main__":
    src, out, url, concurrency = sys.argv[1:5]
    asyncio.run(main(src, out, url, int(concurrency), "--httpx" in sys.argv))
