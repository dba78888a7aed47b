"""Reading a client's JSON body: typed getters that answer 400 with `param` naming the
field (as OpenAI does: `"param": "messages[0].content"`), and the pieces both inbound
formats share (data URLs, tool-result names, the provider's body shape)."""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import PurePosixPath
from typing import Any, TypeVar, cast

from llmcli.gateway.errors import bad_request
from llmcli.inputs import URL_TYPES
from llmcli.request import AttachmentPart, Message, ToolCallPart

T = TypeVar("T")

_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


def obj(body: Any, what: str = "the request body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(f"{what} must be a JSON object", None if what.startswith("the") else what)
    return body


def typed(value: Any, kind: type[T], param: str) -> T:
    """`value` if it is a `kind` (bool is not an int here), else 400 naming `param`."""
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise bad_request(f"{param} must be {_NAMES.get(kind, kind.__name__)}", param)
    return cast(T, value)


def opt(body: dict[str, Any], key: str, kind: type[T], param: str | None = None) -> T | None:
    value = body.get(key)
    return None if value is None else typed(value, kind, param or key)


def number(body: dict[str, Any], key: str, low: float, high: float | None = None) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(f"{key} must be a number", key)
    if value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise bad_request(f"{key} must be {bound}, not {value}", key)
    return float(value)


def positive_int(body: dict[str, Any], key: str) -> int | None:
    value = opt(body, key, int)
    if value is not None and value < 1:
        raise bad_request(f"{key} must be at least 1, not {value}", key)
    return value


def text_list(value: Any, param: str) -> list[str]:
    """A string or an array of strings (OpenAI `stop`, Anthropic `stop_sequences`)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    items = typed(value, list, param)
    return [typed(v, str, f"{param}[{i}]") for i, v in enumerate(items)]


def url_part(
    url: str, param: str, default: str = "image/jpeg", name: str | None = None
) -> AttachmentPart:
    """`data:<mime>;base64,<data>` or an http(s) URL → an attachment. A URL's type comes
    from its suffix (the CLI's table); one without a known suffix is taken as `default`
    (JPEG, the commonest on the web): the Anthropic and OpenAI encoders send URLs as they
    are and do not read the type."""
    if url.startswith("data:"):
        head, comma, payload = url[5:].partition(",")
        if not comma or not head.endswith(";base64"):
            raise bad_request(f"{param}: a data URL must be base64 (data:<type>;base64,...)", param)
        mime = head[: -len(";base64")].split(";", 1)[0] or default
        return AttachmentPart(mime=mime, data=checked_base64(payload, param), name=name)
    if not url.startswith(("http://", "https://")):
        raise bad_request(f"{param}: expected an http(s) or data: URL", param)
    suffix = PurePosixPath(url.split("?", 1)[0]).suffix.lower()
    return AttachmentPart(mime=URL_TYPES.get(suffix, default), url=url, name=name)


def checked_base64(data: str, param: str) -> str:
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"{param} is not valid base64", param) from None
    return data


def call_names(messages: list[Message]) -> dict[str, str]:
    """Tool call id → tool name, from the assistant turns so far (a tool result names
    only the call's id; Ollama and Gemini-style encoders need the name)."""
    return {
        p.id: p.name
        for m in messages
        if m.role == "assistant"
        for p in m.parts
        if isinstance(p, ToolCallPart)
    }


def arguments(text: Any, param: str) -> Any:
    """OpenAI `function.arguments` (a JSON string) → the parsed value; a string that is not
    JSON is kept raw, as the decoders keep it (ToolCallDone.arguments)."""
    if not isinstance(text, str):
        return typed(text, dict, param)
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


def shape(provider: str) -> str:
    """Which wire family the provider's encoder writes: anthropic, ollama or openai."""
    from llmcli.providers import PROVIDERS

    spec = PROVIDERS.get(provider)
    module = spec.module if spec else provider
    return module if module in ("anthropic", "ollama") else "openai"


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
