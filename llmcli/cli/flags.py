"""Where `Flags` and `flag_for` used to live: they are derived from `llmcli.cli.spec` now."""

from llmcli.cli.spec import FLAG_NAMES, Flags, flag_for

__all__ = ["FLAG_NAMES", "Flags", "flag_for"]
