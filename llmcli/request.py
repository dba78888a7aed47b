"""The one request object every provider encoder reads.

Flags are parsed and validated into a `Request` once; encoders never see flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ReasoningEffort = Literal["none", "low", "medium", "high"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextPart(_Part):
    type: Literal["text"] = "text"
    text: str


class ReasoningPart(_Part):
    """A thinking block kept for replay: the signature or redacted data must go back unchanged."""

    type: Literal["reasoning"] = "reasoning"
    text: str = ""
    signature: str | None = None
    redacted: str | None = None


class ToolCallPart(_Part):
    type: Literal["tool_call"] = "tool_call"
    id: str
    name: str
    arguments: Any = Field(default_factory=dict)


class ToolResultPart(_Part):
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


class AttachmentPart(_Part):
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


ToolResultPart.model_rebuild()  # `images` names AttachmentPart, defined after it

Part = Annotated[
    TextPart | ReasoningPart | ToolCallPart | ToolResultPart | AttachmentPart,
    Field(discriminator="type"),
]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    parts: list[Part]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))


def user_message(text: str) -> Message:
    return Message(role="user", parts=[TextPart(text=text)])


class Tool(BaseModel):
    """A function the model may call (OpenAI function-tool shape, provider-neutral).

    `hosted` holds an Anthropic hosted tool given with its own `type` (computer use,
    text editor, memory, code execution, bash...), passed through unchanged.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None
    hosted: dict[str, Any] | None = None


class ResponseFormat(BaseModel):
    """`--json-schema` (`json_schema` with a schema) or `--json-mode` (`json_object`)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["json_schema", "json_object"]
    name: str = "response"
    json_schema: dict[str, Any] | None = None
    strict: bool = True


class McpServer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    name: str
    token: str | None = None


# The forced tool used for JSON output where a provider has no native structured output;
# decoders turn its input into the answer text.
JSON_TOOL = "json_tool_call"


class Request(BaseModel):
    """A provider-neutral request. `model` is the provider's own id (prefix removed)."""

    model_config = ConfigDict(extra="forbid")

    provider: str
    model: str
    messages: list[Message]
    system: str | None = None
    stream: bool = True
    thinking: bool = False
    thinking_budget: int | None = Field(default=None, gt=0)
    reasoning_effort: ReasoningEffort | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, ge=1)
    max_tokens: int | None = Field(default=None, gt=0)
    stop: list[str] = Field(default_factory=list)
    user: str | None = None
    suffix: str | None = None
    text_completion: bool = False
    options: dict[str, Any] = Field(default_factory=dict)
    # Structured output and tools.
    response_format: ResponseFormat | None = None
    tools: list[Tool] = Field(default_factory=list)
    tool_choice: str | None = None  # auto | none | required | a tool name
    parallel_tool_calls: bool = True
    # Documents, caching and Anthropic extras.
    cite: bool = False
    cache_system: bool = False
    cache_tools: bool = False
    cache_ttl: Literal["5m", "1h"] | None = None
    prefill: str | None = None
    web_search: bool = False
    web_search_max_uses: int | None = Field(default=None, gt=0)
    mcp_servers: list[McpServer] = Field(default_factory=list)
    betas: list[str] = Field(default_factory=list)

    @property
    def wants_reasoning(self) -> bool:
        """Thinking was asked for, by `--thinking` or an effort other than `none`."""
        return self.thinking or self.reasoning_effort not in (None, "none")

    def attachments(self) -> list[AttachmentPart]:
        return [p for m in self.messages for p in m.parts if isinstance(p, AttachmentPart)]

    def prompt_text(self) -> str:
        """All user text, for endpoints that take one prompt string (Ollama generate, FIM)."""
        return "\n\n".join(m.text for m in self.messages if m.role == "user")


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
