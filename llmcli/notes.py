"""What a provider could not do as asked, as typed values (after Vercel AI's
`unsupported-setting` call warning) that each front end words for itself.

Encoders never spell a flag: they name `Request` fields in braces inside `message`
(`"OpenAI has no top_k: {top_k} was not sent"`), and the front end fills each in with
its own spelling: the CLI with the flag (`--top-k`), a gateway with the body field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from llmcli.errors import UsageError

_FIELD = re.compile(r"\{([a-z_]+)\}")


def _spelled(message: str, spell: Callable[[str], str]) -> str:
    return _FIELD.sub(lambda m: spell(m.group(1)), message)


@dataclass(frozen=True)
class Unsupported:
    """A setting that was dropped or sent in another form; the request still goes out.

    `field` is the `Request` field concerned (`"top_k"`); `provider` is who could not
    honour it; `message` says what happened, with `{field}` placeholders for settings.
    """

    field: str
    provider: str
    message: str

    def render(self, spell: Callable[[str], str]) -> str:
        return _spelled(self.message, spell)


class Refused(UsageError):
    """A request the provider cannot take at all: refused before anything is sent.

    Like `Unsupported`, its message names settings as `{field}` placeholders; `str()`
    spells them as plain field names until a front end calls `render`.
    """

    def __init__(self, field: str, provider: str, message: str) -> None:
        self.field = field
        self.provider = provider
        self.message = message
        super().__init__(_spelled(message, lambda name: name))

    def render(self, spell: Callable[[str], str]) -> str:
        return _spelled(self.message, spell)
