"""What a request can cost before it is sent, and what has been spent today.

Input tokens: Anthropic counts them for free (`count_tokens`, exact); elsewhere they are
estimated at 4 characters a token. No local tokenizer fits: tiktoken covers only OpenAI's
models and downloads its encodings at first use (nothing to download from on an offline
machine), and the other providers publish none. The most output tokens are --max-tokens,
else what the provider is sent by default, else the catalog's most for the model. Prices
come from the catalog (llmcli/catalog); none there means the cost is unknown.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from llmcli.events import Usage
from llmcli.request import AttachmentPart, Message, ReasoningPart, Request, TextPart, dump

if TYPE_CHECKING:
    from llmcli.catalog import Price
    from llmcli.policy import Policy
    from llmcli.providers.base import ChatProvider
    from llmcli.transport import Connection

CHARS_PER_TOKEN = 4  # the usual rule of thumb for English text and code


@dataclass
class Estimate:
    model: str  # PROVIDER/MODEL
    input_tokens: int
    counted: bool  # by the provider (else estimated from characters)
    max_output: int | None
    low: float | None  # USD: the input alone (an empty answer)
    high: float | None  # USD: the input and the longest answer

    def tokens_text(self) -> str:
        how = "counted by the provider" if self.counted else "estimate: 4 characters a token"
        return f"{self.input_tokens:,} input tokens ({how})"

    def as_json(self) -> dict[str, object]:
        return {
            "model": self.model,
            "input_tokens": self.input_tokens,
            "input_counted": self.counted,
            "max_output_tokens": self.max_output,
            "cost_low": self.low,
            "cost_high": self.high,
        }


# ---- sizes ---------------------------------------------------------------------------


def message_chars(message: Message) -> int:
    """The characters a message sends: text, thinking, tool calls and results, text
    attachments (images and PDFs are not counted locally)."""
    chars = 0
    for part in message.parts:
        if isinstance(part, TextPart | ReasoningPart):
            chars += len(part.text)
        elif isinstance(part, AttachmentPart):
            if part.mime == "text/plain" and part.data:
                chars += len(part.data) * 3 // 4
        else:
            chars += len(json.dumps(dump(part)))
    return chars


def request_chars(req: Request) -> int:
    """Every text the request sends: the instructions (every text field but the names),
    tools, schema and messages."""
    chars = sum(
        len(value)
        for name, value in vars(req).items()
        if isinstance(value, str) and name not in ("provider", "model")
    )
    chars += sum(len(json.dumps(dump(t))) for t in req.tools or [])
    if req.response_format is not None:
        chars += len(json.dumps(dump(req.response_format)))
    return chars + sum(message_chars(m) for m in req.messages)


def local_tokens(chars: int) -> int:
    return -(-chars // CHARS_PER_TOKEN)  # rounded up


def max_output(req: Request) -> int | None:
    from llmcli import catalog
    from llmcli.providers.profiles import profile

    if req.max_tokens:
        return req.max_tokens
    default = profile(req.provider, req.model).default_max_tokens
    if default:
        return default
    entry = catalog.lookup(req.provider, req.model)
    return entry.max_output if entry else None


def worst_price(req: Request) -> Price | None:
    """The catalog price, with input priced as a cache write when one is asked for
    (a write costs more than plain input)."""
    from dataclasses import replace

    from llmcli import catalog

    entry = catalog.lookup(req.provider, req.model)
    if entry is None or entry.price is None or entry.price.input is None:
        return None
    price = entry.price
    caching = any(need == "prompt_cache" for need, _, _ in catalog.wanted(req))
    if caching and price.cache_write:
        return replace(price, input=max(price.input or 0.0, price.cache_write))
    return price


def estimate(req: Request, counted: int | None = None) -> Estimate:
    """The estimate for `req`, with the provider's own count of its input when given."""
    from llmcli.catalog import price_usage

    tokens = counted if counted is not None else local_tokens(request_chars(req))
    most = max_output(req)
    price = worst_price(req)
    low = high = None
    if price is not None:
        low = price_usage(price, Usage(input_tokens=tokens, output_tokens=0))
        if most is not None and price.output is not None:
            high = price_usage(price, Usage(input_tokens=tokens, output_tokens=most))
    return Estimate(f"{req.provider}/{req.model}", tokens, counted is not None, most, low, high)


def count_input(
    req: Request, provider: ChatProvider, conn: Connection, policy: Policy
) -> int | None:
    """Anthropic's exact count (free) when a key is there; None elsewhere or when the
    count fails (the local estimate is used then)."""
    if req.provider != "anthropic" or not conn.api_key:
        return None
    from llmcli.engine import fetch
    from llmcli.errors import LlmcliError
    from llmcli.providers.anthropic.count import count_tokens_call, decode_count

    try:
        call = count_tokens_call(provider.encode(req, conn))
        return decode_count(fetch(provider, call, policy))
    except LlmcliError:
        return None


# ---- the daily budget ------------------------------------------------------------------


def day_start(now: float | None = None) -> float:
    """Local midnight today, as a timestamp."""
    today = datetime.fromtimestamp(now if now is not None else time.time())
    return today.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def reset_in(now: float | None = None) -> str:
    """How long until the day resets: `3 h 12 min`."""
    now = now if now is not None else time.time()
    start = datetime.fromtimestamp(day_start(now))
    left = int((start + timedelta(days=1)).timestamp() - now)
    hours, minutes = divmod(max(left, 60) // 60, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def spent_today(db_path: Path | None) -> float:
    """The cost of today's stored answers (local day); 0 without a history."""
    from llmcli import store

    path = db_path or store.default_path()
    if not path.exists():
        return 0.0
    db = store.connect_readonly(path)
    try:
        row = db.execute(
            "SELECT SUM(cost) FROM responses WHERE created_at >= ?", (day_start(),)
        ).fetchone()
    finally:
        db.close()
    return float(row[0] or 0.0)


def cache_saving(provider: str, model: str, usage: Usage) -> float | None:
    """What cache reads saved against plain input, at the catalog price."""
    from llmcli import catalog

    if not usage.cache_read_tokens:
        return None
    entry = catalog.lookup(provider, model)
    price = entry.price if entry else None
    if price is None or price.input is None or price.cache_read is None:
        return None
    return round(usage.cache_read_tokens * (price.input - price.cache_read) / 1_000_000, 12)


def cache_hit(usage: Usage) -> float | None:
    """Cache read tokens / input tokens (input counts every input token, cached or not)."""
    if not usage.input_tokens or usage.cache_read_tokens is None:
        return None
    return usage.cache_read_tokens / usage.input_tokens
