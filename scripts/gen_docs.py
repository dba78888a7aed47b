#!/usr/bin/env python3
"""Shell completions (bash, zsh, fish) and the man page, generated from the Typer app.

    python scripts/gen_docs.py           write the files below (only those that changed)
    python scripts/gen_docs.py --check   exit 1 listing the files that differ

Everything comes from the click command tree behind the Typer app
(`typer.main.get_command(app)`): subcommands at every depth, options with their help,
defaults and choices, arguments. Model names for -m/--model come from the model catalog
(`llmcli.catalog`) when the package has one, plus the local models and the provider
prefixes (`llmcli.providers.PROVIDERS`). The scripts are static: completing a word runs
no Python, so it is instant. `llmcli --install-completion` (Typer's own) keeps working
beside them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The package and the docs_* modules beside this script, however it is loaded.
for _path in (ROOT, ROOT / "scripts"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from docs_bash import render_bash  # noqa: E402
from docs_fish import render_fish  # noqa: E402
from docs_man import render_man  # noqa: E402
from docs_models import model_names  # noqa: E402
from docs_tree import Cmd, command_tree  # noqa: E402
from docs_zsh import render_zsh  # noqa: E402

BASH = "completions/llmcli.bash"
ZSH = "completions/_llmcli"
FISH = "completions/llmcli.fish"
MAN = "man/llmcli.1"

# ---- writing and checking ----------------------------------------------------------------------


def render_all(tree: Cmd | None = None) -> dict[str, str]:
    """Every generated file: path relative to the repository → its text."""
    tree = tree or command_tree()
    models = model_names()
    return {
        BASH: render_bash(tree, models),
        ZSH: render_zsh(tree, models),
        FISH: render_fish(tree, models),
        MAN: render_man(tree),
    }


def stale(files: Mapping[str, str], root: Path | None = None) -> list[str]:
    """The files whose committed text differs from `files` (or that are missing)."""
    root = root or ROOT
    out = []
    for rel, text in files.items():
        path = root / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            out.append(rel)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 listing the files that differ"
    )
    args = parser.parse_args(argv)
    files = render_all()
    changed = stale(files)
    if args.check:
        for rel in changed:
            print(f"{rel}: out of date (run: python scripts/gen_docs.py)")
        return 1 if changed else 0
    for rel in changed:
        path = ROOT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[rel], encoding="utf-8")
        print(f"wrote {rel}")
    if not changed:
        print("up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
