"""The normalized event vocabulary every provider decodes into, and `Result`.

Decoders yield these events; renderers and the store only ever see them.
Anything provider-specific that must survive a round trip (thinking signatures,
redacted thinking, server tool blocks) rides inside them opaquely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]


@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class ReasoningDelta:
    """Reasoning text; `signature` closes a signed block, `redacted` is an opaque block."""

    text: str = ""
    signature: str | None = None
    redacted: str | None = None


@dataclass(slots=True)
class ToolCallStart:
    id: str
    name: str
    server: bool = False


@dataclass(slots=True)
class ToolCallDelta:
    id: str
    arguments_fragment: str


@dataclass(slots=True)
class ToolCallDone:
    """A complete call. `arguments` is the parsed JSON (the raw string if it did not parse).

    `server` marks calls the provider ran itself (Anthropic web search, code execution).
    """

    id: str
    name: str
    arguments: Any
    server: bool = False


@dataclass(slots=True)
class Citation:
    """A source backing part of the answer (a document location or a web result)."""

    kind: str
    cited_text: str | None = None
    title: str | None = None
    url: str | None = None
    document_index: int | None = None
    start: int | None = None
    end: int | None = None
    # Anthropic's web citation points into its search results by this opaque index; a
    # client that sends the citation back in a later turn must send it unchanged.
    encrypted_index: str | None = None


@dataclass(slots=True)
class ImageOut:
    """An image in the answer: a data URL or a remote URL, decoded only when saved."""

    url: str
    mime: str | None = None
    path: str | None = None  # where --save-images wrote it


@dataclass(slots=True)
class Usage:
    """Token counts with one meaning for every provider.

    `input_tokens` counts every input token, cache reads and writes included;
    `output_tokens` includes reasoning. `cost` is the provider's own figure (USD).
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    cost: float | None = None

    def add(self, other: Usage) -> None:
        """Sum another answer's usage into this one (what the other did not report stays)."""
        for name, value in other.as_dict().items():
            if value is not None:
                setattr(self, name, (getattr(self, name) or 0) + value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cost": self.cost,
        }


@dataclass(slots=True)
class Finish:
    reason: FinishReason | str
    model: str | None = None
    # Which of the request's stop sequences ended the answer, when the provider says
    # (Anthropic's `stop_sequence`); None otherwise (OpenAI's "stop" does not say which).
    stop_sequence: str | None = None


@dataclass(slots=True)
class StreamError:
    """The provider reported an error inside an answer that had already begun."""

    message: str
    error_type: str | None = None
    status: int | None = None


Event = (
    TextDelta
    | ReasoningDelta
    | ToolCallStart
    | ToolCallDelta
    | ToolCallDone
    | Citation
    | ImageOut
    | Usage
    | Finish
    | StreamError
)


@dataclass(slots=True)
class ReasoningBlock:
    """One thinking block; its text is kept in pieces so appending stays cheap."""

    parts: list[str] = field(default_factory=list)
    signature: str | None = None
    redacted: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class Result:
    """Everything one answer said, accumulated from its events."""

    provider: str
    model: str
    content: str = ""
    reasoning_blocks: list[ReasoningBlock] = field(default_factory=list)
    tool_calls: list[ToolCallDone] = field(default_factory=list)
    server_tool_calls: list[ToolCallDone] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    images: list[ImageOut] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    stop_sequence: str | None = None  # see Finish.stop_sequence
    error: str | None = None
    interrupted: bool = False
    # The wire request as sent, keys redacted (kept in the history database).
    request: dict[str, Any] | None = None

    @property
    def reasoning(self) -> str | None:
        text = "".join(block.text for block in self.reasoning_blocks)
        return text or None

    def as_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "content": self.content,
            "reasoning": self.reasoning,
            "tool_calls": [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in self.tool_calls
            ],
            "citations": [citation_json(c) for c in self.citations],
            "images": [image_json(i) for i in self.images],
            "finish_reason": self.finish_reason,
            "usage": self.usage.as_dict(),
        }


def image_json(image: ImageOut) -> dict[str, Any]:
    out: dict[str, Any] = {"url": image.url, "mime": image.mime}
    if image.path is not None:
        out["path"] = image.path
    return out


def citation_json(c: Citation) -> dict[str, Any]:
    return {
        k: v
        for k, v in (
            ("kind", c.kind),
            ("cited_text", c.cited_text),
            ("title", c.title),
            ("url", c.url),
            ("document_index", c.document_index),
            ("start", c.start),
            ("end", c.end),
            ("encrypted_index", c.encrypted_index),
        )
        if v is not None
    }


# How many text deltas the accumulator keeps before joining them into one block.
TEXT_FOLD = 512


class Accumulator:
    """Folds events into a `Result`; text is joined once at the end (flat per-chunk cost)."""

    def __init__(self, provider: str, model: str) -> None:
        self.result = Result(provider=provider, model=model)
        # The latest text deltas. The engine's hot loop appends to this list itself (no
        # Python call per chunk) and calls `fold_text` when it holds TEXT_FOLD of them.
        self.texts: list[str] = []
        # Earlier deltas, joined TEXT_FOLD at a time: thousands of tiny str objects would
        # cost more memory than their text (io.StringIO keeps them all, too), and one
        # growing string would leave a trail of ever larger freed copies in the heap.
        self._blocks: list[str] = []

    def add(self, event: Event) -> None:
        r = self.result
        if isinstance(event, TextDelta):
            self.texts.append(event.text)
            if len(self.texts) >= TEXT_FOLD:
                self.fold_text()
        elif isinstance(event, ReasoningDelta):
            self._add_reasoning(event)
        elif isinstance(event, ToolCallDone):
            (r.server_tool_calls if event.server else r.tool_calls).append(event)
        elif isinstance(event, Citation):
            r.citations.append(event)
        elif isinstance(event, ImageOut):
            r.images.append(event)
        elif isinstance(event, Usage):
            r.usage = event
        elif isinstance(event, Finish):
            if r.finish_reason != "error":
                r.finish_reason = event.reason
                r.stop_sequence = event.stop_sequence
            if event.model:
                r.model = event.model
        elif isinstance(event, StreamError):
            r.error = event.message
            r.finish_reason = "error"

    def _add_reasoning(self, event: ReasoningDelta) -> None:
        blocks = self.result.reasoning_blocks
        if event.redacted is not None:
            blocks.append(ReasoningBlock(redacted=event.redacted))
            return
        # A signature closes a block: the next reasoning text starts a new one.
        if not blocks or blocks[-1].signature is not None or blocks[-1].redacted is not None:
            blocks.append(ReasoningBlock())
        block = blocks[-1]
        if event.text:
            block.parts.append(event.text)
        if event.signature is not None:
            block.signature = event.signature

    def fail(self, message: str, *, interrupted: bool = False) -> None:
        """Mark the answer as broken off (a failure or Ctrl-C after it began)."""
        self.result.error = message
        self.result.finish_reason = "error"
        self.result.interrupted = interrupted

    def fold_text(self) -> None:
        self._blocks.append("".join(self.texts))
        self.texts.clear()  # the same list: the engine holds it

    def finish(self) -> Result:
        self.fold_text()
        self.result.content = "".join(self._blocks)
        self._blocks = [self.result.content]
        return self.result
