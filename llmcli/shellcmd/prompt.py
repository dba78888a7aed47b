"""What `cmd` asks for (instructions naming the user's shell and OS) and how the
answer is read back: `{"command", "explanation", "destructive"}` as structured output
where the model takes a schema, else the first fenced code block of a plain answer."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path

from llmcli.templates.extract import code_blocks

# Sent as --json-schema when the catalog says the model takes a schema.
SCHEMA = {
    "name": "shell_command",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "command": {"type": "string"},
            "explanation": {"type": "string"},
            "destructive": {"type": "boolean"},
        },
        "required": ["command", "explanation", "destructive"],
        "additionalProperties": False,
    },
}

_SYSTEM = """You turn a task into one command for {shell} on {os} (working directory: {cwd}).
Answer with a single command line the user can run as it is (chain steps with && or pipes \
when needed); no placeholders when a sensible value exists.
{shape}
Set "destructive" to true when the command deletes or overwrites data, changes the \
machine's settings or cannot be undone."""

_JSON_SHAPE = (
    'Answer as JSON: {"command": the command, "explanation": one short paragraph on what '
    'it does, "destructive": true or false}.'
)
_BLOCK_SHAPE = (
    "Answer with the command alone in one fenced code block, then one short paragraph "
    "explaining it; if it is destructive, write DESTRUCTIVE on its own line."
)

REVISE = "Change the command: {change}\nAnswer in the same form as before."
DESCRIBE = "Explain what that command does, part by part, in a few short lines."


@dataclass
class Environment:
    shell: str  # the shell's name (bash, zsh, fish, sh...)
    shell_path: str  # what runs the command
    os: str
    cwd: str  # the working directory's name only: the full path says more than needed


def environment() -> Environment:
    shell_path = os.environ.get("SHELL") or "/bin/sh"
    kernel = platform.uname()[0]  # uname -s
    os_name = {"Darwin": "macOS"}.get(kernel, kernel) or "Linux"
    if kernel == "Linux":
        os_name = _linux_name() or os_name
    return Environment(Path(shell_path).name, shell_path, os_name, Path.cwd().name or "/")


def _linux_name() -> str | None:
    """`Ubuntu 24.04 LTS` from /etc/os-release, which decides the package manager."""
    try:
        release = platform.freedesktop_os_release()
    except OSError:
        return None
    return release.get("PRETTY_NAME") or release.get("NAME")


def system_prompt(env: Environment, structured: bool) -> str:
    shape = _JSON_SHAPE if structured else _BLOCK_SHAPE
    return _SYSTEM.format(shell=env.shell, os=env.os, cwd=env.cwd, shape=shape)


@dataclass
class Suggestion:
    command: str
    explanation: str
    destructive: bool


def read_answer(text: str) -> Suggestion | None:
    """The answer as JSON (structured output, or a model that chose JSON anyway), else
    its first code block with the text after it as the explanation; None when neither
    holds a command."""
    found = _from_json(text)
    if found is not None:
        return found
    blocks = code_blocks(text)
    if blocks and blocks[0].strip():
        command = blocks[0].strip()
        rest = text.split("```")[-1] if text.count("```") >= 2 else ""
        destructive = "DESTRUCTIVE" in text
        explanation = rest.replace("DESTRUCTIVE", "").strip()
        return Suggestion(command, explanation, destructive)
    line = text.strip()
    if line and "\n" not in line:  # a bare one-line answer is the command itself
        return Suggestion(line.strip("`"), "", False)
    return None


def _from_json(text: str) -> Suggestion | None:
    blocks = code_blocks(text)
    for candidate in (text.strip(), *(b.strip() for b in blocks)):
        if not candidate.startswith("{"):
            continue
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("command"), str) and data["command"]:
            return Suggestion(
                data["command"].strip(),
                str(data.get("explanation") or "").strip(),
                data.get("destructive") is True,
            )
    return None
