"""How long to hold new requests, from a response's rate-limit headers.

OpenAI: `x-ratelimit-remaining-{requests,tokens}` (integers) and
`x-ratelimit-reset-{requests,tokens}`, a Go-style duration until the limit is full again
(`12ms`, `1s`, `6m0s`). Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,
output-tokens}-{remaining,reset}`, the reset an RFC 3339 instant. Sources: OpenAI rate
limits (community.openai.com/t/…/1268905, thoughtbot.com/blog/openai-rate-limits) and
Claude rate limits (docs.anthropic.com/de/api/rate-limits), as collected in
/work/shared/research/batch-apis.md §3.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_OPENAI = ("requests", "tokens")
_ANTHROPIC = ("requests", "tokens", "input-tokens", "output-tokens")
# A reset further off than this is not waited for by pausing: the retries handle it.
MAX_PAUSE = 60.0


def pause_for(headers: Mapping[str, str], now: dt.datetime | None = None) -> float:
    """Seconds until the most exhausted limit (one with nothing remaining) is full again;
    0 when none is exhausted or the headers are absent or unreadable."""
    waits = [0.0]
    for kind in _OPENAI:
        if _remaining(headers.get(f"x-ratelimit-remaining-{kind}")) == 0:
            waits.append(_duration(headers.get(f"x-ratelimit-reset-{kind}")))
    for kind in _ANTHROPIC:
        if _remaining(headers.get(f"anthropic-ratelimit-{kind}-remaining")) == 0:
            waits.append(_until(headers.get(f"anthropic-ratelimit-{kind}-reset"), now))
    return min(max(waits), MAX_PAUSE)


def _remaining(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _duration(value: str | None) -> float:
    """`6m0s` → 360.0; unreadable → 0."""
    if not value:
        return 0.0
    return sum(float(n) * _UNIT[unit] for n, unit in _DURATION.findall(value))


def _until(value: str | None, now: dt.datetime | None) -> float:
    """An RFC 3339 instant → seconds from now (0 when past or unreadable)."""
    if not value:
        return 0.0
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return max((when - now).total_seconds(), 0.0)
