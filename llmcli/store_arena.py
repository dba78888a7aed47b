"""Arena votes in the history: one row per vote, and the win table `llmcli logs arena` prints."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmcli.store_schema import transaction

if TYPE_CHECKING:
    import sqlite3


@dataclass
class Standing:
    model: str
    wins: int
    losses: int


def add_vote(db: sqlite3.Connection, models: list[str], winner: str, prompt_hash: str) -> None:
    with transaction(db):
        db.execute(
            "INSERT INTO arena_votes (models, winner, prompt_hash, created_at) VALUES (?, ?, ?, ?)",
            (json.dumps(models, ensure_ascii=False), winner, prompt_hash, time.time()),
        )


def win_table(db: sqlite3.Connection) -> list[Standing]:
    """A vote is a win for its winner and a loss for each other model shown with it;
    sorted by wins, then fewer losses, then name."""
    import sqlite3

    table: dict[str, Standing] = {}
    try:
        rows = list(db.execute("SELECT models, winner FROM arena_votes"))
    except sqlite3.OperationalError:
        return []  # a read-only history from before votes existed has no table
    for models, winner in rows:
        for model in json.loads(models):
            standing = table.setdefault(model, Standing(model, 0, 0))
            if model == winner:
                standing.wins += 1
            else:
                standing.losses += 1
    return sorted(table.values(), key=lambda s: (-s.wins, s.losses, s.model))
