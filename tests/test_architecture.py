"""The shape of the code: flags named in few places, layers, module size, no import circles.

These read the source (no import of llmcli beyond the flag spec), so they are fast.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
from pathlib import Path

import pytest

from llmcli.cli import spec

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "llmcli"

SPEC = {"llmcli/cli/spec.py"}
# Request flags whose name is also an ordinary word or another thing's name (a stream of
# bytes, a user's home, a stop(), a path's suffix, a "thinking" column, the REPL's /attach,
# the llmcli.mcp package and `llmcli mcp`): a word count of these says nothing about how
# many places spell the flag.
ORDINARY_WORDS = {"stream", "thinking", "stop", "user", "suffix", "attach", "mcp"}
# Names that are also a wire word of the request (`ResponseFormat.json_schema`): one more
# file may use them for that.
WIRE_WORDS = {"json_schema"}


def _modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of the package."""
    return {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in sorted(PACKAGE.rglob("*.py"))
    }


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside functions (absolute imports)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def _request_flags() -> list[spec.Flag]:
    return [f for f in spec.COMPLETE if f.request or f.feeds]


def _files_naming(name: str) -> list[str]:
    """The package's files, outside providers/, catalog/ and gateway/ (wire formats,
    whose field names the flags were named after), where `name` is a word."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/providers/" in rel or "/catalog/" in rel or "/gateway/" in rel:
            continue
        if word.search(path.read_text(encoding="utf-8")):
            found.append(rel)
    return found


def test_the_spec_marks_request_flags() -> None:
    names = {f.name for f in _request_flags()}
    assert {"temperature", "web_search_max_uses", "json_schema", "thinking_budget"} <= names
    assert not ORDINARY_WORDS - names, "an exempt word that is no longer a request flag"


@pytest.mark.parametrize(
    "flag", [f for f in _request_flags() if f.name not in ORDINARY_WORDS], ids=lambda f: f.name
)
def test_a_request_flag_is_named_in_at_most_three_files(flag: spec.Flag) -> None:
    """The spec, llmcli/request.py and one consumer (a wire word: one more)."""
    files = _files_naming(flag.name)
    outside_spec = [f for f in files if f not in SPEC]
    limit = 3 if flag.name in WIRE_WORDS else 2
    assert any(f in SPEC for f in files), f"{flag.name} is not in the spec"
    assert len(outside_spec) <= limit, f"{flag.name} is named in {files}"


def test_request_fields_pass_by_name() -> None:
    """A flag marked `request` is a `Request` field of the same name, and gets there."""
    from llmcli.request import Request

    fields = spec.Flags(temperature=0.5, top_k=3, web_search_max_uses=2).request_fields()
    assert set(fields) <= {f.name for f in dataclasses.fields(Request)}
    assert (fields["temperature"], fields["top_k"], fields["web_search_max_uses"]) == (0.5, 3, 2)
    assert spec.Flags(thinking_budget=1024).request_fields()["thinking"] is True
    # `attachments` is what Request.attachments() gathers from the messages.
    feeds = [f.feeds for f in spec.COMPLETE if f.feeds]
    assert all(
        name in {f.name for f in dataclasses.fields(Request)} or hasattr(Request, name)
        for name in feeds
    )


def test_flag_for_spells_request_fields_from_the_spec() -> None:
    assert spec.flag_for("top_k") == "--top-k"
    assert spec.flag_for("text_completion") == "--text"
    assert spec.flag_for("stream") == "--stream"
    assert spec.flag_for("betas") == "--beta"
    # Where messages use another form than the long one, the spec says so.
    assert spec.flag_for("response_format") == "--json-schema/--json-mode"
    assert spec.flag_for("parallel_tool_calls") == "--no-parallel-tools"
    assert (spec.flag_for("model"), spec.flag_for("system")) == ("-m", "-s")
    # ImageRequest fields too.
    assert (spec.flag_for("n"), spec.flag_for("extra")) == ("-n", "--image-config")


def test_no_module_outside_cli_imports_cli() -> None:
    """The CLI is a front end: the core never reaches back into it (`__main__` launches it)."""
    offenders = [
        f"{name} imports {target}"
        for name, path in _modules().items()
        if not name.startswith("llmcli.cli") and name != "llmcli.__main__"
        for target in sorted(_imports(path))
        if target == "llmcli.cli" or target.startswith("llmcli.cli.")
    ]
    assert not offenders, "\n".join(offenders)


def test_no_module_over_400_lines() -> None:
    big = {
        path.relative_to(ROOT).as_posix(): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not big, big


def _circles() -> set[str]:
    modules = _modules()
    graph = {m: {n for n in _imports(p) if n in modules and n != m} for m, p in modules.items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    found: set[str] = set()

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for nxt in sorted(graph[module]):
            if state.get(nxt) == 1:
                found.add(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[module] = 2

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def test_no_import_circle() -> None:
    """Counting imports inside functions too: one direction only between modules."""
    circles = _circles()
    assert not circles, "\n".join(sorted(circles))
