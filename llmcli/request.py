"""The one request object every provider encoder reads.

Flags are parsed and validated into a `Request` once; encoders never see flags.
"""

from __future__ import annotations

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
    type: Literal["tool_result"] = "tool_result"
    tool_call_id: str
    name: str
    content: str
    is_error: bool = False


Part = Annotated[
    TextPart | ReasoningPart | ToolCallPart | ToolResultPart, Field(discriminator="type")
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

    @property
    def wants_reasoning(self) -> bool:
        """Thinking was asked for, by `--thinking` or an effort other than `none`."""
        return self.thinking or self.reasoning_effort not in (None, "none")

    def prompt_text(self) -> str:
        """All user text, for endpoints that take one prompt string (Ollama generate, FIM)."""
        return "\n\n".join(m.text for m in self.messages if m.role == "user")
