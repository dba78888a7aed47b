"""`llmcli complete`: one prompt in, one answer out; built for pipelines."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from llmcli.cli import options as o
from llmcli.errors import UsageError


def complete(
    prompt: Annotated[
        str | None,
        typer.Argument(help="The prompt. Piped stdin comes first, then a blank line, then PROMPT."),
    ] = None,
    model: o.Model = None,
    system: o.System = None,
    stream: o.Stream = True,
    thinking: o.Thinking = False,
    thinking_budget: o.ThinkingBudget = None,
    reasoning_effort: o.ReasoningEffort = None,
    temperature: o.Temperature = None,
    top_p: o.TopP = None,
    top_k: o.TopK = None,
    max_tokens: o.MaxTokens = None,
    stop: o.Stop = None,
    user: o.User = None,
    suffix: Annotated[
        str | None,
        typer.Option(
            "--suffix",
            help="Fill-in-the-middle: the text after the gap (Ollama generate, or an "
            "OpenAI-compatible /completions endpoint).",
            rich_help_panel=o.REQUEST,
        ),
    ] = None,
    text_completion: Annotated[
        bool,
        typer.Option(
            "--text",
            help="Use the legacy text completions endpoint ({base}/completions).",
            rich_help_panel=o.REQUEST,
        ),
    ] = False,
    json_schema: o.JsonSchema = None,
    json_mode: o.JsonMode = False,
    tools: o.Tools = None,
    tool_choice: o.ToolChoice = None,
    parallel_tools: o.ParallelTools = True,
    tool_exec: o.ToolExec = None,
    yes: o.Yes = False,
    max_steps: o.MaxSteps = 10,
    attach: o.Attach = None,
    attach_type: o.AttachType = None,
    cite: o.Cite = False,
    cache_system: o.CacheSystem = False,
    cache_tools: o.CacheTools = False,
    cache_ttl: o.CacheTtl = None,
    prefill: o.Prefill = None,
    web_search: o.WebSearch = False,
    web_search_max_uses: o.WebSearchMaxUses = None,
    mcp: o.Mcp = None,
    mcp_token: o.McpToken = None,
    beta: o.Beta = None,
    options: o.Option = None,
    headers: o.Header = None,
    api_key: o.ApiKey = None,
    api_base: o.ApiBase = None,
    retries: o.Retries = 2,
    timeout: o.Timeout = 600.0,
    continue_latest: o.Continue = False,
    cid: o.Cid = None,
    log: o.Log = True,
    db: o.Db = None,
    json: o.Json = False,
    save_images: o.SaveImages = None,
    usage: o.ShowUsage = False,
    hide_reasoning: o.HideReasoning = False,
    debug: o.Debug = False,
    local_threads: o.LocalThreads = None,
) -> None:
    """Send one prompt and print the answer (stdin is read when piped)."""
    given = {k: v for k, v in locals().items() if k != "prompt"}  # every flag, by Flags name
    from llmcli.cli.features import prompt_message
    from llmcli.cli.flags import Flags
    from llmcli.cli.runner import run

    flags = Flags(**given)
    # `-a -` takes stdin as an attachment: then it is not part of the prompt.
    text = read_prompt(prompt, use_stdin="-" not in flags.attach)
    run(flags, [prompt_message(text, flags)])


def read_prompt(prompt: str | None, use_stdin: bool = True) -> str:
    """PROMPT, piped stdin, or both (stdin first, a blank line, then PROMPT)."""
    piped = _read_stdin() if use_stdin else None
    parts = [p for p in (piped.rstrip("\n") if piped else None, prompt) if p and p.strip()]
    if not parts:
        raise UsageError(
            "no prompt: pass PROMPT or pipe text on stdin, e.g. echo hi | llmcli complete"
        )
    return "\n\n".join(parts)


def _read_stdin() -> str | None:
    stdin = sys.stdin
    if stdin is None or stdin.closed or stdin.isatty():
        return None
    try:
        return stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("stdin is not UTF-8 text: convert it first (e.g. with iconv)") from None
    except OSError as err:
        raise UsageError(f"cannot read stdin: {err.strerror or err}") from None
