"""Writing the small TOML files llmcli keeps (config, keys): atomically, created 0600.

Only the shapes llmcli writes: tables of scalars, lists and inline tables. Reading is
`tomllib` (tomli on Python 3.10).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from llmcli.errors import LlmcliError


def write_atomic(path: Path, text: str, *, keep_mode: bool = False) -> None:
    """Write via a temporary file and rename: readers see the old file or the new one.

    The file is created 0600 (never briefly wider); with `keep_mode`, a file that
    already exists keeps its mode.
    """
    mode = 0o600
    if keep_mode:
        with contextlib.suppress(OSError):
            mode = path.stat().st_mode & 0o777
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise LlmcliError(f"cannot write {path}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            if os.name != "nt":
                os.fchmod(out.fileno(), mode)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise LlmcliError(f"cannot write {path}: {err.strerror or err}") from None
        raise


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"


def dumps(data: Mapping[str, Any]) -> str:
    """TOML for a table of strings, booleans, numbers, dates, arrays and sub-tables.

    Sub-tables become `[a.b]` sections; tables inside arrays become inline tables.
    `None` has no TOML form and raises ValueError.
    """
    lines: list[str] = []
    _table(lines, [], data)
    return "\n".join(lines) + "\n" if lines else ""


def format_key(parts: list[str]) -> str:
    return ".".join(p if _BARE_KEY.fullmatch(p) else _string(p) for p in parts)


def _table(lines: list[str], path: list[str], table: Mapping[str, Any]) -> None:
    values = [(k, v) for k, v in table.items() if not isinstance(v, Mapping)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
    # A table with only sub-tables is implied by their headers; an empty one needs its own.
    if path and (values or not tables):
        if lines:
            lines.append("")
        lines.append(f"[{format_key(path)}]")
    for key, value in values:
        lines.append(f"{format_key([key])} = {format_value(value)}")
    for key, value in tables:
        _table(lines, [*path, key], value)


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        inner = ", ".join(f"{format_key([k])} = {format_value(v)}" for k, v in value.items())
        return f"{{ {inner} }}" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    raise ValueError(f"TOML cannot hold {type(value).__name__} values")


def _string(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError("text with a lone surrogate cannot be written as TOML")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
