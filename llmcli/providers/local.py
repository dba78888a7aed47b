"""Local models (`local/NAME`) served by llama.cpp: the OpenAI Chat Completions shape.

Pure like every provider module: `encode` only builds the request against the
connection's base URL. Starting and stopping the server that URL points at is the
runner's job (`llmcli.local.serving`), or `--api-base` names one already running
(e.g. `llmcli local serve`).

llama.cpp takes `top_k` as is, and `chat_template_kwargs.enable_thinking` switches
the reasoning of models whose chat template has it (Qwen3 and the like).
"""

from __future__ import annotations

from llmcli import tasks as _tasks
from llmcli.errors import ProviderError
from llmcli.notes import Unsupported
from llmcli.providers import profiles
from llmcli.providers.openai_chat import answers, endpoints
from llmcli.providers.openai_chat import body as compat
from llmcli.request import EmbedRequest, Request, changed
from llmcli.transport import Connection, HttpCall

NAME = "local"


def encode(req: Request, conn: Connection) -> HttpCall:
    warnings: list[Unsupported] = []
    req = with_defaults(req, profiles.local(req.model))
    if compat.uses_legacy_completions(req):
        body = compat.completion_body(req)
    else:
        body = compat.chat_body(req)
        if req.wants_reasoning:
            body["chat_template_kwargs"] = {"enable_thinking": True}
        elif req.reasoning_effort == "none":
            body["chat_template_kwargs"] = {"enable_thinking": False}
        if req.reasoning_effort not in (None, "none"):
            body["reasoning_effort"] = req.reasoning_effort
    if req.top_k is not None:
        body["top_k"] = req.top_k
    if req.thinking_budget:
        message = "local models take no thinking budget: {thinking_budget} was not sent"
        warnings.append(Unsupported("thinking_budget", NAME, message))
    return compat.http_call(req, conn, body, warnings)


def with_defaults(req: Request, facts: profiles.ModelProfile) -> Request:
    """The profile's system prompt and temperature where the user gave none (None: not
    given; `-s ""` is given, and sends no system prompt). The legacy completions
    endpoint takes no system prompt."""
    update: dict[str, object] = {}
    if req.system is None and not compat.uses_legacy_completions(req):
        update["system"] = facts.default_system
    if req.temperature is None:
        update["temperature"] = facts.default_temperature
    return changed(req, **update) if update else req


# Answers are plain OpenAI chat completions (bodies and SSE streams).
decode = answers.decode
decode_stream = answers.decode_stream
stream_decoder = answers.stream_decoder


def decode_error(status: int, body: bytes) -> ProviderError:
    return answers.decode_error(NAME, status, body)


def encode_embed(req: EmbedRequest, conn: Connection) -> HttpCall:
    """llama.cpp serves OpenAI's `/v1/embeddings` when started with embeddings on."""
    return endpoints.embed_call(req, conn)


def decode_embed(body: bytes) -> _tasks.Embeddings:
    return endpoints.decode_embeddings(body)
