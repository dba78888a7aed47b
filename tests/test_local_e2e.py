"""End to end against a real llama.cpp server (xllamacpp) and a real model (SmolLM2 135M).

Select with `pytest -m e2e`, leave out with `-m "not e2e"`. One server (embeddings on)
serves the whole session; a few tests start their own to check the lifecycle. The model
is taken from the models directory when it is there (CI machines keep it between runs),
else pulled once, as `llmcli models pull local/smollm2` does.

The 135M model answers in plain sentences but does not call tools: tool calling stays
tested against recordings.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmcli.local.catalog import CATALOG
from llmcli.local.models import LocalModel, resolve
from llmcli.local.server import LocalServer

pytestmark = pytest.mark.e2e

PROMPT = "Say hello in one short sentence."
GREETING_SCHEMA = {
    "type": "object",
    # Letters only and short: a 135M model fills free strings with emoji until max_tokens.
    "properties": {"greeting": {"type": "string", "pattern": "^[A-Za-z ,.!']{1,30}$"}},
    "required": ["greeting"],
    "additionalProperties": False,
}


def schema_args(schema: dict[str, Any]) -> list[str]:
    """How `complete` asks for JSON valid for `schema` (one place to change: --json-schema)."""
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": schema, "strict": True},
    }
    return ["-o", f"response_format={json.dumps(response_format)}"]


@pytest.fixture(scope="session")
def smollm2() -> LocalModel:
    """The real model file: reused from the models directory, else pulled once."""
    if importlib.util.find_spec("xllamacpp") is None:
        if os.environ.get("CI"):
            pytest.fail("xllamacpp is missing: CI must install '.[dev,local]'")
        pytest.skip("needs the local extra: pip install -e '.[local]'")
    model = resolve("smollm2")
    if not model.present:
        from llmcli.local.pull import pull_entry

        assert model.entry is not None
        pull_entry(model.entry, model.path)
    return model


@pytest.fixture(scope="session")
def llama(smollm2: LocalModel) -> Iterator[LocalServer]:
    """One real llama.cpp server for the session (1 thread, embeddings on)."""
    with LocalServer(smollm2, embeddings=True) as server:
        yield server


@pytest.fixture
def llmcli(llmcli_process):  # type: ignore[no-untyped-def]
    """End to end means a real llmcli process here, not the in-process harness."""
    return llmcli_process


@pytest.fixture
def models_env(smollm2: LocalModel) -> dict[str, str]:
    """For llmcli subprocesses: the models directory holding the real model."""
    return {"LLMCLI_MODELS_DIR": str(smollm2.path.parent)}


def check_answer(answer: dict[str, Any], provider: str, max_tokens: int) -> None:
    assert answer["provider"] == provider
    assert isinstance(answer["content"], str) and answer["content"].strip()
    assert answer["finish_reason"] in ("stop", "length")
    assert answer["tool_calls"] == [] and answer["reasoning"] is None
    usage = answer["usage"]
    assert usage["input_tokens"] > 0
    assert 0 < usage["output_tokens"] <= max_tokens


def gone(pid: int, wait: float = 5.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


# ---- against the session's server ------------------------------------------------------


def complete_local(llmcli, llama: LocalServer, *args: str) -> Any:  # type: ignore[no-untyped-def]
    return llmcli(
        "complete",
        "-m",
        "local/smollm2",
        "--api-base",
        llama.base_url,
        "--temperature",
        "0",
        "--no-log",
        *args,
        timeout=120,
    )


def test_complete_non_streaming(llmcli, llama: LocalServer):
    done = complete_local(llmcli, llama, "--no-stream", "--json", "--max-tokens", "24", PROMPT)
    assert done.code == 0, done.stderr
    check_answer(done.json, "local", 24)
    assert done.json["model"] == "smollm2"


def test_complete_streaming_matches_non_streaming(llmcli, llama: LocalServer):
    args = ("--json", "--max-tokens", "24", PROMPT)
    streamed = complete_local(llmcli, llama, "--stream", *args)
    whole = complete_local(llmcli, llama, "--no-stream", *args)
    assert (streamed.code, whole.code) == (0, 0), streamed.stderr + whole.stderr
    check_answer(streamed.json, "local", 24)
    # Greedy decoding (temperature 0): the stream joins up to the same text.
    assert streamed.json["content"] == whole.json["content"]


def test_complete_streams_plain_text(llmcli, llama: LocalServer):
    done = complete_local(llmcli, llama, "--max-tokens", "16", PROMPT)
    assert done.code == 0, done.stderr
    assert done.stdout.strip() and done.stdout.endswith("\n")
    assert done.stderr == ""


def test_response_format_json_schema(llmcli, llama: LocalServer):
    import jsonschema

    done = complete_local(
        llmcli,
        llama,
        "--no-stream",
        "--json",
        "--max-tokens",
        "64",
        *schema_args(GREETING_SCHEMA),
        "Greet me. Answer in JSON.",
    )
    assert done.code == 0, done.stderr
    answer = json.loads(done.json["content"])
    jsonschema.validate(answer, GREETING_SCHEMA)


def test_embeddings_have_the_models_dimension(llama: LocalServer, smollm2: LocalModel):
    import httpx

    response = httpx.post(
        llama.base_url + "/embeddings",
        json={"model": "smollm2", "input": ["hello world", "a cat sat on the mat"]},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [item["index"] for item in data] == [0, 1]
    vectors = [item["embedding"] for item in data]
    assert smollm2.entry is not None
    assert [len(v) for v in vectors] == [smollm2.entry.embedding_dim] * 2 == [576, 576]
    assert all(isinstance(x, float) for x in vectors[0]) and vectors[0] != vectors[1]


def test_anthropic_decoder_against_llama_cpp_messages(llmcli, llama: LocalServer):
    done = llmcli(
        "complete",
        "-m",
        "anthropic/smollm2",
        "--api-base",
        llama.root_url,
        "--stream",
        "--json",
        "--temperature",
        "0",
        "--max-tokens",
        "16",
        "--no-log",
        PROMPT,
        timeout=120,
    )
    assert done.code == 0, done.stderr
    check_answer(done.json, "anthropic", 16)


def test_chat_session_keeps_one_real_server(smollm2: LocalModel, monkeypatch, capsys):
    from llmcli.cli import runner
    from llmcli.cli.repl import Repl, Session
    from llmcli.cli.spec import Flags
    from llmcli.config import Config
    from llmcli.local import serving

    monkeypatch.setenv("LLMCLI_MODELS_DIR", str(smollm2.path.parent))
    monkeypatch.setattr(runner, "_config", Config)
    flags = Flags(model="local/smollm2", log=False, max_tokens=12, temperature=0)
    said: list[str] = []
    repl = Repl(Session(flags=flags), said.append)
    try:
        repl.handle("Hello!")
        first = [s.pid for s in serving.running()]
        repl.handle("What did I just say?")
        assert [s.pid for s in serving.running()] == first and len(first) == 1, said
        assert len(repl.s.messages) == 4 and all(m.text for m in repl.s.messages)
    finally:
        runner.release_local_servers()
    assert serving.running() == [] and gone(first[0])
    capsys.readouterr()


# ---- llmcli running its own server ------------------------------------------------------


def test_default_model_starts_and_stops_its_server(llmcli, models_env):
    started = time.monotonic()
    done = llmcli(
        "complete", "--max-tokens", "12", "--debug", "--no-log", PROMPT, env=models_env, timeout=120
    )
    seconds = time.monotonic() - started
    assert done.code == 0, done.stderr
    assert done.stdout.strip()
    assert done.stderr.count("llmcli: no model chosen: using local/smollm2") == 1
    match = re.search(r"debug: local server pid (\d+) at http://127\.0\.0\.1:\d+/v1", done.stderr)
    assert match, done.stderr
    assert gone(int(match.group(1)))
    assert seconds < 60


def test_local_serve_for_other_tools(llmcli, models_env, cli_env):
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmcli", "local", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**cli_env, **models_env},
        text=True,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", base), base
        done = llmcli(
            "complete", "-m", "local/smollm2", "--api-base", base, "--max-tokens", "8", PROMPT
        )
        assert done.code == 0 and done.stdout.strip(), done.stderr
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert err.endswith("llmcli: stopped\n")


def test_a_broken_gguf_fails_with_the_servers_reason(llmcli, tmp_path: Path):
    if importlib.util.find_spec("xllamacpp") is None:
        pytest.skip("needs the local extra")
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"garbage, not a model")
    done = llmcli("complete", "-m", f"local/{bad}", "hi", "--no-log", timeout=120)
    assert (done.code, done.stdout) == (1, "")
    assert done.stderr.startswith("llmcli: the llama.cpp server could not start with broken.gguf:")
    assert "invalid magic" in done.stderr and done.stderr.count("\n") == 1


def test_models_pull_verifies_a_model_already_there(llmcli, models_env, smollm2: LocalModel):
    done = llmcli("models", "pull", "local/smollm2", env=models_env)
    assert done.code == 0, done.stderr
    assert done.stdout == f"{smollm2.path}\n"
    assert "already there (SHA-256 verified)" in done.stderr
    assert smollm2.path.stat().st_size == CATALOG["smollm2"].size
