"""The flags of `embed` and `models list`, declared once (see `spec` for how commands take
their signatures from these tables). None of them feeds a `Request`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from llmcli.cli.spec import (
    CONNECTION_FLAGS,
    DEBUG_FLAG,
    IO,
    MODEL_HELP,
    OPTION_FLAG,
    USAGE_FLAG,
    Flag,
    declare,
)


class Format(str, Enum):
    json = "json"
    jsonl = "jsonl"


EMBED: tuple[Flag, ...] = (
    declare(
        "model",
        str | None,
        None,
        "-m",
        "--model",
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

MODELS_LIST: tuple[Flag, ...] = (
    declare(
        "provider",
        str | None,
        None,
        "--provider",
        "-p",
        panel=None,
        help="Only this provider's models.",
    ),
    declare(
        "capability",
        list[str] | None,
        None,
        "--capability",
        "-c",
        panel=None,
        help="Only models with it (repeatable): vision, pdf, tools, json_schema, "
        "thinking, prompt_cache, embeddings, image_generation.",
    ),
    declare(
        "query",
        str | None,
        None,
        "--query",
        "-q",
        panel=None,
        help="Only ids (or aliases) containing it.",
    ),
    declare(
        "live",
        bool,
        False,
        "--live",
        panel=None,
        help="Ask the provider (--provider) which models it has now.",
    ),
    declare("json_out", bool, False, "--json", panel=None, help="Print JSON."),
    declare("api_key", str | None, None, "--api-key", panel=None, help="API key (--live)."),
    declare(
        "api_base",
        str | None,
        None,
        "--api-base",
        panel=None,
        help="Base URL (--live), e.g. a local server.",
    ),
    # A model list is small: a minute is patient enough (not the answer timeout).
    declare("timeout", float, 60.0, "--timeout", panel=None, min=0.1, help="Seconds (--live)."),
    declare("debug", bool, False, "--debug", panel=None, help="Show the request (--live)."),
)
