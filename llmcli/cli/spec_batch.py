"""The flags of `batch run`, declared once (see `spec` for how commands take their
signatures from these tables): its own, then `complete`'s request and connection flags,
which each input line may override. `-o` is `--option` here too, as everywhere: the
output file is `--output`."""

from __future__ import annotations

from pathlib import Path

from llmcli.cli.flag import Flag, declare
from llmcli.cli.spec import (
    BATCH_PROMPT,
    BATCH_REUSED,
    CONNECTION_FLAGS,
    DB,
    DEBUG_FLAG,
    FLAGS,
    IO,
    OPTION_FLAG,
)

# One flag per entry reads better than the formatter's one argument per line:
# fmt: off
OUTPUT = declare("output", Path | None, None, "--output", panel=IO, dir_okay=False,
                 help="Output JSONL (required): one line per input line; re-running with it "
                 "resumes.")
SKIP_INVALID = declare("skip_invalid", bool, False, "--skip-invalid", panel=IO,
                       help="Skip invalid input lines instead of refusing the whole input.")
FRESH = declare("fresh", bool, False, "--fresh", panel=IO,
                help="Start over: empty the output instead of resuming.")
BATCH: tuple[Flag, ...] = (
    OUTPUT,
    declare("concurrency", int, 8, "--concurrency", "-j", panel=IO, min=1,
            help="Most requests at once (lowered while the provider rate-limits)."),
    declare("rpm", int | None, None, "--rpm", panel=IO, min=1,
            help="Most requests started per minute (evenly spaced)."),
    declare("tpm", int | None, None, "--tpm", panel=IO, min=1,
            help="Most tokens per minute: each line counts its text (4 characters a token) "
            "plus its --max-tokens (4096 when unset)."),
    declare("ordered", bool, False, "--ordered", panel=IO,
            help="Write the output in input order (a bounded buffer holds early answers)."),
    SKIP_INVALID,
    FRESH,
    declare("max_cost", float | None, None, "--max-cost", "--budget", panel=IO, min=0,
            metavar="USD",
            help="Start no request that could take the cost past USD (exit 3 when it stops "
            "the run)."),
    *(FLAGS[name] for name in BATCH_REUSED),
    *(FLAGS[name] for name in BATCH_PROMPT),
    OPTION_FLAG,
    FLAGS["log"],
    DB,
    *CONNECTION_FLAGS,
    DEBUG_FLAG,
)

# The providers' Batch APIs (`submit`, `status`, `fetch`, `cancel`, `list`).
WAIT = declare("wait", bool, False, "--wait", panel=IO,
               help="Wait for the batch to end (progress on stderr), then fetch it into "
               "--output. Ctrl-C stops the waiting, not the batch.")
POLL = declare("poll", float, 10.0, "--poll", panel=IO, min=0.01, metavar="SECONDS",
               help="With --wait: seconds before the first poll, growing x1.5 to 60.")
JSON_OUT = declare("json_out", bool, False, "--json", panel=IO, help="Print JSON.")
# -H headers are per request: the batch calls after submit take the key and base only.
REMOTE_CONNECTION = tuple(f for f in CONNECTION_FLAGS if f.name != "headers")
SUBMIT: tuple[Flag, ...] = (
    declare("output", Path | None, None, "--output", panel=IO, dir_okay=False,
            help="With --wait: where the results go (as `batch run --output`)."),
    WAIT,
    POLL,
    SKIP_INVALID,
    declare("max_cost", float | None, None, "--max-cost", "--budget", panel=IO, min=0,
            metavar="USD",
            help="Submit nothing when the whole input could cost more than USD at the "
            "batch price (each line: its text plus its --max-tokens; exit 3)."),
    *(FLAGS[name] for name in BATCH_PROMPT),
    *(FLAGS[name] for name in BATCH_REUSED),
    OPTION_FLAG,
    FLAGS["log"],
    DB,
    *CONNECTION_FLAGS,
    DEBUG_FLAG,
)
FETCH_ORDERED = declare("ordered", bool, False, "--ordered", panel=IO,
                        help="Write the results in input order (needs the input file "
                        "submitted, unchanged; they wait in a temporary file).")
FETCH: tuple[Flag, ...] = (
    OUTPUT, WAIT, POLL, FETCH_ORDERED, FRESH, FLAGS["log"], DB, *REMOTE_CONNECTION, DEBUG_FLAG,
)
STATUS: tuple[Flag, ...] = (JSON_OUT, DB, *REMOTE_CONNECTION, DEBUG_FLAG)
CANCEL: tuple[Flag, ...] = (DB, *REMOTE_CONNECTION, DEBUG_FLAG)
LIST: tuple[Flag, ...] = (
    declare("provider", str | None, None, "--provider", panel=IO, metavar="NAME",
            help="Ask this provider (openai, anthropic) for its batches, instead of "
            "listing those submitted from here."),
    declare("number", int, 20, "-n", "--number", panel=IO, min=1, help="How many."),
    JSON_OUT,
    DB,
    *REMOTE_CONNECTION,
    DEBUG_FLAG,
)
# fmt: on
