"""OpenRouter: the OpenAI shape plus `reasoning`, `usage.include` (cost) and its errors.

Reasoning: https://openrouter.ai/docs/use-cases/reasoning-tokens
Errors: https://openrouter.ai/docs/errors
Prompt caching: https://openrouter.ai/docs/features/prompt-caching (Anthropic and Gemini
models take `cache_control` breakpoints; the others cache automatically)
PDFs: https://openrouter.ai/docs/features/multimodal/pdfs (`file_data` is a data URL or a
public URL)
Server tools: https://openrouter.ai/docs/guides/features/server-tools/advisor (tools
with a `type` of `openrouter:...`)
Assistant prefill: https://openrouter.ai/docs/api-reference/overview ("Assistant Prefill":
a final `role: assistant` message)
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from llmcli import catalog as _catalog
from llmcli import tasks as _tasks
from llmcli.errors import ProviderError
from llmcli.notes import Refused, Unsupported
from llmcli.providers import profiles
from llmcli.providers.openai_chat import answers, endpoints, features
from llmcli.providers.openai_chat import body as compat
from llmcli.providers.profiles import ModelProfile
from llmcli.request import EmbedRequest, ImageRequest, ReasoningPart, Request, Tool
from llmcli.transport import Connection, HttpCall

NAME = "openrouter"


def encode(req: Request, conn: Connection) -> HttpCall:
    warnings: list[Unsupported] = []
    facts = profiles.openrouter(req.model)
    features.refuse_anthropic_only(req, allow=("prefill",))
    if req.prefill is not None and not facts.prefill:
        raise Refused("prefill", NAME, "{prefill} on OpenRouter works only with anthropic/ models")
    if compat.uses_legacy_completions(req):
        return compat.http_call(req, conn, compat.completion_body(req), warnings)
    body = compat.chat_body(
        req, attach=partial(features.attachment_part, pdf_urls=True), hosted=_server_tool
    )
    body["usage"] = {"include": True}
    if req.top_k is not None:
        body["top_k"] = req.top_k
    reasoning = _reasoning(req)
    if reasoning:
        body["reasoning"] = reasoning
    _replay_reasoning(body, req)
    _cache(body, req, facts, warnings)
    if req.prefill is not None:
        body["messages"].append({"role": "assistant", "content": req.prefill})
    return compat.http_call(req, conn, body, warnings)


def _server_tool(tool: Tool) -> dict[str, Any]:
    """OpenRouter's own server tools (`type: "openrouter:..."`) pass through as given."""
    hosted = tool.hosted or {}
    if str(hosted.get("type", "")).startswith("openrouter:"):
        return hosted
    return features.refuse_hosted(tool)


def _cache(
    body: dict[str, Any], req: Request, facts: ModelProfile, warnings: list[Unsupported]
) -> None:
    """`cache_control` breakpoints where the model's profile has them: Anthropic (system,
    last tool, with a TTL) and Gemini (system, a bare `{type: ephemeral}`, as
    pydantic-ai's OpenRouter model sends them). Other models cache automatically.
    """
    if not (req.cache_system or req.cache_tools or req.cache_ttl):
        return
    if not facts.cache_points:
        warnings.extend(features.cache_warnings(req, f"OpenRouter ({req.model})"))
        return
    control: dict[str, Any] = {"type": "ephemeral"}
    if req.cache_ttl and facts.cache_ttl:
        control["ttl"] = req.cache_ttl
    elif req.cache_ttl:
        warnings.append(_note("cache_ttl", "Gemini takes no cache TTL: {cache_ttl} was not sent"))
    if req.cache_system:
        _cache_system(body, control, warnings)
    if req.cache_tools:
        _cache_tools(body, control, facts, warnings)
    if req.cache_ttl and not (req.cache_system or req.cache_tools):
        message = "{cache_ttl} has no effect without {cache_system} or {cache_tools}"
        warnings.append(_note("cache_ttl", message))


def _note(field: str, message: str) -> Unsupported:
    return Unsupported(field, NAME, message)


def _cache_tools(
    body: dict[str, Any], control: dict[str, Any], facts: ModelProfile, warnings: list[Unsupported]
) -> None:
    functions = [t for t in body.get("tools", []) if t.get("type") == "function"]
    if "tools" not in facts.cache_points:
        message = (
            "OpenRouter caches tool definitions only for anthropic/ models: "
            "{cache_tools} has no effect"
        )
        warnings.append(_note("cache_tools", message))
    elif not functions:
        warnings.append(_note("cache_tools", "{cache_tools} has no effect: no {tools} to cache"))
    else:
        functions[-1]["cache_control"] = dict(control)


def _cache_system(
    body: dict[str, Any], control: dict[str, Any], warnings: list[Unsupported]
) -> None:
    """The system message becomes one text part carrying `cache_control`."""
    system = next((m for m in body["messages"] if m["role"] == "system"), None)
    if system is None:
        message = "{cache_system} has no effect: there is no system prompt ({system})"
        warnings.append(_note("cache_system", message))
        return
    system["content"] = [
        {"type": "text", "text": system["content"], "cache_control": dict(control)}
    ]


def _reasoning(req: Request) -> dict[str, Any] | None:
    if req.reasoning_effort == "none":
        return {"enabled": False}
    if req.reasoning_effort:
        return {"effort": req.reasoning_effort}
    if req.thinking_budget:
        return {"max_tokens": req.thinking_budget}
    if req.thinking:
        return {"enabled": True}
    return None


def _replay_reasoning(body: dict[str, Any], req: Request) -> None:
    """Echo `reasoning_details` so signed (Anthropic) reasoning survives the next turn."""
    for wire, message in features.assistant_pairs(body, req):
        details = [
            _detail(p, i) for i, p in enumerate(message.parts) if isinstance(p, ReasoningPart)
        ]
        if details:
            wire["reasoning_details"] = details


def _detail(part: ReasoningPart, index: int) -> dict[str, Any]:
    if part.redacted is not None:
        return {"type": "reasoning.encrypted", "data": part.redacted, "index": index}
    detail: dict[str, Any] = {"type": "reasoning.text", "text": part.text, "index": index}
    if part.signature:
        detail["signature"] = part.signature
    return detail


# Answers are plain OpenAI chat completions (bodies and SSE streams).
decode = answers.decode
decode_stream = answers.decode_stream
stream_decoder = answers.stream_decoder


def decode_error(status: int, body: bytes) -> ProviderError:
    """Upstream failures come as "Provider returned error" with the real one in metadata.raw."""
    error = answers.decode_error(NAME, status, body)
    try:
        metadata = json.loads(body)["error"].get("metadata") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        return error
    if not isinstance(metadata, dict):
        return error
    upstream = _upstream_message(metadata.get("raw"))
    if upstream:
        source = metadata.get("provider_name") or "upstream"
        return ProviderError(
            NAME,
            f"{error.provider_message} ({source}: {upstream})",
            status=status,
            error_type=error.error_type,
            retryable=error.retryable,
        )
    return error


def _upstream_message(raw: Any) -> str | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return raw[:200]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or "")[:200] or None
    return raw[:200]


# ---- embeddings, images, model list --------------------------------------------------


# `--size` → `image_config.aspect_ratio` and `--quality` → `image_config.image_size`
# (https://openrouter.ai/docs/features/multimodal/image-generation: aspect ratios
# 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9; image sizes 1K, 2K, 4K).
IMAGE_ASPECT = {
    "1024x1024": "1:1",
    "1536x1024": "3:2",
    "1024x1536": "2:3",
    "1792x1024": "16:9",
    "1024x1792": "9:16",
}
IMAGE_SIZE = {"low": "1K", "standard": "1K", "medium": "2K", "high": "4K", "hd": "4K"}


def encode_embed(req: EmbedRequest, conn: Connection) -> HttpCall:
    return endpoints.embed_call(req, conn)


def decode_embed(body: bytes) -> _tasks.Embeddings:
    """OpenAI's shape plus `provider`, `id` and `usage.cost` (corpus openrouter/embeddings)."""
    return endpoints.decode_embeddings(body)


def encode_image(req: ImageRequest, conn: Connection) -> HttpCall:
    """Chat Completions with `modalities: ["image", "text"]` on an image model; `--size`
    and `--quality` become `image_config` keys, and `--image-config` (OpenRouter's own
    keys) is merged over them."""
    config: dict[str, Any] = {}
    if req.size is not None:
        if req.size not in IMAGE_ASPECT:
            raise Refused(
                "size",
                NAME,
                f"{{size}} {req.size}: OpenRouter takes {', '.join(IMAGE_ASPECT)} (or "
                '{extra} \'{"aspect_ratio": "W:H"}\')',
            )
        config["aspect_ratio"] = IMAGE_ASPECT[req.size]
    if req.quality is not None:
        if req.quality not in IMAGE_SIZE:
            takes = ", ".join(IMAGE_SIZE)
            raise Refused("quality", NAME, f"{{quality}} {req.quality}: OpenRouter takes {takes}")
        config["image_size"] = IMAGE_SIZE[req.quality]
    config.update(req.extra)
    body: dict[str, Any] = {
        "model": req.model,
        "messages": [{"role": "user", "content": req.prompt}],
        "modalities": ["image", "text"],
        "stream": False,
        "usage": {"include": True},
    }
    if req.n != 1:
        body["n"] = req.n
    if config:
        body["image_config"] = config
    return HttpCall(
        method="POST",
        url=conn.base_url + "/chat/completions",
        headers=compat.auth_headers(conn),
        json=body,
        framing="json",
    )


def decode_image(body: bytes) -> _tasks.Images:
    """Images in `choices[0].message.images[].image_url.url`, as data URLs."""
    from llmcli.errors import DecodeError
    from llmcli.events import Usage
    from llmcli.providers._common import load_json

    data = load_json(body, "image answer")
    if not isinstance(data, dict):
        raise DecodeError("the image answer is not a JSON object")
    if data.get("error") and not data.get("choices"):
        error = data["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise ProviderError(NAME, str(message or "unknown error"))
    choices = data.get("choices") or [{}]
    message = choices[0].get("message") or {}
    images = [
        _tasks.data_url(url)
        for image in message.get("images") or []
        if isinstance(url := (image.get("image_url") or {}).get("url"), str)
    ]
    text = message.get("content")
    return _tasks.Images(
        images=images,
        model=data.get("model") if isinstance(data.get("model"), str) else None,
        usage=answers.usage(data["usage"]) if isinstance(data.get("usage"), dict) else Usage(),
        text=text if isinstance(text, str) and text.strip() else None,
    )


def encode_models(conn: Connection) -> HttpCall:
    """`GET {base}/models` (https://openrouter.ai/docs/models: public, with pricing)."""
    return endpoints.models_call(conn)


def decode_models(body: bytes) -> list[_catalog.Model]:
    """`{data: [{id, name, context_length, architecture: {input_modalities,
    output_modalities}, pricing: {prompt, completion, input_cache_read, input_cache_write}
    (USD per token, as strings), top_provider: {max_completion_tokens},
    supported_parameters}]}` → models with capabilities and prices per million tokens."""
    from llmcli.errors import DecodeError
    from llmcli.providers._common import int_or_none, load_json

    data = load_json(body, "model list")
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise DecodeError("the model list has no `data` list")
    out: list[_catalog.Model] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        pricing = item.get("pricing") or {}
        arch = item.get("architecture") or {}
        top = item.get("top_provider") or {}
        out.append(
            _catalog.Model(
                id=f"{NAME}/{item['id']}",
                context_window=int_or_none(item.get("context_length")),
                max_output=int_or_none(top.get("max_completion_tokens")),
                capabilities=_capabilities(
                    arch.get("input_modalities") or [],
                    arch.get("output_modalities") or [],
                    item.get("supported_parameters") or [],
                ),
                price=_catalog.Price(
                    input=_per_million(pricing.get("prompt")),
                    output=_per_million(pricing.get("completion")),
                    cache_read=_per_million(pricing.get("input_cache_read")),
                    cache_write=_per_million(pricing.get("input_cache_write")),
                )
                if pricing
                else None,
                note=item.get("name") if isinstance(item.get("name"), str) else None,
            )
        )
    return out


def _capabilities(inputs: list[Any], outputs: list[Any], params: list[Any]) -> frozenset[str]:
    found = set()
    for present, capability in (
        ("image" in inputs, "vision"),
        ("file" in inputs, "pdf"),
        ("tools" in params, "tools"),
        ("structured_outputs" in params, "json_schema"),
        ("reasoning" in params, "thinking"),
        ("image" in outputs, "image_generation"),
        ("embeddings" in outputs, "embeddings"),
    ):
        if present:
            found.add(capability)
    return frozenset(found)


def _per_million(value: Any) -> float | None:
    """USD per token (a string such as "0.00000015") → per million; "-1" (variable) → None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number < 0 else round(number * 1_000_000, 6)
