"""Between the neutral messages and the store: what a turn saves and what a replay loads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli import store, store_files, store_fragments
from llmcli.errors import LlmcliError, UsageError
from llmcli.events import Result, citation_json
from llmcli.request import (
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    dump,
    parse_message,
)

if TYPE_CHECKING:
    import sqlite3  # loaded by store.connect, when the database is first used


def assistant_message(result: Result) -> Message:
    """The answer as a message that can be replayed: thinking blocks with their signatures
    (and redacted blocks) first, then text, then tool calls."""
    parts: list[Part] = [
        ReasoningPart(text=b.text, signature=b.signature, redacted=b.redacted)
        for b in result.reasoning_blocks
    ]
    if result.content:
        parts.append(TextPart(text=result.content))
    parts.extend(
        ToolCallPart(id=c.id, name=c.name, arguments=c.arguments) for c in result.tool_calls
    )
    return Message(role="assistant", parts=parts)


class History:
    """Opens the database when `open` is called or something is read or written;
    `write=False` (a replay under --no-log) opens it read-only."""

    def __init__(self, path: Path | None = None, *, write: bool = True) -> None:
        self.path = path or store.default_path()
        self.write = write
        self._db: sqlite3.Connection | None = None
        # Fragments (-f, --sf) the next answer's prompt used, and every fragment text this
        # run's messages hold: stored once, not in each message and request.
        self._linked: list[store_fragments.Use] = []
        self._pieces: list[str] = []

    def use_fragments(self, uses: Sequence[store_fragments.Use]) -> None:
        """The next answer saved used these fragments (in the order sent)."""
        self._linked = list(uses)
        self._pieces += [use.text for use in uses if use.text not in self._pieces]

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = store.connect(self.path) if self.write else store.connect_readonly(self.path)
        return self._db

    def open(self) -> History:
        """Open and check the database now: a damaged or unwritable file stops the run
        before a request is paid for, not after its answer."""
        _ = self.db
        return self

    def resolve(self, cid: str | None, latest: bool) -> str | None:
        """`--cid ID` or `--continue` (the latest conversation) → an id, or None for new."""
        if cid:
            store.conversation(self.db, cid)
            return cid
        if latest:
            found = store.latest_conversation(self.db)
            if found is None:
                raise UsageError("no conversation to continue yet: drop -c/--continue")
            return found
        return None

    def model(self, cid: str) -> str:
        return str(store.conversation(self.db, cid)["model"])

    def load(self, cid: str) -> list[Message]:
        """The conversation's messages; the fragments they hold are cut out again when the
        conversation goes on."""
        texts = store_fragments.texts_of(self.db, cid)
        self._pieces += [text for text in texts if text not in self._pieces]
        return [parse_message(role, parts) for role, parts in store.messages(self.db, cid)]

    def save(
        self,
        cid: str | None,
        new: list[Message],
        result: Result,
        *,
        model: str,
        latency_ms: int | None,
        ttft_ms: int | None,
        source: str = "cli",
        deployment: str | None = None,
        status: int | None = None,
    ) -> str:
        """Store the new messages and the answer; returns the conversation id.
        `source`, `deployment` and `status` say which front end (and, for `serve`, which
        deployment and HTTP status) it came from."""
        if cid is None:
            title = next((m.text for m in new if m.role == "user" and m.text), "(untitled)")
            cid = store.create_conversation(self.db, title, model, source)
        answer = assistant_message(result)
        record = store.ResponseRecord(
            provider=result.provider,
            model=result.model,
            usage=asdict(result.usage),
            finish_reason=result.finish_reason,
            error=result.error,
            citations=[citation_json(c) for c in result.citations],
            request=result.request,
            latency_ms=latency_ms,
            ttft_ms=ttft_ms,
            deployment=deployment,
            status=status,
        )
        rows: list[tuple[str, list[dict[str, Any]]]] = [
            (m.role, dump(m.parts)) for m in [*new, answer]
        ]
        self._add(cid, rows, record)
        return cid

    def _add(
        self, cid: str, rows: list[tuple[str, list[dict[str, Any]]]], record: store.ResponseRecord
    ) -> None:
        """Damage the open-time check could not see (it reads no data pages): one line
        naming the file and the way out, not a traceback after a paid answer."""
        import sqlite3

        try:
            store.add_exchange(self.db, cid, rows, record, self._linked, self._pieces)
            self._linked = []
        except sqlite3.DatabaseError as err:
            problem = store_files.failure(self.path, err)
            raise LlmcliError(f"the answer was not stored: {problem}") from None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
