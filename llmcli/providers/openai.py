"""OpenAI Chat Completions (and any OpenAI-compatible server reached with --api-base)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmcli.errors import ProviderError
from llmcli.notes import Refused, Unsupported
from llmcli.providers import profiles
from llmcli.providers.openai_chat import answers, features
from llmcli.providers.openai_chat import body as compat
from llmcli.request import EmbedRequest, ImageRequest, Request
from llmcli.transport import Connection, HttpCall

if TYPE_CHECKING:
    # Embeddings, images and model lists (and their modules) are imported by the
    # functions below: a chat run never needs them.
    from llmcli import catalog as _catalog
    from llmcli import tasks as _tasks

NAME = "openai"


def encode(req: Request, conn: Connection) -> HttpCall:
    warnings = features.cache_warnings(req, "OpenAI")
    features.refuse_anthropic_only(req)
    if compat.uses_legacy_completions(req):
        return compat.http_call(req, conn, compat.completion_body(req), warnings)
    body = compat.chat_body(req)
    if profiles.openai(req.model).reasoning and "max_tokens" in body:
        # Reasoning models reject `max_tokens` and want `max_completion_tokens`.
        body["max_completion_tokens"] = body.pop("max_tokens")
    if req.reasoning_effort:
        body["reasoning_effort"] = req.reasoning_effort
    if req.thinking_budget:
        warnings.append(
            Unsupported(
                "thinking_budget",
                NAME,
                "OpenAI takes no thinking budget: use {reasoning_effort} instead",
            )
        )
    if req.top_k is not None:
        warnings.append(Unsupported("top_k", NAME, "OpenAI has no top_k: {top_k} was not sent"))
    return compat.http_call(req, conn, body, warnings)


# Answers are plain OpenAI chat completions (bodies and SSE streams).
decode = answers.decode
decode_stream = answers.decode_stream
stream_decoder = answers.stream_decoder


def decode_error(status: int, body: bytes) -> ProviderError:
    return answers.decode_error(NAME, status, body)


# ---- embeddings, images, model list --------------------------------------------------


def encode_embed(req: EmbedRequest, conn: Connection) -> HttpCall:
    from llmcli.providers.openai_chat import endpoints

    return endpoints.embed_call(req, conn)


def decode_embed(body: bytes) -> _tasks.Embeddings:
    from llmcli.providers.openai_chat import endpoints

    return endpoints.decode_embeddings(body)


def encode_models(conn: Connection) -> HttpCall:
    from llmcli.providers.openai_chat import endpoints

    return endpoints.models_call(conn)


def decode_models(body: bytes) -> list[_catalog.Model]:
    from llmcli.providers.openai_chat import endpoints

    return endpoints.decode_model_list(body, NAME)


def encode_image(req: ImageRequest, conn: Connection) -> HttpCall:
    """`POST {base}/images/generations {model, prompt, n?, size?, quality?}`.

    dall-e models get `response_format: "b64_json"`; GPT image models always answer in
    base64 and reject `response_format` (400 unknown_parameter, corpus
    openai/images-error-400-fixture). `--image-config` keys are merged into the body.
    A size or quality the model family does not take is refused here (exit 2).
    """
    facts = profiles.openai_image(req.model)
    if facts is not None:
        _check_image(req, facts)
    body: dict[str, Any] = {"model": req.model, "prompt": req.prompt}
    if req.n != 1:
        body["n"] = req.n
    if req.size is not None:
        body["size"] = req.size
    if req.quality is not None:
        body["quality"] = req.quality
    if facts is not None and facts.b64_json:
        body["response_format"] = "b64_json"
    body.update(req.extra)
    return HttpCall(
        method="POST",
        url=conn.base_url + "/images/generations",
        headers=compat.auth_headers(conn),
        json=body,
        framing="json",
    )


def _check_image(req: ImageRequest, facts: profiles.ImageProfile) -> None:
    """A size, quality or count the model family does not take: refused before sending."""
    if req.size is not None and req.size not in facts.sizes:
        takes = ", ".join(facts.sizes)
        raise Refused("size", NAME, f"{{size}} {req.size}: {req.model} takes {takes}")
    if req.quality is not None and req.quality not in facts.qualities:
        takes = ", ".join(facts.qualities)
        raise Refused("quality", NAME, f"{{quality}} {req.quality}: {req.model} takes {takes}")
    if req.n > facts.most:
        most = facts.most
        raise Refused("n", NAME, f"{{n}} {req.n}: {req.model} makes at most {most} per request")


def decode_image(body: bytes) -> _tasks.Images:
    """`{created, data: [{b64_json | url, revised_prompt?}], output_format?, usage?}`
    (corpus openai/images-generations-b64-fixture). GPT image models report token usage
    (`input_tokens`, `output_tokens`)."""
    from llmcli import tasks as _tasks
    from llmcli.errors import DecodeError
    from llmcli.events import Usage
    from llmcli.providers._common import int_or_none, load_json

    data = load_json(body, "image answer")
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise DecodeError("the image answer has no `data` list")
    fmt = data.get("output_format")
    mime = f"image/{'jpeg' if fmt == 'jpg' else fmt}" if isinstance(fmt, str) else None
    images: list[_tasks.ImageData] = []
    for item in items:
        revised = item.get("revised_prompt") if isinstance(item, dict) else None
        if isinstance(item, dict) and isinstance(item.get("b64_json"), str):
            images.append(
                _tasks.ImageData(
                    data=_tasks.decode_base64(item["b64_json"]), mime=mime, revised_prompt=revised
                )
            )
        elif isinstance(item, dict) and isinstance(item.get("url"), str):
            images.append(_tasks.ImageData(url=item["url"], mime=mime, revised_prompt=revised))
        else:
            raise DecodeError("an image in the answer has neither b64_json nor url")
    usage = data.get("usage") or {}
    return _tasks.Images(
        images=images,
        usage=Usage(
            input_tokens=int_or_none(usage.get("input_tokens")),
            output_tokens=int_or_none(usage.get("output_tokens")),
        ),
    )
