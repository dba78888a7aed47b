"""The provider contract (`llmcli.providers.base`), checked in-process for every provider.

- Every registry entry's module provides the Protocols its entry claims, and no others.
- Every recorded case (tests/fixtures) is decoded with the pure `decode()`,
  `decode_stream()` or `decode_error()`, and compared with the answer the provider's test
  table expects; the request for it is encoded with the pure `encode()` and compared with
  the recorded request (method, URL, auth header, the body fields the table names).
- The request fields without a recording (each provider test's `ENCODE` table) are
  encoded and checked the same way.

No subprocess and no server: a table row's flags become a `Request` through the CLI's own
parsing, stopped in-process before anything is sent (`runner.prepare`).
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from llmcli.catalog import usage_cost
from llmcli.cli import runner
from llmcli.cli.app import app
from llmcli.cli.spec import flag_for
from llmcli.config import settings
from llmcli.errors import ProviderError
from llmcli.events import Accumulator, Event, Result
from llmcli.framing import NDJSONParser, SSEParser
from llmcli.providers import PROVIDERS
from llmcli.providers.base import ChatProvider, Embedder, ImageMaker, ModelLister, load
from llmcli.render import JsonRenderer
from llmcli.transport import HttpCall
from tests import test_anthropic, test_deepseek, test_openai, test_openrouter
from tests.conftest import FAKE_KEYS
from tests.provider_helpers import ABSENT, PROMPT, Answer, check_body, check_text
from tests.servers import FIXTURES, Case, load_case

# ---- every registry entry provides what it claims ------------------------------------------


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_registry_entry_matches_its_module(name: str) -> None:
    spec = PROVIDERS[name]
    module = load(spec)
    assert isinstance(module, ChatProvider)
    claims = {Embedder: spec.embeds, ImageMaker: spec.makes_images, ModelLister: spec.lists_models}
    assert {p.__name__: isinstance(module, p) for p in claims} == {
        p.__name__: claimed for p, claimed in claims.items()
    }


# ---- the CLI's flags → Request, in-process ------------------------------------------------


class _Prepared(BaseException):
    """Raised where the CLI would send: carries what it prepared."""

    def __init__(self, job: runner.Prepared) -> None:
        self.job = job


class _Terminal(io.StringIO):
    def isatty(self) -> bool:  # no piped stdin: the prompt is the argument
        return True


@pytest.fixture
def prepare(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., tuple[runner.Prepared, str]]]:
    """`prepare(*args)` → what `llmcli complete *args` would send, and its stderr so far."""
    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_API_BASE", "_BASE_URL")) or name.startswith(
            ("LLMCLI_", "OLLAMA_", "OR_", "ANTHROPIC_", "AZURE_")
        ):
            monkeypatch.delenv(name)
    for name, value in {**FAKE_KEYS, "LLMCLI_HOME": str(tmp_path / "home")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "stdin", _Terminal())
    real = runner.prepare

    def stop(*args: Any, **kwargs: Any) -> runner.Prepared:
        raise _Prepared(real(*args, **kwargs))

    monkeypatch.setattr(runner, "prepare", stop)
    settings.cache_clear()

    def run(*args: str) -> tuple[runner.Prepared, str]:
        capsys.readouterr()
        with pytest.raises(_Prepared) as stopped:
            app(["complete", "--no-log", *args, PROMPT], standalone_mode=False)
        return stopped.value.job, capsys.readouterr().err

    yield run
    settings.cache_clear()


# ---- decoding, as the engine does it without the transport ---------------------------------


def fold(module: ChatProvider, case: Case) -> Result:
    """The recorded answer through the pure decoder (frames split as the transport would)."""
    kind = case.meta["response_file"]
    if kind == "response.json":
        events: Iterator[Event] = module.decode(case.response)
    else:
        parser = SSEParser() if kind == "response.sse" else NDJSONParser()
        events = module.decode_stream([*parser.feed(case.response), *parser.close()])
    acc = Accumulator(case.provider, "model")
    for event in events:
        acc.add(event)
    return acc.finish()


def as_json(result: Result, provider: str, model: str) -> Any:
    """The answer as `--json` prints it, priced as the CLI prices it."""
    if result.usage.cost is None:
        result.usage.cost = usage_cost(provider, model, result.usage)
    out = io.StringIO()
    renderer = JsonRenderer(out)
    renderer.finish(result)
    renderer.close()
    return json.loads(out.getvalue())


def check_answer(out: Any, expected: Answer) -> None:
    check_text(out["content"], expected.content)
    check_text(out["reasoning"], expected.reasoning)
    assert out["tool_calls"] == list(expected.tool_calls)
    assert (out["finish_reason"], out["usage"], out["model"]) == (
        expected.finish_reason,
        expected.usage,
        expected.model,
    )


# ---- the provider tests' tables -------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One table row as a request: the flags, and what the body must (not) carry."""

    provider: str
    model: str
    flags: tuple[str, ...]
    sent: dict[str, Any]
    answer: Answer | None = None
    case: str | None = None
    stderr: str = ""
    headers: tuple[str, ...] = field(default=())


_ALWAYS: dict[str, dict[str, Any]] = {
    "anthropic": test_anthropic.DEFAULT_SENT,
    "openai": test_openai.OPENAI.always,
    "deepseek": test_deepseek.DEEPSEEK.always,
    "openrouter": test_openrouter.OPENROUTER.always,
}


def _recorded() -> Iterator[Any]:
    for module in (test_anthropic, test_openai, test_deepseek, test_openrouter):
        provider = module.__name__.removeprefix("tests.test_")
        for row in module.RECORDED:
            row = getattr(row, "values", (row,))[0]
            case = load_case(provider, row.case)
            flags, sent = list(row.flags), {**_ALWAYS[provider], **row.sent}
            for key in getattr(row, "replayed", ()):
                flags += ["-o", f"{key}={json.dumps(case.request[key])}"]
                sent[key] = case.request[key]
            headers = {k.lower(): v for k, v in case.meta["request_headers"].items()}
            flags += [f"-H{name}: {headers[name]}" for name in getattr(row, "headers", ())]
            yield pytest.param(
                Sent(provider, row.model, tuple(flags), sent, row.answer, row.case),
                id=f"{provider}/{row.case}",
            )


def _encode_tables() -> Iterator[Any]:
    """The rows without a recording: `(model, flags, sent, stderr)`, OpenRouter's
    `(flags, sent)` for `openai/gpt-4o`."""
    tables = {
        "anthropic": (test_anthropic.ENCODE, "nonstream-text"),
        "openai": (test_openai.ENCODE, "nonstream-text"),
        "deepseek": (test_deepseek.ENCODE, "reasoner-stream"),
        "openrouter": (test_openrouter.ENCODE, "stream-text-processing-comments"),
    }
    for provider, (table, case) in tables.items():
        for param in table:
            values = param.values
            model, flags, sent, stderr = (
                values if len(values) == 4 else ("openai/gpt-4o", *values, "")
            )
            row = Sent(provider, model, flags, {**_ALWAYS[provider], **sent}, None, case, stderr)
            yield pytest.param(row, id=f"{provider}/{param.id}")


def _stream(case: Case) -> bool:
    return case.meta["response_file"] != "response.json"


# ---- every recorded case, and every request field without one -------------------------------


_KEY_HEADERS = {"authorization", "x-api-key", "api-key"}


def check_call(call: HttpCall, row: Sent, case: Case, *, stream: bool) -> None:
    """The encoded request against the recorded one."""
    # Without the query: SDK beta clients add `?beta=true`, which llmcli does not send.
    assert (call.method, call.url) == (case.meta["method"], case.meta["url"].partition("?")[0])
    recorded = {k.lower(): v for k, v in case.meta["request_headers"].items()}
    ours = {k.lower(): v for k, v in call.headers.items()}
    assert ours["content-type"] == "application/json"
    # The key's headers as recorded; some recorders drop them: then as the registry says.
    sent_keys = _KEY_HEADERS & set(recorded) or set(PROVIDERS[row.provider].key_headers)
    assert _KEY_HEADERS & set(ours) == sent_keys
    if "anthropic-version" in recorded:
        assert ours["anthropic-version"] == recorded["anthropic-version"]
    for name in row.headers:
        assert ours[name] == recorded[name]
    body = call.json
    assert body is not None
    assert (body["model"], body["stream"]) == (row.model, stream)
    check_body(body, row.sent)
    if case.request and row.answer is not None:
        # The messages differ (the prompt is PROMPT); a recorded object may hold more
        # defaults than llmcli sends (`reasoning.enabled: true`).
        for key, value in row.sent.items():
            if value is not ABSENT and key in case.request and key != "messages":
                assert _within(body[key], case.request[key]), f"{key} differs from the recording"


def _within(ours: Any, recorded: Any) -> bool:
    if isinstance(ours, dict) and isinstance(recorded, dict):
        return all(k in recorded and _within(v, recorded[k]) for k, v in ours.items())
    return bool(ours == recorded)


@pytest.mark.parametrize("row", [*_recorded(), *_encode_tables()])
def test_request_and_answer(prepare: Callable[..., tuple[runner.Prepared, str]], row: Sent) -> None:
    assert row.case is not None
    case = load_case(row.provider, row.case)
    stream = _stream(case)
    job, stderr = prepare(
        "-m", f"{row.provider}/{row.model}", *row.flags, *(() if stream else ("--no-stream",))
    )
    call = job.provider.encode(job.request, job.connection)
    check_call(call, row, case, stream=stream)
    notes = "".join(f"llmcli: warning: {w.render(flag_for)}\n" for w in call.warnings)
    assert stderr + notes == row.stderr
    result = fold(job.provider, case)
    if row.answer is not None:
        check_answer(as_json(result, row.provider, row.model), row.answer)


def _all_cases() -> Iterator[Any]:
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for case in sorted(p.name for p in folder.iterdir() if p.is_dir()):
            yield pytest.param(folder.name, case, id=f"{folder.name}/{case}")


@pytest.mark.parametrize(("provider", "name"), list(_all_cases()))
def test_every_recorded_answer_decodes(provider: str, name: str) -> None:
    """Every recording, also those no table above names: it decodes with the decoder for
    its endpoint, into events (a chat) or its result type; an error into one line."""
    case = load_case(provider, name)
    module = load(PROVIDERS[provider])
    status, path = case.meta.get("status", 200), case.meta["path"]
    if status >= 400:
        err = module.decode_error(status, case.response)
        assert isinstance(err, ProviderError)
        assert (err.status, err.provider) == (status, provider) and err.provider_message
    elif path.endswith(("/embed", "/embeddings")):
        assert isinstance(module, Embedder)
        embeddings = module.decode_embed(case.response)
        assert embeddings.vectors and all(embeddings.vectors)
    elif path.endswith("/images/generations"):
        assert isinstance(module, ImageMaker)
        assert module.decode_image(case.response).images
    else:
        result = fold(module, case)
        assert result.finish_reason
        assert result.content or result.tool_calls or result.reasoning or result.error
