"""Where local models live, and a model NAME → its file (pulled first when it is missing).

The directory is `$LLMCLI_MODELS_DIR` when set, else `$LLMCLI_HOME/models` when
`LLMCLI_HOME` is set, else `models/` in the platform's user data directory
(Linux: `~/.local/share/llmcli/models`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from llmcli.errors import UsageError
from llmcli.local import PROVIDER
from llmcli.local.catalog import CATALOG, DEFAULT_CONTEXT, CatalogEntry, Pooling, names


@dataclass(frozen=True)
class LocalModel:
    """A model resolved to its file, with what the server needs to know about it."""

    name: str
    path: Path
    context: int
    pooling: Pooling
    entry: CatalogEntry | None = None

    @property
    def present(self) -> bool:
        return self.path.is_file()

    @property
    def alias(self) -> str:
        """The name the server reports as `model` in its answers."""
        return self.entry.name if self.entry else self.path.stem


def models_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    explicit = env.get("LLMCLI_MODELS_DIR", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    home = env.get("LLMCLI_HOME", "").strip()
    if home:
        return Path(home).expanduser() / "models"
    import platformdirs

    return platformdirs.user_data_path("llmcli") / "models"


def strip_prefix(name: str) -> str:
    """`local/smollm2` and `smollm2` name the same model."""
    name = name.strip()
    prefix = f"{PROVIDER}/"
    return name[len(prefix) :] if name.startswith(prefix) else name


def resolve(name: str, env: Mapping[str, str] | None = None) -> LocalModel:
    """A catalog name, a `.gguf` file in the models directory, or a path to a `.gguf`.

    A catalog model need not be downloaded yet (see `ensure`); any other must exist.
    """
    name = strip_prefix(name)
    if not name:
        raise UsageError(f"no local model named: use one of {names()} or a path to a .gguf file")
    directory = models_dir(env)
    entry = CATALOG.get(name)
    if entry is not None:
        return LocalModel(name, directory / entry.file, entry.context, entry.pooling, entry)
    if _looks_like_path(name):
        path = Path(name).expanduser()
        if path.is_file():
            return _file_model(name, path.resolve())
        raise UsageError(f"no such model file: {path}")
    for candidate in (directory / f"{name}.gguf", directory / name):
        if candidate.is_file():
            return _file_model(name, candidate)
    raise UsageError(
        f"unknown local model '{name}': use one of {names()}, a .gguf file in {directory},"
        " or a path to a .gguf file"
    )


def ensure(name: str, say: Callable[[str], None] | None = None) -> LocalModel:
    """`resolve`, then pull a catalog model that is not downloaded yet (saying so)."""
    model = resolve(name)
    if model.present:
        return model
    assert model.entry is not None  # files outside the catalog were checked by resolve
    say = say or _stderr
    say(
        f"llmcli: {PROVIDER}/{model.entry.name} is not downloaded yet: pulling it once"
        f" ({model.entry.size / 1e6:.0f} MB) into {model.path.parent}"
    )
    from llmcli.local.pull import pull_entry

    pull_entry(model.entry, model.path, say=say)
    return model


def _file_model(name: str, path: Path) -> LocalModel:
    return LocalModel(name, path, DEFAULT_CONTEXT, "mean")


def _looks_like_path(name: str) -> bool:
    return (
        name.lower().endswith(".gguf")
        or "/" in name
        or os.sep in name
        or name.startswith(("~", "."))
    )


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
