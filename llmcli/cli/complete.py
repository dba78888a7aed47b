"""`llmcli complete`: one prompt in, one answer out; built for pipelines."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmcli.cli import spec
from llmcli.errors import UsageError

if TYPE_CHECKING:
    from llmcli.store_fragments import Use


@spec.signature(spec.COMPLETE, spec.argument("prompt", str | None, spec.PROMPT_HELP))
def complete(prompt: str | None = None, **given: Any) -> None:
    """Send one prompt and print the answer (stdin is read when piped)."""
    from llmcli.cli.features import prompt_message
    from llmcli.cli.runner import run

    flags = spec.Flags(**given)
    # `-a -`, `-f -` and `--sf -` take stdin as an attachment or fragment: not the prompt.
    use_stdin = "-" not in (*flags.attach, *flags.fragment, *flags.system_fragment)
    fragments: Sequence[Use] = ()
    parts = (flags.save, flags.template, flags.edit, flags.fragment, flags.system_fragment)
    if any(parts) or flags.param:
        built = _prompt_from_parts(prompt, flags, use_stdin)
        if built is None:
            return
        text, fragments = built
    else:
        text = read_prompt(prompt, use_stdin)
    run(flags, [prompt_message(text, flags)], fragments)


def _prompt_from_parts(
    prompt: str | None, flags: spec.Flags, use_stdin: bool
) -> tuple[str, list[Use]] | None:
    """Templates, fragments and the editor (llmcli/cli/templates.py): the text and the
    fragments it used; None after --save."""
    from llmcli.cli.templates import build_prompt, save_template

    if flags.save:
        save_template(flags, prompt)
        return None
    given = read_prompt(prompt, use_stdin, required=False) or None
    return build_prompt(given, flags)


def read_prompt(prompt: str | None, use_stdin: bool = True, required: bool = True) -> str:
    """PROMPT, piped stdin, or both (stdin first, a blank line, then PROMPT); "" when
    neither is given and none is `required`.

    A piped prompt can be tens of megabytes: it is not copied more than it must be (no
    strip or join of it unless PROMPT is given too)."""
    piped = _read_stdin() if use_stdin else None
    parts = [p for p in (piped, prompt) if p and not p.isspace()]
    del piped
    if not parts and not required:
        return ""
    if not parts:
        raise UsageError(
            "no prompt: pass PROMPT or pipe text on stdin, e.g. echo hi | llmcli complete"
        )
    return parts[0] if len(parts) == 1 else "\n\n".join(parts)


def _read_stdin() -> str | None:
    """stdin as text without its trailing newlines (decoded once, from a view of the
    bytes: no stripped copy)."""
    stdin = sys.stdin
    if stdin is None or stdin.closed or stdin.isatty():
        return None
    try:
        data = stdin.buffer.read()
    except OSError as err:
        raise UsageError(f"cannot read stdin: {err.strerror or err}") from None
    end = len(data)
    while end and data[end - 1] == 0x0A:  # b"\n"
        end -= 1
    try:
        with memoryview(data) as view:
            return str(view[:end], "utf-8")
    except UnicodeDecodeError:
        raise UsageError("stdin is not UTF-8 text: convert it first (e.g. with iconv)") from None
