"""What the providers' Batch APIs have in common, as neutral values (pure: no I/O).

`batch_openai` (files + batches) and `batch_anthropic` (message batches) each turn
their provider's objects into a `BatchInfo` and each result line into a `LineOutcome`;
`llmcli/batch/remote.py` does the I/O and decodes an outcome's body with the same
`decode`/`decode_error` as a live call. Shapes and limits:
/work/shared/research/batch-apis.md (OpenAI OpenAPI spec `Batch`, `BatchRequestInput`,
`BatchRequestOutput`; Claude API reference "Message Batches").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# Providers with a Batch API in llmcli (the registry names).
PROVIDERS = ("openai", "anthropic")
# Both charge half the standard price for batched requests: "50% of synchronous price"
# (OpenAI Batch guide), "50% of standard API prices" (Claude batch processing guide);
# batch-apis.md "At a glance".
DISCOUNT = 0.5


@dataclass(frozen=True)
class Limits:
    """How much one provider batch may hold: requests and bytes."""

    requests: int
    bytes: int


@dataclass
class BatchInfo:
    """A provider batch as `batch status` shows it; `state` is the provider's own word."""

    id: str
    provider: str
    state: str
    ended: bool
    counts: dict[str, int]
    created_at: float | None = None
    expires_at: float | None = None
    # Where the results are: OpenAI's output and error file ids, Anthropic's results_url.
    sources: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # batch-level (OpenAI `failed`)

    @property
    def total(self) -> int:
        return int(self.counts.get("total", sum(self.counts.values())))

    @property
    def finished(self) -> int:
        """Requests with a result so far."""
        if "total" in self.counts:
            return self.counts.get("completed", 0) + self.counts.get("failed", 0)
        return self.total - self.counts.get("processing", 0)


@dataclass
class LineOutcome:
    """One result line: the inner call's HTTP status and body when it was made, else
    why not (`kind`: expired, canceled, batch_expired, batch_cancelled, ...)."""

    custom_id: str
    status: int | None = None
    body: bytes | None = None
    kind: str | None = None
    message: str = ""


def unix_time(value: Any) -> float | None:
    """OpenAI's Unix seconds or Anthropic's RFC 3339 string → Unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()


def counts_of(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): int(v) for k, v in raw.items() if isinstance(v, int)}


def fits(count: int, used: int, size: int, limits: Limits) -> bool:
    """Whether one more request of `size` bytes fits a batch holding `count` requests
    of `used` bytes."""
    return count + 1 <= limits.requests and used + size <= limits.bytes
