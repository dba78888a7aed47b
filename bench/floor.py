"""The stack floor: the same call as `llmcli complete`, made with typer, pydantic and httpx
and nothing else, so llmcli's figures can be read as a ratio to what its stack costs.

    python bench/floor.py complete -m openai/bench --api-base URL [--no-stream] [-H K:V] hi
    python bench/floor.py --help        # the typer "hello app" that `llmcli --help` is set against

`complete` builds one pydantic model for the request body and POSTs it with httpx. Not
streaming, it prints the answer's content; streaming, it reads the SSE body line by line
and writes and flushes each delta, as llmcli does for a pipe. Like llmcli, it reads the key
from OPENAI_API_KEY and drops the `openai/` prefix from the model. pydantic and httpx are
imported inside the command, as llmcli imports only what a command needs, so `--help` here
costs what a typer app with two commands costs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Annotated

import typer

app = typer.Typer(
    help="The stack floor: typer + pydantic + httpx doing llmcli's one call.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def hello(name: Annotated[str, typer.Argument(help="Who to greet.")] = "world") -> None:
    """Say hello (the typer hello-app part of the floor)."""
    typer.echo(f"hello {name}")


@app.command()
def complete(
    prompt: Annotated[str, typer.Argument(help="The prompt.")],
    model: Annotated[str, typer.Option("--model", "-m", help="PROVIDER/MODEL.")],
    api_base: Annotated[str, typer.Option("--api-base", help="The API base (ends in /v1).")],
    stream: Annotated[bool, typer.Option("--stream/--no-stream", help="Stream.")] = True,
    headers: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="Extra 'Name: value' header.")
    ] = None,
    httpx_defaults: Annotated[
        bool, typer.Option("--httpx-defaults", help="Load the CA bundle even for http://.")
    ] = False,
) -> None:
    """Send one prompt and print the answer."""
    import httpx
    from pydantic import BaseModel

    class Message(BaseModel):
        role: str
        content: str

    class ChatRequest(BaseModel):
        model: str
        messages: list[Message]
        stream: bool = False
        stream_options: dict[str, bool] | None = None

    body = ChatRequest(
        model=model.partition("/")[2] or model,
        messages=[Message(role="user", content=prompt)],
        stream=stream,
        stream_options={"include_usage": True} if stream else None,
    )
    sent = {"authorization": f"Bearer {os.environ['OPENAI_API_KEY']}"}
    for header in headers or []:
        name, _, value = header.partition(":")
        sent[name.strip()] = value.strip()
    url = api_base.rstrip("/") + "/chat/completions"
    payload = body.model_dump(exclude_none=True)
    # As llmcli does: a plain-http call (loopback) skips loading the CA bundle, unless
    # --httpx-defaults asks for a client as httpx makes it by default.
    secure = httpx_defaults or url.startswith("https://")
    with httpx.Client(timeout=600.0, verify=secure, follow_redirects=secure) as client:
        if not stream:
            answer = client.post(url, headers=sent, json=payload)
            answer.raise_for_status()
            sys.stdout.write(answer.json()["choices"][0]["message"]["content"] + "\n")
            return
        with client.stream("POST", url, headers=sent, json=payload) as answer:
            answer.raise_for_status()
            _print_deltas(answer.iter_lines())


def _print_deltas(lines: Iterator[str]) -> None:
    """SSE `data:` lines → each delta's text, written and flushed as it arrives."""
    import json

    out = sys.stdout
    for line in lines:
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        for choice in json.loads(line[6:])["choices"]:
            text = choice["delta"].get("content")
            if text:
                out.write(text)
                out.flush()
    out.write("\n")


if __name__ == "__main__":
    app()
