"""Conversations that outgrow the model's context window: exchanges (the unit that is
dropped), truncation to a token budget, the summary that can stand for what was dropped,
and the providers' "context length exceeded" errors.

An exchange starts with a user prompt and runs to the next one: the answers, tool calls,
their results (user messages holding tool results) and the thinking blocks that go with
them. Dropping whole exchanges keeps a tool call with its result, and a thinking block
with the tool turn Anthropic requires it for; the request's instructions are not
messages and are never dropped.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmcli.cost import local_tokens, message_chars
from llmcli.request import (
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

if TYPE_CHECKING:
    import sqlite3

    from llmcli.errors import ProviderError

SUMMARY_HEAD = "[Summary of the earlier conversation]"
SUMMARY_END = "[End of summary]"
SUMMARY_INSTRUCTIONS = (
    "Summarize the conversation you are given for your own later use: keep facts, "
    "decisions, names, numbers, file names, code identifiers and open questions; drop "
    "pleasantries. Write plain prose, at most 300 words."
)


def exchanges(messages: list[Message]) -> list[list[Message]]:
    groups: list[list[Message]] = []
    for message in messages:
        if not groups or _opens_exchange(message):
            groups.append([message])
        else:
            groups[-1].append(message)
    return groups


def _opens_exchange(message: Message) -> bool:
    return message.role == "user" and not any(isinstance(p, ToolResultPart) for p in message.parts)


@dataclass
class Fitted:
    messages: list[Message]  # what is sent
    dropped: list[Message]  # the oldest messages taken out, in order
    exchanges: int  # how many exchanges they were
    tokens: int  # the estimated size of what is sent (with the fixed part)


def truncate(messages: list[Message], fixed: int, budget: int) -> Fitted:
    """Drop the oldest exchanges until `fixed` (instructions, tools) plus the messages
    fit `budget` tokens; the last exchange (the prompt being sent) always stays."""
    groups = exchanges(messages)
    sizes = [local_tokens(sum(message_chars(m) for m in group)) for group in groups]
    total = fixed + sum(sizes)
    count = 0
    while total > budget and count < len(groups) - 1:
        total -= sizes[count]
        count += 1
    dropped = [m for group in groups[:count] for m in group]
    kept = [m for group in groups[count:] for m in group]
    return Fitted(kept, dropped, count, total)


def with_summary(messages: list[Message], summary: str) -> list[Message]:
    """The summary goes first in the first kept prompt (a user message at an exchange
    boundary): no invented turn, roles still alternate."""
    first = messages[0]
    part = TextPart(text=f"{SUMMARY_HEAD}\n{summary.strip()}\n{SUMMARY_END}")
    return [Message(role=first.role, parts=[part, *first.parts]), *messages[1:]]


def transcript(messages: list[Message], earlier: str | None = None) -> str:
    """The dropped exchanges as text for the summarizing model (with the summary they
    follow, when there is one)."""
    lines = [f"Summary so far:\n{earlier}\n"] if earlier else []
    for message in messages:
        for part in message.parts:
            if isinstance(part, TextPart):
                lines.append(f"{message.role.capitalize()}: {part.text}")
            elif isinstance(part, ToolCallPart):
                lines.append(f"Assistant called {part.name}({part.arguments})")
            elif isinstance(part, ToolResultPart):
                lines.append(f"Result of {part.name}: {part.content}")
            elif not isinstance(part, ReasoningPart):
                lines.append(f"{message.role.capitalize()} attached a file.")
    return "\n".join(lines)


# ---- the providers' errors ---------------------------------------------------------
# What each provider says when a prompt does not fit (all HTTP 400 unless noted):
# - OpenAI: {"error": {"message": "This model's maximum context length is 4097 tokens.
#   However, your messages resulted in 4294 tokens. ...", "type": "invalid_request_error",
#   "param": "messages", "code": "context_length_exceeded"}} (chathub-dev/chathub#126);
# - DeepSeek: the same words, "... However, you requested 131134 tokens (122942 in the
#   messages, 8192 in the completion) ...", code "invalid_request_error"
#   (evalstate/fast-agent#621);
# - OpenRouter: {"error": {"message": "This endpoint's maximum context length is 262000
#   tokens. However, you requested about 263390 tokens ...", "code": 400}}
#   (earendil-works/pi#6378, agno-agi/agno#3980);
# - Anthropic: {"type": "error", "error": {"type": "invalid_request_error", "message":
#   "prompt is too long: 208310 tokens > 200000 maximum"}} (anthropics/claude-code#12186);
# - Ollama: {"error": "the input length exceeds the context length"}
#   (nano-step/nano-brain#208; Ollama truncates chat prompts itself unless told not to);
# - llama.cpp's server (local/): {"error": {"code": 400, "message": "request (4390 tokens)
#   exceeds the available context size (4096 tokens), try increasing it", "type":
#   "exceed_context_size_error", ...}}; older servers: "the request exceeds the available
#   context size ..." (ggml-org/llama.cpp#15780, #19774).
_TOO_LONG = re.compile(
    r"maximum context length|context_length_exceeded|prompt is too long"
    r"|exceeds? the (available )?context (size|length)|exceed_context_size",
    re.IGNORECASE,
)
# (requested, limit) where the message says both; group order differs per provider.
_SIZES = (
    (re.compile(r"maximum context length is (\d+) tokens.*?(?:resulted in|requested)"
                r" (?:about )?(\d+) tokens", re.IGNORECASE | re.DOTALL), (2, 1)),
    (re.compile(r"prompt is too long: (\d+) tokens > (\d+) maximum"), (1, 2)),
    (re.compile(r"request \((\d+) tokens\) exceeds the available context size \((\d+) tokens"),
     (1, 2)),
)  # fmt: skip


def context_exceeded(err: ProviderError) -> bool:
    words = f"{err.error_type or ''} {err.provider_message}"
    return bool(err.status and err.status >= 400 and _TOO_LONG.search(words))


def reported_sizes(err: ProviderError) -> tuple[int, int] | None:
    """(tokens sent, tokens allowed) when the provider said both."""
    for pattern, (sent, limit) in _SIZES:
        found = pattern.search(err.provider_message)
        if found:
            return int(found.group(sent)), int(found.group(limit))
    return None


# ---- summaries in the history ------------------------------------------------------


@dataclass
class Summary:
    covers: int  # how many of the conversation's first stored messages it stands for
    text: str


def load_summary(db: sqlite3.Connection, cid: str) -> Summary | None:
    row = db.execute(
        "SELECT covers, text FROM summaries WHERE conversation_id = ? ORDER BY covers DESC LIMIT 1",
        (cid,),
    ).fetchone()
    return Summary(int(row[0]), str(row[1])) if row else None


def save_summary(db: sqlite3.Connection, cid: str, summary: Summary, model: str) -> None:
    from llmcli.store_schema import transaction

    with transaction(db):
        db.execute(
            "INSERT INTO summaries (conversation_id, covers, text, model, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (cid, summary.covers, summary.text, model, time.time()),
        )


def stored_summaries(db: sqlite3.Connection, cid: str) -> list[dict[str, Any]]:
    """Every summary of a conversation, oldest first (`llmcli logs show`): the first
    `covers` stored messages it stands for, the model that wrote it, when."""
    rows = db.execute(
        "SELECT covers, text, model, created_at FROM summaries WHERE conversation_id = ?"
        " ORDER BY covers, created_at",
        (cid,),
    ).fetchall()
    return [{"covers": r[0], "text": r[1], "model": r[2], "created_at": r[3]} for r in rows]
