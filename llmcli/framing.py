"""Incremental SSE and NDJSON framing: bytes in any split → the same frames.

Kept apart from `transport` so that decoders, tests and benchmarks can frame
bytes without importing httpx.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from llmcli.errors import DecodeError

# SSE lines end in CRLF, LF or CR (WHATWG HTML, "Parsing an event stream").
# str.splitlines() is not usable: it also splits on U+2028, \x0b, \x1c...
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(slots=True)
class Frame:
    """One SSE event (`event` name, joined `data`) or one NDJSON line (`event` is None)."""

    event: str | None
    data: str


class _LineSplitter:
    """Turns byte chunks into complete text lines; holds partial lines and UTF-8 sequences."""

    def __init__(self) -> None:
        self._held = b""  # the start of a UTF-8 sequence that the next chunk completes
        # One leading byte order mark is dropped, as the SSE parsing rules ask (a BOM
        # would also make the first NDJSON line invalid JSON): undecided until text comes.
        self._bom_possible = True
        self._pending: list[str] = []
        self._held_cr = False
        self._broken: DecodeError | None = None

    def feed(self, chunk: bytes, final: bool = False) -> list[str]:
        # Decoded with one C call per chunk, here rather than in a helper: the incremental
        # codec objects, or one more call, add work to every chunk of a 20,000-chunk stream.
        if self._broken:
            raise self._broken
        data = self._held + chunk if self._held else chunk
        try:
            text, used = codecs.utf_8_decode(data, "strict", final)
        except UnicodeDecodeError as err:
            # The lines before the bad byte are whole answer text: pass them on now and
            # fail at the next chunk or the end, or a chunk holding both loses them.
            self._broken = DecodeError(f"the answer is not valid UTF-8 ({err.reason})")
            if final:
                raise self._broken from None
            text, used = codecs.utf_8_decode(data[: err.start], "strict", False)
        self._held = data[used:]
        if self._bom_possible and text:
            self._bom_possible = False
            if text[0] == "\ufeff":
                text = text[1:]
        if self._held_cr:
            text = "\r" + text
            self._held_cr = False
        if "\r" not in text:
            if "\n" not in text:
                if text:
                    self._pending.append(text)
                return self._flush() if final else []
            lines = text.split("\n")
        else:
            if text.endswith("\r") and not final:
                # The next chunk may start with "\n": decide once it arrives.
                self._held_cr = True
                text = text[:-1]
            lines = _LINE_END.split(text)
        if self._pending:
            lines[0] = "".join(self._pending) + lines[0]
            self._pending = []
        tail = lines.pop()
        if tail:
            self._pending.append(tail)
        if final:
            lines.extend(self._flush())
        return lines

    def _flush(self) -> list[str]:
        rest = "".join(self._pending)
        self._pending = []
        return [rest] if rest else []


class SSEParser:
    """Server-sent events: `event:` and `data:` fields, comments (`:`) skipped."""

    def __init__(self) -> None:
        self._lines = _LineSplitter()
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[Frame]:
        frames: list[Frame] = []
        for line in self._lines.feed(chunk):
            # Data lines and the blank lines ending events are nearly every line of a
            # stream: they are handled here, without a call each.
            if line[:6] == "data: ":
                self._data.append(line[6:])
            elif not line and self._data:
                frames.append(Frame(self._event, "\n".join(self._data)))
                self._event = None
                self._data = []
            else:
                self._line(line, frames)
        return frames

    def close(self) -> list[Frame]:
        """End of body: a last event without its blank line is still delivered."""
        frames: list[Frame] = []
        for line in self._lines.feed(b"", final=True):
            self._line(line, frames)
        self._line("", frames)
        return frames

    def _line(self, line: str, frames: list[Frame]) -> None:
        if not line:
            if self._data:
                frames.append(Frame(self._event, "\n".join(self._data)))
            self._event = None
            self._data = []
            return
        if line[0] == ":":
            return
        name, sep, value = line.partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value


class NDJSONParser:
    """Newline-delimited JSON (Ollama): one frame per non-blank line."""

    def __init__(self) -> None:
        self._lines = _LineSplitter()

    def feed(self, chunk: bytes) -> list[Frame]:
        return [Frame(None, line) for line in self._lines.feed(chunk) if line.strip()]

    def close(self) -> list[Frame]:
        return [Frame(None, line) for line in self._lines.feed(b"", final=True) if line.strip()]


def parser_for(framing: str) -> SSEParser | NDJSONParser:
    return SSEParser() if framing == "sse" else NDJSONParser()


def frames_of(body: bytes, framing: str, chunk_size: int | None = None) -> list[Frame]:
    """Frame a whole body (optionally fed in pieces); used by tests and benchmarks."""
    parser = parser_for(framing)
    frames: list[Frame] = []
    step = chunk_size or max(len(body), 1)
    for i in range(0, len(body), step):
        frames.extend(parser.feed(body[i : i + step]))
    frames.extend(parser.close())
    return frames
