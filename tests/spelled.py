"""Encoder notes and refusals as the CLI words them (flags spelled by `flag_for`)."""

from __future__ import annotations

from collections.abc import Iterable

from llmcli.cli.spec import flag_for
from llmcli.errors import UsageError
from llmcli.notes import Refused, Unsupported


def said(notes: Iterable[Unsupported]) -> list[str]:
    """Each `Unsupported` note as the warning line the CLI prints (without its prefix)."""
    return [note.render(flag_for) for note in notes]


def refusal(err: UsageError) -> str:
    """A refusal as the CLI prints it: a `Refused` with flags spelled, others as they are."""
    return err.render(flag_for) if isinstance(err, Refused) else str(err)
