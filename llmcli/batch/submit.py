"""`batch submit`: the input's lines, encoded by the live encoders, into provider batches.

Every line is encoded (as `batch run` would send it) and written to a temporary file
before anything is uploaded, so every limit is checked first: a line the provider could
never take, a mix of providers (or of models, for OpenAI), custom_ids Anthropic refuses.
Above a provider's limits (requests, bytes) the input is cut into several batches.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from llmcli.errors import UsageError
from llmcli.providers.batch_api import Limits, fits
from llmcli.providers.batch_wire import module_for
from llmcli.transport import Connection, HttpCall

MB = 1000 * 1000


@dataclass
class Encoded:
    """One input line as its live call, with where that call would have gone."""

    custom_id: str
    number: int
    provider: str
    model: str
    call: HttpCall
    connection: Connection


@dataclass
class Part:
    """One provider batch to create: its encoded requests in a temporary file."""

    file: IO[bytes]
    count: int = 0
    size: int = 0
    betas: list[str] = field(default_factory=list)

    def data(self) -> bytes:
        self.file.seek(0)
        return self.file.read()


@dataclass
class Plan:
    provider: str
    model: str
    connection: Connection
    endpoint: str  # OpenAI: the `endpoint` of every part
    parts: list[Part]

    @property
    def requests(self) -> int:
        return sum(p.count for p in self.parts)

    def close(self) -> None:
        for part in self.parts:
            part.file.close()


def plan(encoded: Iterable[Encoded], limits: Limits | None = None) -> Plan:
    """Write every line into parts within the provider's limits (`limits` overrides
    them: tests); raise `UsageError` listing every line that cannot be submitted."""
    builder: _Builder | None = None
    try:
        for line in encoded:
            if builder is None:
                builder = _Builder(line, limits)
            builder.add(line)
    except BaseException:
        if builder:
            builder.close()
        raise
    if builder is None:
        raise UsageError("nothing to submit: the input has no valid line")
    return builder.finish()


class _Builder:
    def __init__(self, first: Encoded, limits: Limits | None) -> None:
        self.wire = module_for(first.provider)
        self.first = first
        self.limits: Limits = limits or self.wire.LIMITS
        # Room for what wraps the requests (`{"requests":[...]}`) besides the lines.
        self.room = Limits(self.limits.requests, self.limits.bytes - 64)
        self.separator = b"\n" if first.provider == "openai" else b","
        self.parts: list[Part] = []
        self.problems: list[str] = []
        self.endpoint = ""

    def add(self, line: Encoded) -> None:
        problem = self._problem(line)
        if problem:
            self.problems.append(f"line {line.number}: {problem}")
            return
        data = json.dumps(self._entry(line), ensure_ascii=False).encode() + self.separator
        if len(data) > self.room.bytes:
            self.problems.append(
                f"line {line.number}: {len(data) / MB:.1f} MB encoded, more than a"
                f" {line.provider} batch may hold ({self.limits.bytes / MB:.0f} MB)"
            )
            return
        part = self.parts[-1] if self.parts else None
        if part is None or not fits(part.count, part.size, len(data), self.room):
            part = Part(tempfile.TemporaryFile())  # noqa: SIM115 (closed by Plan.close)
            self.parts.append(part)
        part.file.write(data)
        part.count += 1
        part.size += len(data)
        if line.provider == "anthropic":
            part.betas = list(dict.fromkeys([*part.betas, *self.wire.betas(line.call)]))

    def _problem(self, line: Encoded) -> str | None:
        first = self.first
        if line.provider != first.provider:
            return f"{line.provider}/ here but {first.provider}/ before: one provider per submit"
        if line.provider == "openai":
            if line.model != first.model:
                # "One input file may only target a single model" (OpenAI Batch guide).
                return (
                    f"model {line.model} here but {first.model} before: OpenAI takes one"
                    " model per batch"
                )
            path = self.wire.endpoint(line.call, line.connection)
            if self.endpoint and path != self.endpoint:
                return f"endpoint {path} here but {self.endpoint} before: one per batch"
            self.endpoint = path
        elif not self.wire.CUSTOM_ID.fullmatch(line.custom_id):
            return f"custom_id {line.custom_id!r}: Anthropic takes 1-64 letters, digits, _ or -"
        return None

    def _entry(self, line: Encoded) -> dict[str, Any]:
        if line.provider == "openai":
            entry: dict[str, Any] = self.wire.input_line(line.custom_id, line.call, line.connection)
            return entry
        request: dict[str, Any] = self.wire.request_entry(line.custom_id, line.call)
        return request

    def finish(self) -> Plan:
        if self.problems:
            self.close()
            raise Problems(self.problems)
        for part in self.parts:
            if self.first.provider == "anthropic":  # no comma after the last entry
                part.file.seek(-1, 2)
                part.file.truncate()
                part.size -= 1
        first = self.first
        return Plan(first.provider, first.model, first.connection, self.endpoint, self.parts)

    def close(self) -> None:
        for part in self.parts:
            part.file.close()


class Problems(UsageError):
    """Lines that cannot be submitted: all of them, then one summary."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} input line(s) cannot be submitted, nothing was uploaded")
