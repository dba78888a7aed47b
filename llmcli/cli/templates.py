"""`llmcli templates` and the prompt a command builds from -t, -p, -f, --sf, -e and --save.

Only typer is imported at the top: `--help` must stay fast. A template folds into the
same `Flags` the command line fills, a flag given on the command line winning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Callable

    from llmcli.cli.spec import Flags
    from llmcli.fragments import Fragment
    from llmcli.store_fragments import Use

    # How fragments are read: (sources, allow commands, timeout, retries) → fragments.
    Gather = Callable[[list[str], bool, float, int], list[Fragment]]

templates_app = typer.Typer(
    name="templates",
    help="List, show, edit and remove prompt templates (used with -t NAME).",
    no_args_is_help=True,
)
Name = Annotated[str, typer.Argument(help="Template name (see `llmcli templates list`).")]


@templates_app.command("path")
def path() -> None:
    """Print the folder user templates live in (NAME.toml files)."""
    from llmcli.templates import directory

    typer.echo(str(directory()))


@templates_app.command("list")
def list_templates() -> None:
    """List the templates: user files and the built-in ones (a user file wins)."""
    from llmcli.templates import listing

    for name, where, description in listing():
        typer.echo(f"{name:<20} {where:<9} {description}".rstrip())


@templates_app.command("show")
def show(name: Name) -> None:
    """Print a template as TOML."""
    from llmcli.templates import builtin_path, user_path

    file = user_path(name)
    if not file.is_file():
        builtin = builtin_path(name)
        if builtin is None:
            _missing(name)
            return
        typer.echo(f"# built-in (copy it with `llmcli templates edit {name}`)")
        file = builtin
    typer.echo(file.read_text(encoding="utf-8"), nl=False)


@templates_app.command("edit")
def edit(name: Name) -> None:
    """Open a template in $VISUAL or $EDITOR (a built-in one is copied first), then check it."""
    from llmcli.cli.spec import TEMPLATE_SETTINGS
    from llmcli.config import read_toml
    from llmcli.templates import builtin_path, from_data, user_path
    from llmcli.tomlfile import write_atomic

    file = user_path(name)
    if not file.exists():
        builtin = builtin_path(name)
        start = builtin.read_text(encoding="utf-8") if builtin else "# See the README.\n"
        write_atomic(file, start)
    run_editor(str(file))
    from_data(name, read_toml(file), str(file), TEMPLATE_SETTINGS)


@templates_app.command("rm")
def remove(name: Name) -> None:
    """Delete a user template (a built-in one cannot be removed)."""
    from llmcli.templates import user_path

    file = user_path(name)
    if not file.is_file():
        _missing(name)
    file.unlink()
    typer.echo(f"removed {file}", err=True)


def _missing(name: str) -> None:
    from llmcli.errors import UsageError

    raise UsageError(f"no user template '{name}': see `llmcli templates list`")


def run_editor(file: str) -> None:
    """$VISUAL, $EDITOR, then vi, on `file`; a failing editor is one line."""
    import os
    import shlex
    import subprocess

    from llmcli.errors import LlmcliError, UsageError

    editor = (os.environ.get("VISUAL") or os.environ.get("EDITOR") or "").strip() or "vi"
    command = [*shlex.split(editor), file]
    try:
        status = subprocess.call(command)
    except OSError as err:
        raise UsageError(f"cannot run the editor '{command[0]}': {err.strerror or err}") from None
    if status != 0:
        raise LlmcliError(f"the editor exited with status {status}: nothing sent")


# ---- building the prompt ----------------------------------------------------------------


def save_template(flags: Flags, prompt: str | None) -> None:
    """--save NAME: the command's -s, prompt, model, options and schema."""
    from llmcli.cli.spec import TEMPLATE_SAVES
    from llmcli.templates import save

    data = {"prompt": prompt, **{key: getattr(flags, key) for key in TEMPLATE_SAVES}}
    data["fragments"] = data.pop("fragment")
    file = save(flags.save, data)
    typer.echo(f"saved template {flags.save} to {file}", err=True)


def build_prompt(
    given: str | None, flags: Flags, gather: Gather | None = None
) -> tuple[str, list[Use]]:
    """The prompt text from the input (stdin and PROMPT), the editor, a template and
    fragments, and the fragments it used (for the history); `flags` takes what the
    template sets and the command line left unset. `gather` reads the sources (batch
    keeps what it read for the next line)."""
    from llmcli.errors import UsageError

    if flags.edit:
        given = edit_prompt(given or "")
    fragments = list(flags.fragment)
    if flags.template:
        from llmcli.cli.spec import SYSTEM_SETTING, TEMPLATE_SETTINGS, TEMPLATE_TEXTS
        from llmcli.templates import expand, load, parse_params

        template = load(flags.template, TEMPLATE_SETTINGS, SYSTEM_SETTING)
        settings, text = expand(template, given, parse_params(flags.param), TEMPLATE_TEXTS)
        apply_settings(settings, flags)
        fragments = [*template.fragments, *fragments]
    elif flags.param:
        raise UsageError("-p fills a template's variables: give the template with -t NAME")
    elif given is None:
        raise UsageError(
            "no prompt: pass PROMPT or pipe text on stdin, e.g. echo hi | llmcli complete"
        )
    else:
        text = given
    return _with_fragments(text, fragments, flags, gather)


def template_turn(
    name: str, given: str | None, flags: Flags, override: bool = True
) -> tuple[str | None, list[str]]:
    """Chat: the template's settings for the rest of the session, and its prompt with
    `given` when either is there (None: nothing to send yet), with the template's
    fragment sources (sent with that prompt)."""
    from llmcli.cli.spec import SYSTEM_SETTING, TEMPLATE_SETTINGS, TEMPLATE_TEXTS
    from llmcli.templates import expand, load, parse_params, variables

    template = load(name, TEMPLATE_SETTINGS, SYSTEM_SETTING)
    prompt = template.prompt
    needs_input = given is None and (prompt is None or "input" in variables(prompt))
    if needs_input:  # settings only; their variables still filled
        template.prompt = ""
    settings, text = expand(template, given, parse_params(flags.param), TEMPLATE_TEXTS)
    apply_settings(settings, flags, override=override)
    return text or None, template.fragments


def turn_fragments(text: str, sources: list[str], flags: Flags) -> tuple[str, list[Use]]:
    """Chat's /template: the template's fragments before its prompt (-f/--sf of the
    command line went with the first message)."""
    from llmcli.cli.spec import FLAGS
    from llmcli.fragments import gather, render
    from llmcli.store_fragments import Use

    found = gather(sources, *_how(flags))
    uses = [Use(f.label, f.sent, FLAGS["fragment"].decls[0]) for f in found]
    return (f"{render(found)}\n\n{text}" if found else text), uses


def chat_start(prompt: str | None, flags: Flags) -> tuple[str | None, list[Use]]:
    """`chat -t NAME -f SOURCE [PROMPT]`: the template's settings, and the first message
    (None: the user types it) with the fragments it used."""
    from llmcli.errors import UsageError

    sources = list(flags.fragment)
    if flags.template:
        prompt, own = template_turn(flags.template, prompt, flags, override=False)
        sources = [*(own if prompt else []), *sources]  # as `complete -t` orders them
    elif flags.param:
        raise UsageError("-p fills a template's variables: give the template with -t NAME")
    if flags.fragment and not prompt:
        raise UsageError("chat -f needs a first PROMPT to send the fragments with")
    return _with_fragments(prompt, sources, flags) if prompt else (prompt, [])


def apply_settings(settings: dict[str, Any], flags: Flags, override: bool = False) -> None:
    """What the template sets, where the command line set nothing (`override`: chat's
    /template, chosen after the flags); a list setting goes first, so a later -o of the
    same key wins."""
    for key, value in settings.items():
        current = getattr(flags, key)
        if isinstance(current, list):
            setattr(flags, key, [*value, *current])
        elif current is None or override:
            setattr(flags, key, value)


def _with_fragments(
    text: str, sources: list[str], flags: Flags, gather: Gather | None = None
) -> tuple[str, list[Use]]:
    if not (sources or flags.system_fragment):
        return text, []
    from llmcli.cli.spec import FLAGS, SYSTEM_SETTING
    from llmcli.fragments import gather as read_sources
    from llmcli.fragments import render
    from llmcli.store_fragments import Use

    read = gather or read_sources
    uses: list[Use] = []
    if flags.system_fragment:
        found = read(flags.system_fragment, *_how(flags))
        block = render(found)
        before = getattr(flags, SYSTEM_SETTING)
        setattr(flags, SYSTEM_SETTING, f"{before}\n\n{block}" if before else block)
        flag = FLAGS["system_fragment"].decls[0]
        uses += [Use(f.label, f.sent, flag) for f in found]
    found = read(sources, *_how(flags))
    uses += [Use(f.label, f.sent, FLAGS["fragment"].decls[0]) for f in found]
    return (f"{render(found)}\n\n{text}" if found else text), uses


def _how(flags: Flags) -> tuple[bool, float, int]:
    return flags.allow_commands, flags.timeout, flags.retries


def edit_prompt(start: str) -> str:
    """The text saved in the editor, begun with `start`; an empty file cancels (exit 1)."""
    import os
    import tempfile

    from llmcli.errors import LlmcliError

    fd, name = tempfile.mkstemp(prefix="llmcli-prompt-", suffix=".md")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(start)
        run_editor(name)
        with open(name, encoding="utf-8") as saved:
            text = saved.read().strip()
    finally:
        os.unlink(name)
    if not text:
        raise LlmcliError("the prompt is empty: nothing sent")
    return text
