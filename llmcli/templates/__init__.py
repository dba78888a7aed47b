"""Templates: reusable prompts with variables, kept as TOML files beside config.toml.

Besides `prompt`, `defaults` (variable defaults), `fragments` and `description`, a
template holds settings named as the flags they stand for (`model`, `options`, ...);
the CLI says which keys it knows (llmcli/cli/spec.py) and folds them into its
flags, so this module names no flag. Text takes `$name` or `${name}` variables (`$input`
is the piped stdin and PROMPT) and `$$` for a dollar. A plain markdown file is the
instructions (the form fabric's patterns use). Built-in templates are the TOML files in
`builtin/`; a user file of the same name wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmcli.errors import UsageError

# The keys that are not settings: how the prompt is made and shown.
OWN = ("prompt", "defaults", "fragments", "description")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
BUILTIN_DIR = Path(__file__).parent / "builtin"
# `$$`, `${name}` or `$name`, as string.Template reads them; a lone `$` stays as it is.
_VARIABLE = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass
class Template:
    name: str
    prompt: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)
    description: str = ""
    source: str = ""


def directory() -> Path:
    """Where user templates live: `templates/` beside config.toml."""
    from llmcli.config import home

    return home() / "templates"


def user_path(name: str) -> Path:
    if not NAME.fullmatch(name):
        raise UsageError(f"invalid template name '{name}': use letters, digits, '-', '_', '.'")
    return directory() / f"{name}.toml"


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def builtin_path(name: str) -> Path | None:
    path = BUILTIN_DIR / f"{name}.toml"
    return path if NAME.fullmatch(name) and path.is_file() else None


def _is_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith((".toml", ".md", ".txt"))


def load(ref: str, known: Collection[str], pattern_key: str) -> Template:
    """A template by name (user file first, then built-in) or by path; `known` are the
    setting keys the caller takes, and a markdown file becomes setting `pattern_key`."""
    from llmcli.config import read_toml

    if _is_path(ref):
        path = Path(ref).expanduser()
        if not path.is_file():
            raise UsageError(f"no template file {ref}")
        if path.suffix != ".toml":  # a markdown pattern: all of it is the instructions (-s)
            return Template(name=path.stem, settings={pattern_key: _read(path)}, source=ref)
        return from_data(path.stem, read_toml(path), str(path), known)
    path = user_path(ref)
    if not path.is_file():
        path = builtin_path(ref) or path
        if not path.is_file():
            raise UsageError(f"no template '{ref}': see `llmcli templates list`")
    return from_data(ref, read_toml(path), str(path), known)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read template {path}: {err}") from None


def from_data(name: str, data: dict[str, Any], source: str, known: Collection[str]) -> Template:
    unknown = sorted(set(data) - set(known) - set(OWN))
    if unknown:
        listed = ", ".join([*OWN, *known])
        raise UsageError(f"template {source}: unknown key {unknown[0]} (known: {listed})")
    prompt = data.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise UsageError(f"template {source}: prompt must be text")
    settings = {k: _setting(k, v) for k, v in data.items() if k not in OWN}
    return Template(
        name=name,
        prompt=prompt,
        settings=settings,
        defaults={str(k): str(v) for k, v in (data.get("defaults") or {}).items()},
        fragments=[str(f) for f in data.get("fragments") or []],
        description=str(data.get("description") or ""),
        source=source,
    )


def _setting(key: str, value: Any) -> Any:
    """A setting as the flag takes it: options as KEY=VALUE items (values as JSON), an
    inline JSON schema as its JSON text."""
    if key == "options":
        if isinstance(value, dict):
            return [f"{k}={json.dumps(v)}" for k, v in value.items()]
        return [str(v) for v in value]
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def variables(text: str) -> list[str]:
    """The variable names `text` uses, in order."""
    return [m.group(2) or m.group(3) for m in _VARIABLE.finditer(text) if not m.group(1)]


def substitute(text: str, values: dict[str, str], template: str) -> str:
    """`text` with its variables filled; a missing one is a usage error naming it."""
    missing = [v for v in variables(text) if v not in values]
    if missing:
        hint = "pipe text or give PROMPT" if missing[0] == "input" else f"-p {missing[0]} VALUE"
        raise UsageError(f"template {template}: no value for ${missing[0]}: {hint}")

    def fill(match: re.Match[str]) -> str:
        return "$" if match.group(1) else values[match.group(2) or match.group(3)]

    return _VARIABLE.sub(fill, text)


def parse_params(items: list[str]) -> dict[str, str]:
    """`-p NAME VALUE` pairs, as NAME=VALUE items (a later one wins)."""
    params: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"invalid -p '{item}': use -p NAME VALUE, e.g. -p lang French")
        params[name.strip()] = value
    return params


def expand(
    template: Template, given: str | None, params: dict[str, str], texts: Collection[str]
) -> tuple[dict[str, Any], str]:
    """(settings, prompt) with the variables filled in the prompt and in the `texts`
    settings (never in a schema, whose `$ref` is no variable); `given` is stdin and PROMPT.

    A template prompt that does not use `$input` gets the input after a blank line, so
    `-t summarize "text"` and `cat f | llmcli complete -t x` both reach the model."""
    values = {**template.defaults, **params}
    if given is not None:
        values["input"] = given
    settings = dict(template.settings)
    for key in texts:
        if isinstance(settings.get(key), str):
            settings[key] = substitute(settings[key], values, template.name)
    if template.prompt is None:
        if given is None:
            raise UsageError(f"template {template.name}: no prompt: pipe text or give PROMPT")
        return settings, given
    prompt = substitute(template.prompt, values, template.name)
    if given is not None and "input" not in variables(template.prompt):
        prompt = f"{prompt}\n\n{given}" if prompt else given
    return settings, prompt


def listing() -> list[tuple[str, str, str]]:
    """(name, where, description) of every template, user files winning over built-ins."""
    found: dict[str, tuple[str, str, str]] = {}
    for name in builtin_names():
        found[name] = (name, "built-in", _description(BUILTIN_DIR / f"{name}.toml"))
    folder = directory()
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        found[path.stem] = (path.stem, "user", _description(path))
    return [found[k] for k in sorted(found)]


def _description(path: Path) -> str:
    from llmcli.config import read_toml

    try:
        return str(read_toml(path).get("description", ""))
    except UsageError:
        return "(invalid TOML)"


def save(name: str, data: dict[str, Any]) -> Path:
    """Write template `name` (fields that are None or empty are left out)."""
    from llmcli.tomlfile import dumps, write_atomic

    path = user_path(name)
    write_atomic(path, dumps({k: v for k, v in data.items() if v not in (None, "", [], {})}))
    return path
