"""The one request object every provider encoder reads.

Flags are parsed and validated into a `Request` once; encoders never see flags.

These are plain dataclasses, checked once where input enters (request_rules.check for
the CLI's flags and a gateway client's body, `parse_message` for stored rows), not pydantic
models validated on every construction: a pydantic model of this tree costs each run
about 1 MiB of validators and serializers (bench/README.md) that a value made by our
own code never needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Literal, TypeVar, Union

ReasoningEffort = Literal["none", "low", "medium", "high"]

# kw_only: parts and messages are built by name, as pydantic models were (and a field
# with a default, such as `type`, may come before the required ones).


@dataclass(frozen=True, kw_only=True)
class TextPart:
    type: Literal["text"] = "text"
    text: str


@dataclass(frozen=True, kw_only=True)
class ReasoningPart:
    """A thinking block kept for replay: the signature or redacted data must go back unchanged."""

    type: Literal["reasoning"] = "reasoning"
    text: str = ""
    signature: str | None = None
    redacted: str | None = None


@dataclass(frozen=True, kw_only=True)
class ToolCallPart:
    type: Literal["tool_call"] = "tool_call"
    id: str
    name: str
    arguments: Any = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AttachmentPart:
    """An image, PDF or text file: base64 `data` or a remote `url` (never both).

    `name` is the file name (a document title with --cite); `path` and `sha256` are kept
    so history can say which file it was.
    """

    type: Literal["attachment"] = "attachment"
    mime: str
    data: str | None = None
    url: str | None = None
    name: str | None = None
    path: str | None = None
    sha256: str | None = None

    @property
    def kind(self) -> Literal["image", "pdf", "text"]:
        if self.mime.startswith("image/"):
            return "image"
        return "pdf" if self.mime == "application/pdf" else "text"

    def text(self) -> str:
        """The decoded content of a text attachment."""
        import base64

        return base64.b64decode(self.data or "").decode("utf-8", errors="replace")


@dataclass(frozen=True, kw_only=True)
class ToolResultPart:
    """A tool's answer. `images` (an MCP tool's image content) go along where a provider
    takes images in a tool result (Anthropic); `content` names them for the others.
    `server` is the MCP server that ran the tool (kept in the history)."""

    type: Literal["tool_result"] = "tool_result"
    tool_call_id: str
    name: str
    content: str
    is_error: bool = False
    images: list[AttachmentPart] | None = None
    server: str | None = None


Part = Union[TextPart, ReasoningPart, ToolCallPart, ToolResultPart, AttachmentPart]  # noqa: UP007


@dataclass(kw_only=True)
class Message:
    role: Literal["user", "assistant"]
    parts: list[Part]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))


def user_message(text: str) -> Message:
    return Message(role="user", parts=[TextPart(text=text)])


def _empty_object() -> dict[str, Any]:
    return {"type": "object", "properties": {}}


@dataclass(kw_only=True)
class Tool:
    """A function the model may call (OpenAI function-tool shape, provider-neutral).

    `hosted` holds an Anthropic hosted tool given with its own `type` (computer use,
    text editor, memory, code execution, bash...), passed through unchanged.
    """

    name: str
    description: str | None = None
    parameters: dict[str, Any] = field(default_factory=_empty_object)
    strict: bool | None = None
    hosted: dict[str, Any] | None = None


@dataclass(kw_only=True)
class ResponseFormat:
    """`--json-schema` (`json_schema` with a schema) or `--json-mode` (`json_object`)."""

    type: Literal["json_schema", "json_object"]
    name: str = "response"
    json_schema: dict[str, Any] | None = None
    strict: bool = True


@dataclass(kw_only=True)
class McpServer:
    url: str
    name: str
    token: str | None = None


# The forced tool used for JSON output where a provider has no native structured output;
# decoders turn its input into the answer text.
JSON_TOOL = "json_tool_call"


@dataclass(kw_only=True)
class Request:
    """A provider-neutral request. `model` is the provider's own id (prefix removed).
    Made by a front end, then checked once (request_rules.check) before it is encoded."""

    provider: str
    model: str
    messages: list[Message]
    system: str | None = None
    stream: bool = True
    thinking: bool = False
    thinking_budget: int | None = None
    reasoning_effort: ReasoningEffort | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    stop: list[str] = field(default_factory=list)
    user: str | None = None
    suffix: str | None = None
    text_completion: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    # Structured output and tools.
    response_format: ResponseFormat | None = None
    tools: list[Tool] = field(default_factory=list)
    tool_choice: str | None = None  # auto | none | required | a tool name
    parallel_tool_calls: bool = True
    # Documents, caching and Anthropic extras.
    cite: bool = False
    cache_system: bool = False
    cache_tools: bool = False
    cache_ttl: Literal["5m", "1h"] | None = None
    prefill: str | None = None
    web_search: bool = False
    web_search_max_uses: int | None = None
    mcp_servers: list[McpServer] = field(default_factory=list)
    betas: list[str] = field(default_factory=list)

    @property
    def wants_reasoning(self) -> bool:
        """Thinking was asked for, by `--thinking` or an effort other than `none`."""
        return self.thinking or self.reasoning_effort not in (None, "none")

    def attachments(self) -> list[AttachmentPart]:
        return [p for m in self.messages for p in m.parts if isinstance(p, AttachmentPart)]

    def prompt_text(self) -> str:
        """All user text, for endpoints that take one prompt string (Ollama generate, FIM)."""
        return "\n\n".join(m.text for m in self.messages if m.role == "user")


# ---- the bounds a front end checks (request_rules.check) -----------------------------


@dataclass(frozen=True)
class Bound:
    """A number field's kind and bounds: `low`/`high` inclusive, `above` exclusive."""

    kind: type
    low: float | None = None
    high: float | None = None
    above: float | None = None

    def holds(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.kind is int and not isinstance(value, int):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        return (
            (self.low is None or value >= self.low)
            and (self.high is None or value <= self.high)
            and (self.above is None or value > self.above)
        )


# The bounded fields of a Request (cli/invalid.py words the rule from these).
BOUNDS: dict[str, Bound] = {
    "thinking_budget": Bound(int, above=0),
    "temperature": Bound(float, low=0, high=2),
    "top_p": Bound(float, low=0, high=1),
    "top_k": Bound(int, low=1),
    "max_tokens": Bound(int, above=0),
    "web_search_max_uses": Bound(int, above=0),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "reasoning_effort": ("none", "low", "medium", "high"),
    "cache_ttl": ("5m", "1h"),
}


# ---- to and from plain JSON values (the history's rows) -------------------------------

_PARTS: dict[str, type[Any]] = {
    "text": TextPart,
    "reasoning": ReasoningPart,
    "tool_call": ToolCallPart,
    "tool_result": ToolResultPart,
    "attachment": AttachmentPart,
}


def parse_part(data: dict[str, Any]) -> Part:
    """A stored part (as `dump` wrote it) → its dataclass; ValueError for an unknown type
    or a field that no part has."""
    kind = _PARTS.get(str(data.get("type")))
    if kind is None:
        raise ValueError(f"unknown part type {data.get('type')!r}")
    values = dict(data)
    if kind is ToolResultPart and values.get("images") is not None:
        values["images"] = [parse_part(image) for image in values["images"]]
    try:
        part: Part = kind(**values)
    except TypeError as err:
        raise ValueError(f"bad {data.get('type')} part: {err}") from None
    return part


def parse_message(role: str, parts: list[dict[str, Any]]) -> Message:
    if role not in ("user", "assistant"):
        raise ValueError(f"unknown role {role!r}")
    return Message(role=role, parts=[parse_part(p) for p in parts])  # type: ignore[arg-type]


def dump(value: Any) -> Any:
    """A dataclass (and the lists and dicts it holds) → plain JSON values, its fields
    set to None left out (as pydantic's `model_dump(exclude_none=True)` did)."""
    if is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if item is not None:
                out[f.name] = dump(item)
        return out
    if isinstance(value, list):
        return [dump(item) for item in value]
    if isinstance(value, dict):
        return {key: dump(item) for key, item in value.items()}
    return value


T = TypeVar("T")


def changed(value: T, **update: Any) -> T:
    """A copy of a request, message or part with `update` applied (not checked again)."""
    return replace(value, **update)  # type: ignore[type-var]


# ---- the non-chat tasks (plain dataclasses: validated by the front end) ----------------


@dataclass
class EmbedRequest:
    provider: str
    model: str
    inputs: list[str]
    dimensions: int | None = None
    options: dict[str, Any] = field(default_factory=dict)  # -o KEY=VALUE, merged last


@dataclass
class ImageRequest:
    provider: str
    model: str
    prompt: str
    n: int = 1
    size: str | None = None  # WxH
    quality: str | None = None  # low | medium | high | standard | hd
    extra: dict[str, Any] = field(default_factory=dict)  # --image-config: provider's own keys
