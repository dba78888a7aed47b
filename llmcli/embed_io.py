"""What `llmcli embed` reads (TEXT arguments, stdin, plain or JSONL files, lazily) and
writes (one JSON object, streamed JSONL, or a terminal summary)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from llmcli.errors import UsageError
from llmcli.policy import Policy


@dataclass
class Job:
    """What `llmcli embed` was asked to do, from its flags."""

    texts: list[str] = field(default_factory=list)
    model: str | None = None
    lines: bool = False
    file: Path | None = None
    dimensions: int | None = None
    batch_size: int = 100
    concurrency: int = 4
    fmt: str | None = None  # json | jsonl | None (a summary on a terminal, else json)
    usage: bool = False
    options: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    api_key: str | None = None
    api_base: str | None = None
    retries: int = Policy.retries
    timeout: float = Policy.timeout
    debug: bool = False


@dataclass
class Item:
    id: Any
    text: str


# ---- inputs --------------------------------------------------------------------------


def read_items(job: Job) -> tuple[Iterator[Item], int | None]:
    """The texts to embed, read lazily, and how many there are when that is known."""
    if job.texts:
        if job.file is not None:
            raise UsageError("give TEXT arguments or --file, not both")
        if any(not t.strip() for t in job.texts):
            raise UsageError("an empty TEXT cannot be embedded")
        return (Item(n, t) for n, t in enumerate(job.texts, 1)), len(job.texts)
    if job.file is not None:
        return _file_items(job.file), _count_lines(job.file)
    stdin = sys.stdin
    if stdin is None or stdin.closed or stdin.isatty():
        raise UsageError("nothing to embed: pass TEXT, --file FILE, or pipe text on stdin")
    text = _utf8(stdin)
    if job.lines:
        return _line_items(text, "stdin"), None
    whole = text.read()
    if not whole.strip():
        raise UsageError("nothing to embed: stdin was empty")
    return iter([Item(1, whole.rstrip("\n"))]), 1


def _utf8(stdin: TextIO) -> TextIO:
    import io

    return io.TextIOWrapper(stdin.buffer, encoding="utf-8", errors="strict", newline=None)


def _line_items(lines: TextIO, name: str) -> Iterator[Item]:
    try:
        for number, line in enumerate(lines, 1):
            text = line.rstrip("\r\n")
            if text.strip():
                yield Item(number, text)
    except UnicodeDecodeError:
        raise UsageError(f"{name} is not UTF-8 text") from None


def _file_items(path: Path) -> Iterator[Item]:
    try:
        handle = path.open(encoding="utf-8", newline=None)
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None
    with handle:
        jsonl = path.suffix.lower() in (".jsonl", ".ndjson") or _looks_like_jsonl(path)
        if not jsonl:
            yield from _line_items(handle, str(path))
            return
        for item in _line_items(handle, str(path)):
            yield _jsonl_item(path, item)


def _looks_like_jsonl(path: Path) -> bool:
    """The first non-blank line is a JSON object with a "text" string."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.strip():
                    if not line.lstrip().startswith("{"):
                        return False
                    try:
                        first = json.loads(line)
                    except ValueError:
                        return False
                    return isinstance(first, dict) and isinstance(first.get("text"), str)
    except OSError:
        return False
    return False


def _jsonl_item(path: Path, item: Item) -> Item:
    try:
        data = json.loads(item.text)
    except ValueError:
        raise UsageError(f"{path}:{item.id}: not a JSON object") from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise UsageError(f'{path}:{item.id}: needs a "text" string')
    if not data["text"].strip():
        raise UsageError(f'{path}:{item.id}: "text" is empty')
    return Item(data.get("id", item.id), data["text"])


def _count_lines(path: Path) -> int | None:
    try:
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None


def batched(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---- outputs -------------------------------------------------------------------------


class Output:
    def __init__(self) -> None:
        self.count = 0
        self.dimensions: int | None = None

    def add(self, batch: list[Item], vectors: list[list[float]]) -> None:
        self.count += len(batch)
        if self.dimensions is None and vectors:
            self.dimensions = len(vectors[0])

    def finish(self, model: str, usage: Any) -> None:
        pass


class JsonOutput(Output):
    """`{"model", "dimensions", "embeddings": [[...], ...], "usage": {...}}` at the end."""

    def __init__(self) -> None:
        super().__init__()
        self.vectors: list[list[float]] = []

    def add(self, batch: list[Item], vectors: list[list[float]]) -> None:
        super().add(batch, vectors)
        self.vectors.extend(vectors)

    def finish(self, model: str, usage: Any) -> None:
        out = {
            "model": model,
            "dimensions": self.dimensions,
            "embeddings": self.vectors,
            "usage": {"input_tokens": usage.input_tokens, "cost": usage.cost},
        }
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


class JsonlOutput(Output):
    """`{"id", "embedding"}` per input, written as each batch comes in."""

    def add(self, batch: list[Item], vectors: list[list[float]]) -> None:
        super().add(batch, vectors)
        write = sys.stdout.write
        for item, vector in zip(batch, vectors, strict=True):
            write(json.dumps({"id": item.id, "embedding": vector}, ensure_ascii=False) + "\n")
        sys.stdout.flush()


class Summary(Output):
    """On a terminal: how many, how long, and the first values of the first few."""

    SHOWN = 5

    def __init__(self) -> None:
        super().__init__()
        self.first: list[tuple[Item, list[float]]] = []

    def add(self, batch: list[Item], vectors: list[list[float]]) -> None:
        super().add(batch, vectors)
        room = self.SHOWN - len(self.first)
        self.first.extend(list(zip(batch, vectors, strict=True))[: max(room, 0)])

    def finish(self, model: str, usage: Any) -> None:
        from llmcli.render import usage_line

        noun = "embedding" if self.count == 1 else "embeddings"
        print(f"{self.count} {noun}, {self.dimensions} dimensions ({model})")
        for item, vector in self.first:
            values = ", ".join(f"{v:.4f}" for v in vector[:5])
            text = " ".join(item.text.split())
            text = text[:40] + "…" if len(text) > 41 else text
            print(f"  {item.id}: [{values}, …]  {text}")
        if self.count > len(self.first):
            print(f"  … and {self.count - len(self.first)} more (--json or --format jsonl for all)")
        sys.stderr.write(usage_line(usage) + "\n")
