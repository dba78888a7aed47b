"""The cost and context-window flags of `complete`, `chat` and `cmd` (part of `spec`'s
COMPLETE table, kept here to hold spec.py under the module size limit)."""

from __future__ import annotations

from enum import Enum

from llmcli.cli.flag import HISTORY, MORE, Flag, declare


class ContextStrategy(str, Enum):
    truncate = "truncate"
    summarize = "summarize"
    error = "error"


# fmt: off
BUDGET_FLAGS: tuple[Flag, ...] = (
    declare("estimate", bool, False, "--estimate", panel=MORE,
            help="Print the input tokens, the most output tokens and the price range; "
            "send nothing."),
    declare("max_cost", float | None, None, "--max-cost", panel=MORE, min=0, metavar="USD",
            help="Refuse a request whose worst-case cost is over USD."),
)
CONTEXT_FLAGS: tuple[Flag, ...] = (
    declare("context", ContextStrategy | None, None, "--context", panel=HISTORY,
            help="A conversation longer than the model's window: drop the oldest exchanges "
            "(truncate, the default), replace them with a summary, or refuse (error)."),
    declare("summary_model", str | None, None, "--summary-model", panel=HISTORY,
            metavar="MODEL", help="The model that writes --context summarize's summaries "
            "(default: the conversation's)."),
)
# fmt: on
