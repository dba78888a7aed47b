"""Every flag of `complete`, `chat`, `image` and `models list`, declared once (`embed`'s
are in `spec_embed`).

A `Flag` (llmcli/cli/flag.py) holds its name, type, default, spellings, help and panel;
the commands take their signatures from these tables (`signature`), `Flags` holds what
Typer parsed, `flag_for` spells a `Request` field as the user types it, and the man page
and completions (scripts/gen_docs.py) read the commands Typer builds from here.

A flag marked `request` feeds the `Request` field of the same name unchanged (see
`Flags.request_fields`); one that feeds a field under another name says so in `feeds`.
Only typer (and the light `policy` module) is imported here: `--help` must stay fast.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

# Re-exported: a command needs only `spec` to take its parameters from a table.
from llmcli.cli.flag import CONNECTION as CONNECTION
from llmcli.cli.flag import HISTORY as HISTORY
from llmcli.cli.flag import MORE as MORE
from llmcli.cli.flag import PAIR
from llmcli.cli.flag import REQUEST as REQUEST
from llmcli.cli.flag import TOOLS as TOOLS
from llmcli.cli.flag import Flag as Flag
from llmcli.cli.flag import argument as argument
from llmcli.cli.flag import declare as declare
from llmcli.cli.flag import signature as signature
from llmcli.cli.spec_budget import BUDGET_FLAGS, CONTEXT_FLAGS
from llmcli.local import DEFAULT_MODEL  # a constant: the package's heavy parts stay unloaded
from llmcli.policy import Policy

# `complete` has some 60 flags: five panels (flag.PANELS), the everyday flags first.
OUTPUT = HISTORY
STRUCTURE = FILES = TOOLS
IO = "Input and output"
SAVING = "Saving"


class Effort(str, Enum):
    none = "none"
    low = "low"
    medium = "medium"
    high = "high"


class Quality(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"
    standard = "standard"
    hd = "hd"


# ---- complete and chat -----------------------------------------------------------------
# One flag per entry reads better than the formatter's one argument per line:
# fmt: off

MODEL_HELP = "PROVIDER/MODEL, e.g. "
COMPLETE_MODEL_HELP = (
    f"PROVIDER/MODEL (default: the config's model, else {DEFAULT_MODEL}, a small offline "
    "model), e.g. openai/gpt-4o-mini, anthropic/claude-sonnet-4-5, ollama_chat/llama3.2."
)
CONNECTION_FLAGS = (
    declare("headers", list[str] | None, None, "-H", "--header", panel=CONNECTION,
            metavar="'NAME: VALUE'",
            help="Extra HTTP header 'Name: value' (repeatable)."),
    declare("api_key", str | None, None, "--api-key", panel=CONNECTION, metavar="KEY",
            help="API key (overrides the environment)."),
    declare("api_base", str | None, None, "--api-base", panel=CONNECTION, metavar="URL",
            help="Base URL: includes /v1 for OpenAI-compatible servers; the host root for "
            "Anthropic and Ollama."),
    declare("retries", int, Policy.retries, "--retries", panel=CONNECTION, min=0,
            help="Retries before the answer starts (connection errors, 408/409/429/5xx/529)."),
    declare("timeout", float, Policy.timeout, "--timeout", panel=CONNECTION, min=0.1,
            metavar="SECONDS",
            help="Seconds to wait to connect and between bytes of the answer."),
)
OPTION_FLAG = declare(
    "options", list[str] | None, None, "-o", "--option", panel=MORE, metavar="KEY=VALUE",
    help="KEY=VALUE merged into the provider's request body (VALUE parsed as JSON when it "
    "parses; dotted keys nest: -o provider.order='[\"openai\"]'). Repeatable.",
)
USAGE_FLAG = declare("usage", bool, False, "-u", "--usage", panel=OUTPUT,
    help="Print token usage (and cost) to stderr.")
DEBUG_FLAG = declare("debug", bool, False, "--debug", panel=OUTPUT,
    help="Show the request sent (keys redacted) and tracebacks.")
DB = declare("db", Path | None, None, "--db", panel=HISTORY,
    help="History database (default: in the user data dir, or $LLMCLI_HOME/logs.db).")

COMPLETE: tuple[Flag, ...] = (
    declare("model", str | None, None, "-m", "--model", envvar="LLMCLI_MODEL", show_envvar=True,
            spelled="-m", metavar="MODEL", help=COMPLETE_MODEL_HELP),
    declare("system", str | None, None, "-s", "--system", request=True,
            help="System prompt (local/ models get a short one unless given; -s '' for none).",
            spelled="-s"),
    declare("template", str | None, None, "-t", "--template", metavar="NAME|PATH",
            help="Template name or .toml/.md file (`llmcli templates list`); flags win over it."),
    declare("param", list[str] | None, None, "-p", "--param", metavar=PAIR,
            help="Fill the template's $NAME with VALUE (NAME=VALUE works too). Repeatable."),
    declare("fragment", list[str] | None, None, "-f", "--fragment", metavar="SOURCE",
            help="Context for the prompt: a file, a folder (.gitignore honoured; binary and "
            "over-2-MB files skipped), a glob, a URL, - or '!COMMAND'. Repeatable."),
    declare("system_fragment", list[str] | None, None, "--sf", "--system-fragment",
            metavar="SOURCE", help="Like -f, added to the system prompt (repeatable)."),
    declare("allow_commands", bool, False, "--allow-commands", panel=MORE,
            help="Let -f '!COMMAND' run without asking."),
    declare("extract", bool, False, "-x", "--extract",
            help="Print only the answer's first fenced code block."),
    declare("extract_last", bool, False, "--extract-last", panel=MORE,
            help="Print only the answer's last code block."),
    declare("edit", bool, False, "-e", "--edit",
            help="Write the prompt in $VISUAL/$EDITOR (empty cancels)."),
    declare("save", str | None, None, "--save", panel=MORE, metavar="NAME",
            help="Save -s, PROMPT, -m, -o and the schema as template NAME; send nothing."),
    declare("stream", bool, True, "--stream/--no-stream", request=True,
            help="Stream the answer as it is generated."),
    declare("thinking", bool, False, "--thinking", panel=MORE, request=True,
            help="Turn on extended thinking / reasoning."),
    declare("thinking_budget", int | None, None, "--thinking-budget", panel=MORE, request=True,
            help="Thinking token budget (implies --thinking)."),
    declare("reasoning_effort", Effort | None, None, "--reasoning-effort", panel=MORE, request=True,
            help="Reasoning effort."),
    declare("temperature", float | None, None, "--temperature", request=True,
            help="Sampling temperature, 0 to 2 (local/ models: 0 unless given)."),
    declare("top_p", float | None, None, "--top-p", help="Nucleus sampling (0-1).", panel=MORE,
            request=True),
    declare("top_k", int | None, None, "--top-k", help="Top-k sampling.", panel=MORE, request=True),
    declare("max_tokens", int | None, None, "--max-tokens", request=True,
            help="Most tokens to generate (Anthropic default: 4096)."),
    declare("stop", list[str] | None, None, "--stop", help="Stop sequence (repeatable).",
            panel=MORE, request=True),
    declare("user", str | None, None, "--user", metavar="ID", panel=MORE, request=True,
            help="End-user id (Anthropic metadata.user_id)."),
    declare("suffix", str | None, None, "--suffix", panel=MORE, request=True,
            help="Fill-in-the-middle: the text after the gap (Ollama generate, or an "
            "OpenAI-compatible /completions endpoint)."),
    declare("text_completion", bool, False, "--text", panel=MORE, request=True,
            help="Use the legacy text completions endpoint ({base}/completions)."),
    declare("json_schema", str | None, None, "--json-schema", panel=STRUCTURE, metavar="SCHEMA",
            feeds="response_format", spelled="--json-schema/--json-mode",
            help="Answer as JSON valid for SCHEMA: inline JSON, @path or a .json "
            "file (a bare schema, or {name, schema, strict}). The answer is validated."),
    declare("json_mode", bool, False, "--json-mode", panel=STRUCTURE,
            help="Answer with a JSON object (no schema)."),
    declare("tools", list[str] | None, None, "--tools", panel=STRUCTURE, metavar="FILE",
            help="JSON file with a list of OpenAI-format function tools, or "
            '{"tools": [...]} (repeatable).'),
    declare("tool_choice", str | None, None, "--tool-choice", panel=STRUCTURE, request=True,
            metavar="auto|none|required|NAME",
            help="Whether and which tool the model must call."),
    declare("parallel_tools", bool, True, "--parallel-tools/--no-parallel-tools",
            panel=STRUCTURE, feeds="parallel_tool_calls", spelled="--no-parallel-tools",
            help="Allow several tool calls in one answer."),
    declare("tool_exec", list[str] | None, None, "--tool-exec", panel=STRUCTURE,
            metavar="NAME=COMMAND",
            help="NAME=COMMAND: run tool NAME with COMMAND (arguments JSON on stdin, "
            "stdout is the result). Repeatable."),
    declare("yes", bool, False, "-y", "--yes", panel=STRUCTURE,
            help="Run bound tools without asking."),
    declare("max_steps", int, 10, "--max-steps", panel=STRUCTURE, min=1,
            help="Most model answers in one tool-calling run."),
    declare("mcp_server", list[str] | None, None, "--mcp-server", panel=STRUCTURE, metavar="NAME",
            help="MCP server llmcli runs itself (any provider): [mcp.servers.NAME] of the "
            "config, or 'NAME=COMMAND ARGS'. Repeatable."),
    declare("tool_timeout", float, 300.0, "--tool-timeout", panel=STRUCTURE, min=0.1,
            metavar="SECONDS", help="Cancel a tool call after SECONDS (the model is told)."),
    declare("attach", list[str] | None, None, "-a", "--attach", panel=FILES, metavar="PATH|URL|-",
            feeds="attachments",
            help="Attach an image (PNG, JPEG, GIF, WebP), a PDF or a text file (repeatable)."),
    declare("attach_type", str | None, None, "--attach-type", panel=FILES, metavar="MIME",
            help="Force the attachment type."),
    declare("max_attachment_size", str | None, None, "--max-attachment-size", panel=FILES,
            metavar="SIZE",
            help="Largest attachment, e.g. 50M (default: what the provider takes in one "
            "request; 24 MB for Anthropic, 20 MB elsewhere)."),
    declare("cite", bool, False, "--cite", panel=FILES, request=True,
            help="Ask for citations from attached documents (Anthropic)."),
    declare("cache_system", bool, False, "--cache-system", panel=FILES, request=True,
            help="Cache the system prompt (cache_control)."),
    declare("cache_tools", bool, False, "--cache-tools", panel=FILES, request=True,
            help="Cache the tool definitions."),
    declare("cache_ttl", str | None, None, "--cache-ttl", panel=FILES, request=True,
            metavar="5m|1h", help="Cache lifetime."),
    declare("prefill", str | None, None, "--prefill", panel=FILES, request=True,
            help="Start the answer with TEXT (Anthropic assistant prefill)."),
    declare("web_search", bool, False, "--web-search", panel=FILES, request=True,
            help="Let the model search the web (Anthropic)."),
    declare("web_search_max_uses", int | None, None, "--web-search-max-uses", panel=FILES,
            request=True, help="Most web searches per answer."),
    declare("mcp", list[str] | None, None, "--mcp", panel=FILES, metavar="URL",
            feeds="mcp_servers",
            help="MCP server that Anthropic's side calls (anthropic/ only; repeatable)."),
    declare("mcp_token", str | None, None, "--mcp-token", panel=FILES, metavar="TOKEN",
            help="Bearer token for the MCP servers."),
    declare("beta", list[str] | None, None, "--beta", panel=FILES, feeds="betas",
            help="Extra anthropic-beta value (repeatable)."),
    OPTION_FLAG,
    declare("force", bool, False, "--force", panel=MORE,
            help="Send a prompt that looks larger than the model's context window "
            "(4 characters a token), or over the daily budget."),
    *BUDGET_FLAGS,
    *CONNECTION_FLAGS,
    declare("continue_latest", bool, False, "-c", "--continue", panel=HISTORY,
            help="Continue the latest conversation."),
    declare("cid", str | None, None, "--cid", panel=HISTORY, metavar="ID",
            help="Continue the conversation with this id."),
    declare("log", bool, True, "--log/--no-log", panel=HISTORY,
            help="Store the exchange in the history database."),
    *CONTEXT_FLAGS,
    DB,
    declare("json", bool, False, "--json", panel=REQUEST,
            help="Print one JSON object with the whole answer."),
    declare("save_images", Path | None, None, "--save-images", panel=OUTPUT, metavar="DIR",
            file_okay=False,
            help="Save images in the answer (image models) to DIR: PROMPT-SLUG-TIME.png."),
    USAGE_FLAG,
    declare("hide_reasoning", bool, False, "--hide-reasoning", panel=OUTPUT,
            help="Do not show reasoning on stderr."),
    DEBUG_FLAG,
    declare("local_threads", int | None, None, "--local-threads", panel=CONNECTION, min=1,
            envvar="LLMCLI_LOCAL_THREADS", show_envvar=True,
            help="CPU threads of the llama.cpp server run for local/ models (default 1)."),
)
FLAGS = {f.name: f for f in COMPLETE}
# What makes no sense in a conversation on a terminal.
ONE_SHOT = {"json", "suffix", "text_completion", "save", "edit", "extract", "extract_last",
            "estimate"}
CHAT = tuple(f for f in COMPLETE if f.name not in ONE_SHOT)
# What a template file may set, by the names of the flags it stands for (llmcli/templates
# names no flag): a flag given on the command line wins; a list is the template's first.
TEMPLATE_SETTINGS = ("system", "model", "options", "json_schema", "tools")
TEMPLATE_TEXTS = ("system",)  # settings whose $variables are filled ($ref in a schema is not)
# The system prompt's flag: what a markdown template (a fabric pattern) sets, what --sf adds to.
SYSTEM_SETTING = "system"
# The flag that asks for structured output, also the catalog capability it needs (`cmd`).
SCHEMA_SETTING = "json_schema"
TEMPLATE_SAVES = ("system", "model", "options", "json_schema", "tools", "fragment")

IMAGE: tuple[Flag, ...] = (
    declare("model", str | None, None, "-m", "--model", metavar="MODEL",
            help=MODEL_HELP + "openai/gpt-image-1, openai/dall-e-3, "
            "openrouter/google/gemini-2.5-flash-image."),
    declare("n", int, 1, "-n", min=1, help="How many images.", request=True),
    declare("size", str | None, None, "--size", metavar="WxH", request=True,
            help="e.g. 1024x1024, 1536x1024, 1792x1024 (what the model takes)."),
    declare("quality", Quality | None, None, "--quality", help="Image quality.", request=True),
    declare("image_config", str | None, None, "--image-config", metavar="JSON", feeds="extra",
            help="Provider keys (inline JSON or @file): OpenRouter's image_config (wins over "
            "--size/--quality), or extra OpenAI request fields."),
    # No `-o`: that is --option everywhere (`image -o` gets a pointer to --output).
    declare("output", Path | None, None, "--output", panel=SAVING,
            help="File name (several images: NAME-1.png, NAME-2.png, ...), or a directory to "
            "write into; - writes the one image to stdout (not a terminal)."),
    declare("output_dir", Path | None, None, "--output-dir", panel=SAVING, file_okay=False,
            help="Directory for the images (default: the current one)."),
    declare("mkdir", bool, False, "--mkdir", panel=SAVING,
            help="Create the directory the images go in when it is missing."),
    declare("force", bool, False, "--force", panel=SAVING, help="Overwrite existing files."),
    declare("json_out", bool, False, "--json", panel=OUTPUT,
            help='Print {"model", "images", "usage", "cost"}.'),
    *CONNECTION_FLAGS,
    DEBUG_FLAG,
)  # `n`, `size` and `quality` are `ImageRequest` fields; `extra` comes from --image-config

MODELS_LIST: tuple[Flag, ...] = (
    declare("provider", str | None, None, "--provider", "-p", panel=None,
            help="Only this provider's models."),
    declare("capability", list[str] | None, None, "--capability", "-c", panel=None,
            help="Only models with it (repeatable): vision, pdf, tools, json_schema, "
            "thinking, prompt_cache, embeddings, image_generation."),
    declare("query", str | None, None, "--query", "-q", panel=None,
            help="Only ids (or aliases) containing it."),
    declare("live", bool, False, "--live", panel=None,
            help="Ask the provider (--provider) which models it has now."),
    declare("json_out", bool, False, "--json", panel=None, help="Print JSON."),
    declare("api_key", str | None, None, "--api-key", panel=None, help="API key (--live)."),
    declare("api_base", str | None, None, "--api-base", panel=None,
            help="Base URL (--live), e.g. a local server."),
    # A model list is small: a minute is patient enough (not the answer timeout).
    declare("timeout", float, 60.0, "--timeout", panel=None, min=0.1, help="Seconds (--live)."),
    declare("debug", bool, False, "--debug", panel=None, help="Show the request (--live)."),
)
# `batch run`: complete's request and connection flags, per line overridable by the input.
BATCH_REUSED = ("model", "system", "thinking", "thinking_budget", "reasoning_effort",
                "temperature", "top_p", "top_k", "max_tokens", "stop", "user", "json_schema",
                "json_mode", "cache_system", "cache_ttl", "prefill")
# `batch run`: the prompt from templates and fragments, for every line (batch_prompts.py).
BATCH_PROMPT = ("template", "param", "fragment", "system_fragment", "allow_commands")
# `cmd`: complete's flags that make sense for one generated shell command.
CMD_REUSED = ("model", "system", "template", "param", "temperature", "max_tokens", "thinking",
              "reasoning_effort")
# The flag that caps an answer's length: `batch run --max-cost` prices that many output tokens.
OUTPUT_CAP = "max_tokens"
# fmt: on
# Short forms a command dropped → the flag to use instead (said in one line, exit 2).
RETIRED = {("image", "-o"): "--output"}


# A `Request` (or `ImageRequest`) field → the flag the user typed, for messages naming fields.
FLAG_NAMES = {
    f.feeds or f.name: f.spelling for f in (*IMAGE, *COMPLETE) if f.request or f.feeds or f.spelled
}


def flag_for(field: str) -> str:
    """The flag that sets `Request` field `field`, as a user types it (for `Unsupported`
    notes and `Refused` errors, whose messages name fields)."""
    return FLAG_NAMES.get(field) or "--" + field.replace("_", "-")


def spoken(err: Exception) -> str:
    """An error as the CLI says it: a `Refused` names the settings by their flags."""
    from llmcli.notes import Refused

    return err.render(flag_for) if isinstance(err, Refused) else str(err)


class Flags:
    """The flags of `complete` or `chat` as Typer parsed them, by parameter name; a flag
    not given has its default (so the REPL and tests may give only some)."""

    __slots__ = ("_values",)
    _values: dict[str, Any]

    def __init__(self, **given: Any) -> None:
        unknown = sorted(set(given) - set(FLAGS))
        if unknown:
            raise TypeError(f"no such flag: {', '.join(unknown)}")
        values = {f.name: f.normal(given.get(f.name, f.default)) for f in COMPLETE}
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        values: dict[str, Any] = object.__getattribute__(self, "_values")
        try:
            return values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in FLAGS:
            raise AttributeError(f"no such flag: {name}")
        self._values[name] = value

    def __repr__(self) -> str:
        return f"Flags({self._values!r})"

    def __copy__(self) -> Flags:
        return Flags(**self._values)

    def __deepcopy__(self, memo: dict[int, Any]) -> Flags:
        import copy

        return Flags(**copy.deepcopy(self._values, memo))

    def request_fields(self) -> dict[str, Any]:
        """The `Request` fields the flags give unchanged, by name."""
        fields = {f.name: self._values[f.name] for f in COMPLETE if f.request}
        fields["thinking"] = fields["thinking"] or fields["thinking_budget"] is not None
        return fields


# The history database, for `logs` subcommands.
Db = Annotated[Path | None, DB.option()]

# The positional arguments' help.
PROMPT_HELP = "The prompt. Piped stdin comes first, then a blank line, then PROMPT."
IMAGE_PROMPT_HELP = "What to draw. Piped stdin comes first, then a blank line, then it."
