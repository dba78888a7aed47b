"""The flags of `batch run`, declared once (see `spec` for how commands take their
signatures from these tables): its own, then `complete`'s request and connection flags,
which each input line may override. `-o` is `--option` here too, as everywhere."""

from __future__ import annotations

from pathlib import Path

from llmcli.cli.flag import Flag, declare
from llmcli.cli.spec import (
    BATCH_PROMPT,
    BATCH_REUSED,
    CONNECTION_FLAGS,
    DEBUG_FLAG,
    FLAGS,
    IO,
    OPTION_FLAG,
)

# One flag per entry reads better than the formatter's one argument per line:
# fmt: off
BATCH: tuple[Flag, ...] = (
    declare("output", Path | None, None, "--output", panel=IO, dir_okay=False,
            help="Output JSONL (required): one line per input line; re-running with it "
            "resumes."),
    declare("concurrency", int, 8, "--concurrency", "-j", panel=IO, min=1,
            help="Most requests at once (lowered while the provider rate-limits)."),
    declare("rpm", int | None, None, "--rpm", panel=IO, min=1,
            help="Most requests started per minute (evenly spaced)."),
    declare("tpm", int | None, None, "--tpm", panel=IO, min=1,
            help="Most tokens per minute: each line counts its text (4 characters a token) "
            "plus its --max-tokens (4096 when unset)."),
    declare("ordered", bool, False, "--ordered", panel=IO,
            help="Write the output in input order (a bounded buffer holds early answers)."),
    declare("skip_invalid", bool, False, "--skip-invalid", panel=IO,
            help="Skip invalid input lines instead of refusing the whole input."),
    declare("fresh", bool, False, "--fresh", panel=IO,
            help="Start over: empty the output instead of resuming."),
    declare("max_cost", float | None, None, "--max-cost", "--budget", panel=IO, min=0,
            metavar="USD",
            help="Start no request that could take the cost past USD (exit 3 when it stops "
            "the run)."),
    *(FLAGS[name] for name in BATCH_REUSED),
    *(FLAGS[name] for name in BATCH_PROMPT),
    OPTION_FLAG,
    *CONNECTION_FLAGS,
    DEBUG_FLAG,
)
# fmt: on
