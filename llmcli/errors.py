"""Errors that reach the user as one line on stderr and an exit code."""

from __future__ import annotations

import sys

from llmcli.controls import for_stream

# What a server says in an error is shown on one line of at most this many characters
# (an HTML page or a stack trace can be megabytes); --debug shows the whole body.
MESSAGE_LIMIT = 500


class LlmcliError(Exception):
    """Base error: `str(err)` is the one line shown after `llmcli: `."""

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(LlmcliError):
    """The command line itself is wrong: fix the flags and try again."""

    exit_code = 2


class Interrupted(LlmcliError):
    """Ctrl-C: what arrived was kept; exit like a shell does on SIGINT."""

    exit_code = 130


class ProviderError(LlmcliError):
    """The provider answered with an error (HTTP status or an error inside the stream)."""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        retryable: bool = False,
    ) -> None:
        # Both come from the provider's JSON: any other type is not a name or a message.
        error_type = error_type if isinstance(error_type, str) else None
        message = message if isinstance(message, str) else str(message)
        self.provider = provider
        self.status = status
        self.error_type = error_type
        self.provider_message = message
        self.retryable = retryable
        super().__init__(error_line(provider, status, error_type, message))


class TransportError(LlmcliError):
    """The request could not be delivered or the answer could not be read."""


class DecodeError(LlmcliError):
    """The provider's answer was not in the format its API documents."""


class ConnectFailed(TransportError):
    """No answer at all: the server could not be reached."""


def error_line(provider: str, status: int | None, error_type: str | None, message: str) -> str:
    """`anthropic 404 not_found_error: model: x` — the one shape every provider error takes:
    one line, the server's words cut to `MESSAGE_LIMIT` characters."""
    error_type = error_type if error_type is None else one_line(error_type, 100)
    head = " ".join(p for p in (provider, str(status) if status else None, error_type) if p)
    message = one_line(message, MESSAGE_LIMIT)
    return f"{head}: {message}" if message else head


def one_line(text: str, limit: int) -> str:
    """`text` on one line (any run of whitespace, line breaks included, is one space),
    cut to `limit` characters with `…` when longer."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def warn(message: str) -> None:
    """A warning: one line on stderr; the command goes on."""
    sys.stderr.write(for_stream(f"llmcli: warning: {message}\n", sys.stderr))
