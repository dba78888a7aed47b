"""The flags of `cmd`, declared once (see `spec`): complete's model, instructions,
history, cost and connection flags, its own --yes and --shell-integration."""

from __future__ import annotations

from enum import Enum

from llmcli.cli.flag import Flag, declare
from llmcli.cli.spec import CMD_REUSED, CONNECTION_FLAGS, DEBUG_FLAG, FLAGS, HISTORY, TOOLS


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


# fmt: off
CMD: tuple[Flag, ...] = (
    *(FLAGS[name] for name in CMD_REUSED),
    declare("yes", bool, False, "-y", "--yes", panel=TOOLS,
            help="Run the command without asking (dangerous: read what it will do first). "
            "A denied or destructive command still needs `yes` typed."),
    declare("shell_integration", Shell | None, None, "--shell-integration", panel=HISTORY,
            help="Print a snippet for your shell's rc file: Alt-L turns the command line "
            "into a generated command."),
    *(FLAGS[name] for name in ("estimate", "max_cost", "force")),
    *(FLAGS[name] for name in ("log", "db", "usage")),
    *CONNECTION_FLAGS,
    DEBUG_FLAG,
)
# fmt: on
# The flags of CMD that are cmd's alone (not `complete`'s): taken out before `Flags`.
OWN = ("shell_integration",)
