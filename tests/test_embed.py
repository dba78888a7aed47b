"""`llmcli embed` against recorded embeddings traffic (OpenAI float, OpenRouter, Ollama),
a base64 answer packed from the recorded floats, and a loopback server that answers
each batch from its own inputs (batching, order, concurrency).
"""

from __future__ import annotations

import base64
import json
import os
import pty
import random
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from llmcli.connection import resolve_connection
from llmcli.errors import DecodeError
from llmcli.providers import PROVIDERS, ollama, openai, openrouter
from llmcli.request import EmbedRequest
from llmcli.transport import Connection
from tests.conftest import FAKE_KEYS
from tests.servers import Reply, load_case

OPENAI_KEY = FAKE_KEYS["OPENAI_API_KEY"]


def _floats(case: str, provider: str = "openai") -> list[float]:
    data = json.loads(load_case(provider, case).response)
    return data["data"][0]["embedding"] if "data" in data else data["embeddings"][0]


# ---- recorded cases ------------------------------------------------------------------


def test_openai_float_recorded(server, llmcli) -> None:
    case = load_case("openai", "embeddings-float-dimensions")
    server.queue(case.reply())
    run = llmcli(
        "embed",
        "-m",
        "openai/text-embedding-3-small",
        "--dimensions",
        "256",
        "--api-base",
        server.url + "/v1",
        "Hello world",
    )
    assert run.code == 0, run.stderr
    out = run.json
    assert out["model"] == "text-embedding-3-small"
    assert out["dimensions"] == 256
    assert len(out["embeddings"]) == 1
    assert out["embeddings"][0][:3] == [-0.0039325873, -0.092870116, 0.039631173]
    assert out["embeddings"][0][-1] == 0.0011830473
    # 2 prompt tokens at $0.02 per million (catalog): OpenAI reports no cost itself.
    assert out["usage"] == {"input_tokens": 2, "cost": 4e-08}
    (received,) = server.requests
    assert received.method == "POST"
    assert received.path == "/v1/embeddings"
    assert received.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert received.json == case.request  # the recorded request body, key for key
    assert OPENAI_KEY not in run.stdout + run.stderr


def test_openai_base64_answer_is_little_endian_float32(server, llmcli) -> None:
    """`encoding_format: base64` answers: the recorded vector packed as float32 LE."""
    floats = _floats("embeddings-float-dimensions")
    packed = struct.pack(f"<{len(floats)}f", *floats)
    body = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 0, "embedding": base64.b64encode(packed).decode()}
        ],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 2, "total_tokens": 2},
    }
    server.queue(Reply(body=json.dumps(body).encode()))
    run = llmcli(
        "embed",
        "-m",
        "openai/text-embedding-3-small",
        "-o",
        "encoding_format=base64",
        "--api-base",
        server.url + "/v1",
        "Hello world",
    )
    assert run.code == 0, run.stderr
    assert server.requests[0].json["encoding_format"] == "base64"
    expected = list(struct.unpack(f"<{len(floats)}f", packed))  # float32-rounded
    assert run.json["embeddings"] == [expected]
    assert run.json["dimensions"] == 256


def test_base64_vectors_decode_exactly() -> None:
    values = [1.0, -2.5, 0.15625, 3.0e-5]
    raw = base64.b64encode(struct.pack("<4f", *values)).decode()
    body = json.dumps(
        {"data": [{"index": 1, "embedding": [9.0]}, {"index": 0, "embedding": raw}]}
    ).encode()
    result = openai.decode_embed(body)
    assert result.vectors[0] == list(struct.unpack("<4f", struct.pack("<4f", *values)))
    assert result.vectors[1] == [9.0]  # ordered by `index`, not by position
    with pytest.raises(DecodeError, match="whole number of float32"):
        five_bytes = base64.b64encode(b"\0" * 5).decode()
        openai.decode_embed(json.dumps({"data": [{"embedding": five_bytes}]}).encode())


def test_openrouter_recorded(server, llmcli) -> None:
    case = load_case("openrouter", "embeddings")
    server.queue(case.reply())
    run = llmcli(
        "embed",
        "-m",
        "openrouter/openai/text-embedding-3-small",
        "--api-base",
        server.url + "/api/v1",
        "sunny day at the beach",
    )
    assert run.code == 0, run.stderr
    out = run.json
    assert out["model"] == "text-embedding-3-small"
    assert out["dimensions"] == 1536
    assert out["embeddings"][0][:2] == [0.0057293195, -0.012727811]
    assert out["usage"] == {"input_tokens": 6, "cost": 1.2e-07}  # OpenRouter's own cost
    received = server.requests[0]
    assert received.path == "/api/v1/embeddings"
    assert received.json == case.request
    assert received.headers["authorization"] == f"Bearer {FAKE_KEYS['OPENROUTER_API_KEY']}"


def test_ollama_recorded(server, llmcli) -> None:
    case = load_case("ollama", "embed")
    server.queue(case.reply())
    run = llmcli(
        "embed", "-m", "ollama/nomic-embed-text", "Hello world", env={"OLLAMA_HOST": server.url}
    )
    assert run.code == 0, run.stderr
    out = run.json
    recorded = json.loads(case.response)
    assert out["model"] == "nomic-embed-text"
    assert out["dimensions"] == len(recorded["embeddings"][0]) == 768
    assert out["embeddings"] == recorded["embeddings"]
    assert out["usage"]["cost"] is None  # local models have no price
    received = server.requests[0]
    assert received.path == "/api/embed"
    assert received.json == {"model": "nomic-embed-text", "input": ["Hello world"]}
    assert "authorization" not in received.headers


def test_ollama_dimensions_are_sent() -> None:
    req = EmbedRequest("ollama", "nomic-embed-text", ["a", "b"], dimensions=256)
    call = ollama.encode_embed(req, Connection("http://h:1"))
    assert call.url == "http://h:1/api/embed"
    assert call.json == {"model": "nomic-embed-text", "input": ["a", "b"], "dimensions": 256}


def test_openrouter_encoder_matches_openai_shape() -> None:
    req = EmbedRequest("openrouter", "openai/text-embedding-3-small", ["x"], dimensions=64)
    conn = resolve_connection(PROVIDERS["openrouter"], api_key="k", env={})  # key in its header
    call = openrouter.encode_embed(req, conn)
    assert call.url == "https://openrouter.ai/api/v1/embeddings"
    assert call.json == {"model": "openai/text-embedding-3-small", "input": ["x"], "dimensions": 64}
    assert call.headers["authorization"] == "Bearer k"


def test_recorded_404_is_one_line(server, llmcli) -> None:
    server.queue(load_case("openai", "embeddings-error-404").reply())
    run = llmcli("embed", "-m", "openai/nonexistent", "--api-base", server.url + "/v1", "hi")
    assert run.code == 1
    assert run.stdout == ""
    assert run.stderr == (
        "llmcli: openai 404 invalid_request_error: The model `nonexistent` does not exist "
        "or you do not have access to it.\n"
    )


# ---- inputs and refusals -------------------------------------------------------------


def test_dimensions_refused_for_a_fixed_size_model(llmcli) -> None:
    run = llmcli("embed", "-m", "openai/text-embedding-ada-002", "--dimensions", "64", "hi")
    assert run.code == 2
    assert "text-embedding-ada-002 makes vectors of 1536 dimensions only" in run.stderr


def test_provider_without_embeddings_is_refused(llmcli) -> None:
    run = llmcli("embed", "-m", "anthropic/claude-sonnet-4-5", "hi")
    assert run.code == 2
    assert run.stderr.startswith("llmcli: anthropic has no embeddings endpoint")


def test_nothing_to_embed(llmcli) -> None:
    run = llmcli("embed", "-m", "openai/text-embedding-3-small")
    assert run.code == 2
    assert "nothing to embed" in run.stderr


# ---- a server that answers each batch from its inputs --------------------------------


class EchoEmbeddings:
    """`POST /v1/embeddings`: each input "item N" gets the vector [N, len(batch)].

    Replies come back after a random delay, so batches finish out of order; the
    server notes how many requests were under way at once.
    """

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        echo = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with echo.lock:
                    echo.batches.append(body["input"])
                    echo.in_flight += 1
                    echo.most_in_flight = max(echo.most_in_flight, echo.in_flight)
                time.sleep(random.uniform(0.0, 0.08))
                data = [
                    {"index": i, "embedding": [float(text.split()[-1]), float(len(body["input"]))]}
                    for i, text in enumerate(body["input"])
                ]
                out = json.dumps(
                    {"data": data, "model": body["model"], "usage": {"prompt_tokens": 3}}
                ).encode()
                with echo.lock:
                    echo.in_flight -= 1
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"


@pytest.fixture
def echo() -> Iterator[EchoEmbeddings]:
    srv = EchoEmbeddings()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def _args(echo: EchoEmbeddings, *more: str) -> list[str]:
    return ["embed", "-m", "openai/text-embedding-3-small", "--api-base", echo.base, *more]


def test_batches_run_concurrently_and_keep_order(echo, llmcli, tmp_path: Path) -> None:
    lines = [f"item {n}" for n in range(1, 24)]
    lines.insert(5, "   ")  # a blank line is skipped, and line numbers stay the file's
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(lines) + "\n")
    run = llmcli(
        *_args(echo, "--file", str(source), "--batch-size", "4", "--concurrency", "3"),
        "--format",
        "jsonl",
    )
    assert run.code == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["id"] for r in rows] == [n for n in range(1, 25) if n != 6]
    assert [r["embedding"][0] for r in rows] == [float(n) for n in range(1, 24)]
    assert len(echo.batches) == 6  # 23 inputs, 4 per request
    assert sorted(len(b) for b in echo.batches) == [3, 4, 4, 4, 4, 4]
    assert 1 < echo.most_in_flight <= 3


def test_json_output_keeps_order_across_batches(echo, llmcli) -> None:
    texts = [f"item {n}" for n in range(1, 8)]
    run = llmcli(*_args(echo, "--batch-size", "2", "--json", *texts))
    assert run.code == 0, run.stderr
    out = run.json
    assert [v[0] for v in out["embeddings"]] == [float(n) for n in range(1, 8)]
    assert out["dimensions"] == 2
    assert out["usage"]["input_tokens"] == 12  # 4 batches x 3 tokens
    assert out["usage"]["cost"] == pytest.approx(12 * 0.02 / 1e6)


def test_jsonl_file_ids_and_texts(echo, llmcli, tmp_path: Path) -> None:
    source = tmp_path / "docs.jsonl"
    source.write_text(
        '{"id": "a", "text": "item 7"}\n\n{"id": 42, "text": "item 9"}\n{"text": "item 1"}\n'
    )
    run = llmcli(*_args(echo, "--file", str(source), "--format", "jsonl"))
    assert run.code == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(r["id"], r["embedding"][0]) for r in rows] == [("a", 7.0), (42, 9.0), (4, 1.0)]
    assert echo.batches == [["item 7", "item 9", "item 1"]]


def test_jsonl_line_without_text_is_refused(echo, llmcli, tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"id": 1, "text": "item 1"}\n{"id": 2, "body": "x"}\n')
    run = llmcli(*_args(echo, "--file", str(source)))
    assert run.code == 2
    assert f'{source}:2: needs a "text" string' in run.stderr


def test_stdin_whole_or_by_lines(echo, llmcli) -> None:
    run = llmcli(*_args(echo), input="item 1\nitem 2\n")
    assert run.code == 0, run.stderr
    assert echo.batches[-1] == ["item 1\nitem 2"]
    run = llmcli(*_args(echo, "--lines", "--format", "jsonl"), input="item 1\n\nitem 2\n")
    assert run.code == 0, run.stderr
    assert echo.batches[-1] == ["item 1", "item 2"]
    assert [json.loads(line)["id"] for line in run.stdout.splitlines()] == [1, 3]


def test_progress_bar_on_a_terminal_stderr(echo, cli_env, tmp_path: Path) -> None:
    """More than one batch and stderr on a terminal: a progress bar there; stdout stays JSON."""
    master, slave = pty.openpty()
    texts = [f"item {n}" for n in range(1, 7)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmcli", *_args(echo, "--batch-size", "2", *texts)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=cli_env,
    )
    os.close(slave)
    stdout, _ = proc.communicate(timeout=60)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.returncode == 0
    assert [v[0] for v in json.loads(stdout)["embeddings"]] == [float(n) for n in range(1, 7)]
    assert b"embedding batches" in seen
    assert b"3/3" in seen


def test_one_batch_shows_no_progress(echo, llmcli) -> None:
    run = llmcli(*_args(echo, "item 1", "item 2"))
    assert run.code == 0
    assert run.stderr == ""


def _run_on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """stdout on a terminal (a pty); stderr piped."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmcli", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, seen, err


def test_summary_on_a_terminal(echo, cli_env) -> None:
    code, out, err = _run_on_terminal(_args(echo, "item 1", "item 22"), cli_env)
    assert code == 0, err
    text = out.decode().replace("\r\n", "\n")
    assert text.startswith("2 embeddings, 2 dimensions (text-embedding-3-small)\n")
    assert "  1: [1.0000, 2.0000, …]  item 1\n" in text  # [N, batch length]
    assert "  2: [22.0000, 2.0000, …]  item 22\n" in text
    assert "{" not in text  # no JSON on a terminal
    assert err.decode() == "usage: 3 input, <$0.000001\n"  # 3 x $0.02 per million
