"""One served call → the history database, marked `serve` in the `source` column."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmcli.request import Message, TextPart
from llmcli.store_schema import transaction

if TYPE_CHECKING:
    from llmcli.history import History
    from llmcli.serve.observe import Call


def write(history: History, call: Call) -> None:
    result = call.result
    if result is None:
        return
    result.request = call.request  # already redacted by the caller
    messages = call.extra.get("messages") or [Message(role="user", parts=[TextPart(text="")])]
    cid = history.save(
        None,
        messages,
        result,
        model=call.model_name,
        latency_ms=round(call.latency * 1000),
        ttft_ms=round(call.ttft * 1000) if call.ttft is not None else None,
    )
    db = history.db
    with transaction(db):
        db.execute("UPDATE conversations SET source = 'serve' WHERE id = ?", (cid,))
        db.execute(
            "UPDATE responses SET deployment = ?, status = ? WHERE conversation_id = ?",
            (call.deployment, call.status, cid),
        )
