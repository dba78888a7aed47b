"""Control characters made visible before text from a model or a server reaches a terminal.

An answer, its reasoning or an error body may hold terminal control sequences (a title
change `ESC ]0;… BEL`, a screen clear `ESC [2J`, an OSC 52 clipboard write). A terminal
obeys them; so on a terminal each control character other than newline and tab is shown
as its Unicode control picture instead: C0 as U+2400 to U+241F (`ESC` → `␛`, `BEL` → `␇`,
`CR` → `␍`), DEL as `␡` (U+2421), and a C1 control (U+0080 to U+009F, which terminals take
as `ESC` plus a letter) as `␛` and that letter (U+009B, CSI, → `␛[`). Pipes, files and
`--json` get the exact text: only the terminal paths call `visible`.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

_PICTURES = {chr(c): chr(0x2400 + c) for c in range(0x20) if chr(c) not in "\n\t"}
_PICTURES["\x7f"] = "\u2421"
_PICTURES.update({chr(c): "\u241b" + chr(c - 0x40) for c in range(0x80, 0xA0)})
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """`text` with every control character but newline and tab shown as a picture."""
    if _CONTROL.search(text) is None:  # the usual case: no copy
        return text
    return _CONTROL.sub(lambda m: _PICTURES[m.group()], text)


def for_stream(text: str, stream: TextIO) -> str:
    """`text` as it may be written to `stream`: made visible on a terminal, exact elsewhere."""
    return visible(text) if stream.isatty() else text


class VisibleWriter:
    """A text stream that makes control characters visible in everything written to it
    (wraps a terminal; anything but `write` goes to the stream itself)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(visible(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
