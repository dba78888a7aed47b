"""Files the user points at, turned into request parts: schemas, tool lists, attachments.

Every failure is a one-line `UsageError` (exit 2) that says what to fix.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from llmcli.errors import UsageError
from llmcli.request import JSON_TOOL, AttachmentPart, Request, ResponseFormat, Tool

# Magic bytes of the binary types we send (https://en.wikipedia.org/wiki/List_of_file_signatures).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
SUPPORTED = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain")
URL_TYPES = {  # by the URL path's suffix (the gateway reads it too)
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}


# The most bytes one attachment may have, by provider: the largest file whose base64
# (4/3 of its size) fits in one request of the provider's documented size. A provider
# that documents none gets DEFAULT_CAP. `--max-attachment-size` overrides both.
MB = 1_000_000
# Anthropic: "The API has a maximum request size of 32 MB for standard endpoints,
# including the Messages API" (https://docs.claude.com/en/api/overview, "Request size
# limits"; the vision guide, https://docs.claude.com/en/docs/vision, and the PDF guide's
# "Maximum request size | 32MB", https://platform.claude.com/docs/en/build-with-claude/
# pdf-support, repeat it). Azure Foundry's Claude is the same Messages API.
_ANTHROPIC_CAP = 32 * MB * 3 // 4
ATTACHMENT_CAPS = {"anthropic": _ANTHROPIC_CAP, "azure": _ANTHROPIC_CAP, "azure_ai": _ANTHROPIC_CAP}
# An image has a smaller one there: its base64 may be 5 MiB at most (Anthropic's own
# client, Claude Code, constants/apiLimits.ts: API_IMAGE_MAX_BASE64_SIZE = 5 * 1024 * 1024,
# "the API rejects images where the base64 string length exceeds this value").
IMAGE_CAPS = {name: 5 * 1024 * 1024 * 3 // 4 for name in ATTACHMENT_CAPS}
# OpenAI, OpenRouter, DeepSeek, Ollama and llama.cpp state no request size for inline
# (base64) files that we could find: 20 MB, which every one of them has taken.
DEFAULT_CAP = 20 * MB
# Before the provider is known (the REPL's /attach, -a read with the prompt), files are
# read up to the largest cap; `check_sizes` applies the provider's own once it is known.
READ_CAP = max(DEFAULT_CAP, *ATTACHMENT_CAPS.values())
_UNITS = {"": 1, "k": 1000, "m": MB, "g": 1000 * MB, "ki": 1024, "mi": 1024**2, "gi": 1024**3}


def parse_size(text: str) -> int:
    """`20M`, `20MB`, `512KiB`, `1.5G` or a number of bytes → bytes."""
    raw = text.strip().lower().removesuffix("b")
    number = raw.rstrip("kmgi")
    unit = raw[len(number) :]
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        value = -1.0
    if not value >= 1:  # also refuses nan
        raise UsageError(
            f"invalid --max-attachment-size {text!r}: must be a size such as 20M, 500K or 1G"
        )
    return int(min(value, 2**62))


def cap_for(provider: str | None, override: str | None) -> int:
    if override is not None:
        return parse_size(override)
    return ATTACHMENT_CAPS.get(provider or "", DEFAULT_CAP) if provider else READ_CAP


def human_size(size: int) -> str:
    for unit, scale in (("GB", 1000 * MB), ("MB", MB), ("KB", 1000)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


def too_large(name: str, size: int | None, cap: int, provider: str | None = None) -> UsageError:
    what = f"{human_size(size)}, over" if size is not None else "over"
    whose = f" for {provider}" if provider else ""
    return UsageError(
        f"attachment {name} is {what} the {human_size(cap)} cap{whose}:"
        " raise it with --max-attachment-size SIZE"
    )


def check_sizes(parts: list[AttachmentPart], provider: str, override: str | None) -> None:
    """Inline attachments against the provider's cap (they were read up to READ_CAP)."""
    for part in parts:
        cap = cap_for(provider, override)
        if override is None and part.mime.startswith("image/") and provider in IMAGE_CAPS:
            cap = IMAGE_CAPS[provider]
        if part.data is not None:
            size = len(part.data) * 3 // 4 - part.data[-2:].count("=")
            if size > cap:
                raise too_large(part.name or "stdin", size, cap, provider)


def sniff(data: bytes) -> str | None:
    """The MIME type from the content's first bytes; text when it is UTF-8 without NUL
    bytes (a file of zeros is not text); None if unsupported."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if b"\0" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


def load_attachment(spec: str, mime: str | None = None, cap: int = READ_CAP) -> AttachmentPart:
    """`PATH`, `-` (stdin) or an http(s) URL (sent as a URL; typed from its extension).

    Only a regular file (or `-`) is read, and never more than `cap` bytes: a device, a
    pipe or a file over the cap is refused before reading."""
    if spec.startswith(("http://", "https://")):
        guessed = mime or URL_TYPES.get(Path(spec.split("?", 1)[0]).suffix.lower())
        if guessed is None:
            raise UsageError(f"cannot tell the type of {spec}: add --attach-type MIME")
        return AttachmentPart(
            mime=_check_type(guessed, spec), url=spec, name=spec.rsplit("/", 1)[-1]
        )
    data, name = _read(spec, cap)
    found = mime or sniff(data)
    if found is None:
        raise UsageError(
            f"{name}: unsupported file type (llmcli sends PNG, JPEG, GIF, WebP, PDF and UTF-8 text;"
            " force one with --attach-type)"
        )
    return AttachmentPart(
        mime=_check_type(found, name),
        data=base64.b64encode(data).decode(),
        name=name,
        path=None if spec == "-" else str(Path(spec).resolve()),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def url_attachments(req: Request) -> bool:
    return any(
        isinstance(p, AttachmentPart) and p.data is None for m in req.messages for p in m.parts
    )


def download_attachments(req: Request, timeout: float) -> None:
    """Fetch URL attachments in place, for providers that take only inline data (Ollama):
    the CLI's prompt and the gateway's requests alike (blocking: the gateway runs this
    off its event loop)."""
    for message in req.messages:
        message.parts = [
            download_attachment(p, timeout)
            if isinstance(p, AttachmentPart) and p.data is None
            else p
            for p in message.parts
        ]


def download_attachment(
    part: AttachmentPart, timeout: float, cap: int = READ_CAP
) -> AttachmentPart:
    """A URL attachment → the same attachment with its bytes inline (type re-sniffed);
    never more than `cap` bytes are downloaded."""
    from llmcli.fetch import FetchFailed, TooLarge, fetch

    url = part.url or ""
    try:
        data = fetch(url, timeout, cap).data
    except TooLarge:
        raise too_large(url, None, cap) from None
    except FetchFailed as err:
        raise UsageError(f"cannot download {url}: {err}") from None
    return AttachmentPart(
        mime=_check_type(sniff(data) or part.mime, url),
        data=base64.b64encode(data).decode(),
        name=part.name,
        path=url,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _check_type(mime: str, what: str) -> str:
    if mime.startswith("text/"):
        return "text/plain"
    if mime not in SUPPORTED:
        raise UsageError(f"{what}: unsupported type {mime} (use one of {', '.join(SUPPORTED)})")
    return mime


def _read(spec: str, cap: int) -> tuple[bytes, str]:
    if spec == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("-a -: nothing piped on stdin")
        with contextlib.suppress(OSError, ValueError):  # stdin redirected from a file
            info = os.fstat(sys.stdin.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > cap:
                raise too_large("stdin", info.st_size, cap)
        data = sys.stdin.buffer.read(cap + 1)
        if len(data) > cap:
            raise too_large("stdin", None, cap)
        return data, "stdin"
    path = Path(spec).expanduser()
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise UsageError(f"attachment not found: {spec}") from None
    except OSError as err:
        raise UsageError(f"cannot read attachment {spec}: {err.strerror or err}") from None
    info = os.fstat(fd)
    problem = _not_a_file(spec, info)
    if problem is None and info.st_size > cap:
        problem = too_large(spec, info.st_size, cap)
    if problem is not None:
        os.close(fd)
        raise problem
    with os.fdopen(fd, "rb") as file:
        try:
            data = file.read(cap + 1)  # a file that grew since fstat is still bounded
        except OSError as err:
            raise UsageError(f"cannot read attachment {spec}: {err.strerror or err}") from None
    if len(data) > cap:
        raise too_large(spec, None, cap)
    return data, path.name


def _not_a_file(spec: str, info: os.stat_result) -> UsageError | None:
    if stat.S_ISDIR(info.st_mode):
        return UsageError(f"attachment is a directory: {spec}")
    if not stat.S_ISREG(info.st_mode):
        return UsageError(
            f"attachment {spec} is not a regular file (a device, pipe or socket):"
            " attach a file, or pipe the data with -a -"
        )
    return None


def load_json_arg(spec: str, what: str) -> Any:
    """Inline JSON, `@path`, or a path to a file holding JSON.

    Text that does not start like JSON and names a path (or looks like one) is a path:
    then a path error says what is wrong with the path, not that `/tmp` is bad JSON."""
    text = spec
    source = what
    path = _json_path(spec)
    if path is not None:
        text = _read_text(path, what)
        source = str(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(f"{source} is not valid JSON: {err.msg} (line {err.lineno})") from None


def _json_path(spec: str) -> Path | None:
    if spec.startswith("@"):
        return Path(spec[1:]).expanduser()
    if spec.lstrip().startswith(("{", "[", '"')):
        return None
    path = Path(spec).expanduser()
    looks_like_path = spec.endswith(".json") or "/" in spec or path.exists()
    return path if looks_like_path else None


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{what} file {path} does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"{what} {path} is a directory: give a JSON file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{what} file {path} is not UTF-8 text") from None
    except OSError as err:
        raise UsageError(f"cannot read {what} file {path}: {err.strerror or err}") from None


def load_schema(spec: str) -> ResponseFormat:
    """A bare JSON Schema, or `{"name", "schema", "strict"}` (OpenAI's json_schema shape)."""
    data = load_json_arg(spec, "--json-schema")
    if not isinstance(data, dict):
        raise UsageError("--json-schema must be a JSON object (a schema)")
    if "schema" in data and isinstance(data["schema"], dict):
        schema, name, strict = (
            data["schema"],
            data.get("name", "response"),
            data.get("strict", True),
        )
    else:
        schema, name, strict = data, "response", True
    _check_schema(schema)
    return ResponseFormat(
        type="json_schema", name=str(name), json_schema=schema, strict=bool(strict)
    )


def _check_schema(schema: dict[str, Any]) -> None:
    from jsonschema import exceptions, validators

    try:
        validators.validator_for(schema).check_schema(schema)
    except exceptions.SchemaError as err:
        raise UsageError(f"--json-schema is not a valid JSON Schema: {err.message}") from None


def load_tools(specs: list[str]) -> list[Tool]:
    """Files holding a list of OpenAI function tools, or `{"tools": [...]}`."""
    tools: list[Tool] = []
    for spec in specs:
        data = load_json_arg(spec, "--tools")
        items = data.get("tools") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise UsageError(f'{spec}: expected a list of tools or {{"tools": [...]}}')
        tools.extend(_tool(item, spec) for item in items)
    names = [t.name for t in tools]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise UsageError(f"tool {duplicate!r} is defined twice")
    return tools


def _tool(item: Any, spec: str) -> Tool:
    if not isinstance(item, dict):
        raise UsageError(f"{spec}: each tool must be a JSON object")
    kind = item.get("type", "function")
    if kind != "function":
        # An Anthropic hosted tool (computer use, text editor, ...): passed through as given.
        return Tool(name=str(item.get("name", kind)), hosted=item)
    function = item.get("function", item)
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise UsageError(f"{spec}: a function tool needs a name")
    if name == JSON_TOOL:
        raise UsageError(f"{spec}: the tool name {JSON_TOOL!r} is reserved for JSON output")
    description, parameters, strict = (
        function.get(k) for k in ("description", "parameters", "strict")
    )
    if not isinstance(description, str | None):
        raise UsageError(f"{spec}: tool {name!r}: its description must be a string")
    if not isinstance(parameters, dict | None):
        raise UsageError(f"{spec}: tool {name!r}: its parameters must be a JSON Schema object")
    if not isinstance(strict, bool | None):
        raise UsageError(f"{spec}: tool {name!r}: strict must be true or false")
    return Tool(
        name=name,
        description=description,
        parameters=parameters or {"type": "object", "properties": {}},
        strict=strict,
    )


def validate_answer(text: str, response: ResponseFormat) -> str | None:
    """None when the answer is JSON valid for the schema; else a one-line reason."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        return f"the answer is not valid JSON ({err.msg} at position {err.pos})"
    if response.type != "json_schema" or response.json_schema is None:
        return None
    from jsonschema import validators

    validator = validators.validator_for(response.json_schema)(response.json_schema)
    error = next(iter(validator.iter_errors(value)), None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"the answer does not match the schema at {where}: {error.message}"
