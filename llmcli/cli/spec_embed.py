"""The flags of `embed`, declared once (see `spec` for how commands take their signatures
from these tables). None of them feeds a `Request`: `embed` builds an `EmbedRequest`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from llmcli.cli.flag import Flag, declare
from llmcli.cli.spec import CONNECTION_FLAGS, DEBUG_FLAG, IO, MODEL_HELP, OPTION_FLAG, USAGE_FLAG


class Format(str, Enum):
    json = "json"
    jsonl = "jsonl"


TEXTS_HELP = "Texts to embed (one vector each). Without them stdin is read."

EMBED: tuple[Flag, ...] = (
    declare(
        "model",
        str | None,
        None,
        "-m",
        "--model",
        metavar="MODEL",
        help=MODEL_HELP + "openai/text-embedding-3-small, "
        "ollama/nomic-embed-text, openrouter/openai/text-embedding-3-small.",
    ),
    declare(
        "lines",
        bool,
        False,
        "--lines",
        panel=IO,
        help="Stdin: one text per line (blank lines skipped).",
    ),
    declare(
        "file",
        Path | None,
        None,
        "--file",
        "-f",
        panel=IO,
        dir_okay=False,
        help='One text per line, or JSONL with "text" (and "id") per line.',
    ),
    declare(
        "dimensions",
        int | None,
        None,
        "--dimensions",
        min=1,
        help="Size of each vector, where the model can shorten it.",
    ),
    declare("batch_size", int, 100, "--batch-size", min=1, help="Inputs per request."),
    declare("concurrency", int, 4, "--concurrency", min=1, help="Requests under way at once."),
    declare(
        "json_out",
        bool,
        False,
        "--json",
        panel=IO,
        help="One JSON object (the default when stdout is not a terminal).",
    ),
    declare(
        "fmt",
        Format | None,
        None,
        "--format",
        panel=IO,
        help='json: one object; jsonl: {"id", "embedding"} per input, written as it comes.',
    ),
    USAGE_FLAG,
    OPTION_FLAG,
    *CONNECTION_FLAGS,
    DEBUG_FLAG,
)
