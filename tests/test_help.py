"""`--help` at 80 columns: short, wrapped (never cut off), plain value names, the everyday
flags first, examples at the end, and the default model named (issue 11, row 16)."""

from __future__ import annotations

import re

import pytest

from llmcli.local import DEFAULT_MODEL
from tests.conftest import Cli

NARROW = {"COLUMNS": "80"}
# What typer 0.29 prints for a value without a metavar: `<bool>`, `<list[str]>`, `<str>`,
# `<int range> [x>=1]`.
TYPE_NAMES = re.compile(r"<(bool|str|int|float|path|list\[)|range>|range\]")


def help_text(llmcli: Cli, *command: str) -> str:
    run = llmcli(*command, "--help", env=NARROW)
    assert run.code == 0, run.stderr
    return run.stdout


@pytest.mark.parametrize(
    ("command", "most"),
    [((), 40), (("complete",), 160), (("chat",), 145), (("embed",), 60), (("image",), 60)],
)
def test_help_fits_80_columns_without_cuts_or_type_names(llmcli: Cli, command, most) -> None:
    text = help_text(llmcli, *command)
    lines = text.splitlines()
    assert len(lines) <= most, f"{len(lines)} lines"
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text and not re.search(r"\w\.\.\.$", text, re.M)  # nothing cut off
    assert not TYPE_NAMES.search(text), TYPE_NAMES.search(text)


def test_complete_help_says_the_default_model_and_plain_metavars(llmcli: Cli) -> None:
    text = help_text(llmcli, "complete")
    assert DEFAULT_MODEL in " ".join(text.split())
    for shown in ("-m, --model MODEL", "--max-tokens N", "--timeout SECONDS", "--db FILE"):
        assert shown in text
    assert "--version" not in text and "<bool>" not in help_text(llmcli)


def test_complete_help_lists_the_everyday_flags_first(llmcli: Cli) -> None:
    text = help_text(llmcli, "complete")
    panels = re.findall(r"^(\S[^:\n]*):$", text, re.M)
    assert panels[:6] == [
        "Arguments",
        "Model and answer",
        "More request settings",
        "Tools and attachments",
        "Connection",
        "History and output",
    ]
    everyday = text.split("Model and answer:")[1].split("More request settings:")[0]
    for flag in ("--model", "--system", "--stream", "--temperature", "--max-tokens", "--json"):
        assert flag in everyday


@pytest.mark.parametrize("command", ["complete", "chat", "embed", "image"])
def test_help_ends_with_examples(llmcli: Cli, command: str) -> None:
    text = help_text(llmcli, command)
    examples = text.split("Examples:")[1]
    commands = [line for line in examples.splitlines() if line.strip().startswith("llmcli ")]
    commands += [line for line in examples.splitlines() if "| llmcli " in line]
    assert 3 <= len(commands) <= 6
    assert all(f"llmcli {command}" in line for line in commands)


@pytest.mark.parametrize(
    "command", [("logs", "list"), ("models", "list"), ("keys", "set"), ("local", "serve")]
)
def test_group_commands_show_plain_value_names(llmcli: Cli, command: tuple[str, ...]) -> None:
    text = help_text(llmcli, *command)
    assert not TYPE_NAMES.search(text), TYPE_NAMES.search(text)
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
