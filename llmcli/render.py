"""Show events as they arrive: plain text for pipes, styled for a terminal, or one JSON object.

Renderers only see events and the final `Result`; rich is imported only when a
terminal needs it. On a terminal, text from the model (answer, reasoning, tool names,
sources) shows its control characters instead of obeying them (llmcli/controls.py);
pipes and `--json` get the exact text, at no extra cost per chunk.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Protocol, TextIO

from llmcli.controls import VisibleWriter, visible
from llmcli.events import Event, ReasoningDelta, Result, TextDelta, Usage

DIM = "\x1b[2m"
RESET = "\x1b[0m"


class Renderer(Protocol):
    def event(self, event: Event) -> None: ...
    def finish(self, result: Result) -> None: ...  # after each answer
    def close(self) -> None: ...  # once, after the last answer


def colour_allowed(stream: TextIO, mode: str = "auto") -> bool:
    """`auto`: colour only on a terminal, never when NO_COLOR is set (https://no-color.org);
    the config's `color = "always"|"never"` overrides both."""
    if mode != "auto":
        return mode == "always"
    return stream.isatty() and not os.environ.get("NO_COLOR")


class TextRenderer:
    """Answer text to stdout as it arrives; reasoning to stderr (dimmed on a terminal)."""

    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        *,
        show_reasoning: bool = True,
        colour: str = "auto",
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.show_reasoning = show_reasoning
        self.styled = colour_allowed(self.out, colour)
        self._dim_err = colour_allowed(self.err, colour)
        # Our own escapes (styles, rich) go to the raw streams; the model's text goes
        # through self.out/self.err, which on a terminal make control characters visible.
        self._raw_out, self._raw_err = self.out, self.err
        if self.out.isatty():
            self.out = VisibleWriter(self.out)
        if self.err.isatty():
            self.err = VisibleWriter(self.err)
        self._in_reasoning = False
        self._last_char = "\n"

    def event(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            if self._in_reasoning:
                self._end_reasoning()
            self.write_text(event.text)
        elif isinstance(event, ReasoningDelta) and self.show_reasoning and event.text:
            if not self._in_reasoning:
                self._in_reasoning = True
                if self._dim_err:
                    self._raw_err.write(DIM)
            self.err.write(event.text)
            self.err.flush()

    def write_text(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
        self._last_char = text[-1]

    def _end_reasoning(self) -> None:
        if self._in_reasoning:
            self._in_reasoning = False
            self._raw_err.write((RESET if self._dim_err else "") + "\n\n")
            self.err.flush()

    def finish(self, result: Result) -> None:
        self._end_reasoning()
        self.end_text(result)
        if result.tool_calls or result.server_tool_calls:
            self._tool_calls(result)
        if result.citations:
            self._sources(result)

    def close(self) -> None:
        pass

    def end_text(self, result: Result) -> None:
        if result.content and self._last_char != "\n":
            self.out.write("\n")
        self.out.flush()

    def _tool_calls(self, result: Result) -> None:
        calls = result.server_tool_calls + result.tool_calls
        if not self.styled:
            for call in calls:
                self.err.write(f"tool call: {call.name} {json.dumps(call.arguments)}\n")
            return
        from rich.console import Console
        from rich.markup import escape
        from rich.panel import Panel
        from rich.syntax import Syntax

        console = Console(file=self._raw_out)
        for call in calls:
            # json.dumps escapes control characters in the arguments; the name is shown.
            body = Syntax(json.dumps(call.arguments, indent=2), "json", background_color="default")
            label = "server tool" if call.server else "tool call"
            name = escape(visible(call.name))
            console.print(Panel(body, title=f"{label}: [bold]{name}[/]", expand=False))

    def _sources(self, result: Result) -> None:
        stream = self.out if self.styled else self.err
        stream.write("\nSources:\n")
        for n, c in enumerate(result.citations, 1):
            where = c.url or c.title or f"document {c.document_index}"
            quoted = f' "{c.cited_text[:80]}"' if c.cited_text else ""
            stream.write(f"  [{n}] {where}{quoted}\n")


class TerminalRenderer(TextRenderer):
    """A terminal: the answer renders as markdown while it streams (see markdown_stream)."""

    def __init__(self, *, show_reasoning: bool = True, colour: str = "auto") -> None:
        super().__init__(show_reasoning=show_reasoning, colour=colour)
        from rich.console import Console

        from llmcli.markdown_stream import MarkdownStream

        self.markdown = MarkdownStream(Console(file=self._raw_out))

    def write_text(self, text: str) -> None:
        # Rendered text is never the exact text: made visible even with color = "always"
        # on a pipe.
        self.markdown.feed(visible(text))

    def end_text(self, result: Result) -> None:
        self.markdown.close()


class JsonRenderer:
    """Nothing while streaming; one JSON object on stdout at the end."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.last: Result | None = None

    def event(self, event: Event) -> None:
        pass

    def finish(self, result: Result) -> None:
        self.last = result

    def close(self) -> None:
        if self.last is not None:
            self.out.write(json.dumps(self.last.as_json(), ensure_ascii=False) + "\n")
            self.out.flush()


def usage_line(usage: Usage, saved: float | None = None) -> str:
    """`usage: 120 input (100 cached, 83% cache hit), 45 output (30 reasoning), $0.0012,
    caching saved $0.0003`: the hit ratio is cache reads / input tokens."""
    parts: list[str] = []
    if usage.input_tokens is not None:
        extra = _detail(
            ("cached", usage.cache_read_tokens), ("cache write", usage.cache_write_tokens)
        )
        if usage.cache_read_tokens and usage.input_tokens:
            hit = f"{usage.cache_read_tokens / usage.input_tokens:.0%} cache hit"
            extra = extra[:-1] + f", {hit})"
        parts.append(f"{usage.input_tokens:,} input{extra}")
    if usage.output_tokens is not None:
        extra = _detail(("reasoning", usage.reasoning_tokens))
        parts.append(f"{usage.output_tokens:,} output{extra}")
    if usage.cost is not None:
        parts.append(format_usd(usage.cost))
    if saved:
        parts.append(f"caching saved {format_usd(saved)}")
    return "usage: " + (", ".join(parts) if parts else "not reported by the provider")


def format_usd(cost: float) -> str:
    """`$0.0021`; a cost too small for six decimals is `<$0.000001`, not `$0`."""
    if 0 < cost < 0.0000005:
        return "<$0.000001"
    return f"${cost:.6f}".rstrip("0").rstrip(".") if cost else "$0"


def _detail(*pairs: tuple[str, Any]) -> str:
    shown = [f"{value:,} {label}" for label, value in pairs if value]
    return f" ({', '.join(shown)})" if shown else ""


class ExtractRenderer(JsonRenderer):
    """-x/--extract-last: the first (or last) code block's contents, or the whole answer
    with a note on stderr when it has none. -x prints the first block as soon as its
    closing fence streams in (a block is whole only then: half a command piped to `sh`
    would run); --extract-last and --json wait for the end. With --json, the answer's
    object gains `extracted`."""

    def __init__(self, from_end: bool, json_out: bool, out: TextIO | None = None) -> None:
        super().__init__(out)
        from llmcli.templates.extract import Blocks

        self.from_end = from_end
        self.json_out = json_out
        self.blocks: Blocks | None = None if from_end or json_out else Blocks()
        self.printed = False

    def event(self, event: Event) -> None:
        if self.blocks is not None and not self.printed and isinstance(event, TextDelta):
            self._print_first(self.blocks.feed(event.text))

    def finish(self, result: Result) -> None:
        super().finish(result)
        if self.blocks is not None and not self.printed:
            self._print_first(self.blocks.end())
            from llmcli.templates.extract import Blocks

            self.blocks = Blocks()  # a tool step's next answer starts afresh

    def _print_first(self, found: list[str]) -> None:
        if found:
            self.out.write(found[0] + "\n")
            self.out.flush()
            self.printed = True

    def close(self) -> None:
        if self.last is None or self.printed:
            return
        from llmcli.templates.extract import pick

        block = pick(self.last.content, self.from_end)
        if self.json_out:
            data = {**self.last.as_json(), "extracted": block}
            self.out.write(json.dumps(data, ensure_ascii=False) + "\n")
        elif block is None:
            sys.stderr.write("llmcli: the answer has no code block: printed it whole\n")
            self.out.write(self.last.content.rstrip("\n") + "\n")
        else:
            self.out.write(block + "\n")
        self.out.flush()
