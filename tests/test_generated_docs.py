"""Shell completions and the man page: committed, current, complete and well-formed.

The generator (scripts/gen_docs.py) is called in-process; the expected commands and
options are read here straight from the click tree behind the Typer app, so a new
subcommand or option fails these tests until `python scripts/gen_docs.py` is run.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer.main

from llmcli.cli.app import app
from llmcli.providers import PROVIDERS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@cache
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while built
    spec.loader.exec_module(module)
    return module


def docs_models() -> ModuleType:
    """The generator's model-name reader (scripts/docs_models.py, put on the path by gen())."""
    gen()
    return importlib.import_module("docs_models")


@cache
def generated() -> dict[str, str]:
    return dict(gen().render_all())


def committed(rel: str) -> str:
    return (ROOT / rel).read_text(encoding="utf-8")


# ---- the live command tree, read independently of the generator ------------------------------


def commands() -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, click command) for the root and every subcommand at every depth."""

    def walk(cmd: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            if not getattr(sub, "hidden", False):
                yield from walk(sub, (*path, name))

    yield from walk(typer.main.get_command(app), ())


def subcommand_paths() -> list[tuple[str, ...]]:
    return [path for path, _ in commands() if path]


def option_names(path: tuple[str, ...]) -> list[str]:
    cmd = dict(commands())[path]
    return [
        name
        for param in cmd.params
        if param.param_type_name == "option" and not getattr(param, "hidden", False)
        for name in (*param.opts, *param.secondary_opts)
    ]


def test_the_tree_has_what_the_checks_below_rely_on() -> None:
    paths = subcommand_paths()
    for path in [("complete",), ("chat",), ("logs", "show"), ("keys", "set"), ("config", "set")]:
        assert path in paths
    names = option_names(("complete",))
    for name in ["-m", "--model", "--reasoning-effort", "--db", "--attach", "--no-stream"]:
        assert name in names


# ---- committed == generated --------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    ["completions/llmcli.bash", "completions/_llmcli", "completions/llmcli.fish", "man/llmcli.1"],
)
def test_committed_file_is_what_the_generator_makes_now(rel: str) -> None:
    assert rel in generated()
    assert (ROOT / rel).is_file(), f"{rel} is missing: run python scripts/gen_docs.py"
    assert committed(rel) == generated()[rel], (
        f"{rel} is out of date: run python scripts/gen_docs.py"
    )


def test_check_mode_lists_the_files_that_differ(tmp_path: Path, monkeypatch, capsys) -> None:
    g = gen()
    files = generated()
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    monkeypatch.setattr(g, "ROOT", tmp_path)
    monkeypatch.setattr(g, "render_all", lambda tree=None: files)
    assert g.main(["--check"]) == 0
    (tmp_path / g.ZSH).write_text("#compdef llmcli\n", encoding="utf-8")
    (tmp_path / g.MAN).unlink()
    capsys.readouterr()
    assert g.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert g.ZSH in out and g.MAN in out and g.BASH not in out and g.FISH not in out
    assert (tmp_path / g.ZSH).read_text() == "#compdef llmcli\n"  # --check writes nothing
    assert g.main([]) == 0
    assert g.stale(files, tmp_path) == []


# ---- every subcommand and every option of `complete`, everywhere -------------------------------


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")


def test_man_page_has_every_subcommand_and_every_option_of_complete() -> None:
    man = generated()["man/llmcli.1"]
    headings = re.findall(r'^\.SS "(.*)"$', man, flags=re.M)
    for path in subcommand_paths():
        name = " ".join(("llmcli", *path))
        assert any(h.startswith(name + " ") for h in headings), name
    for option in option_names(("complete",)):
        if option not in ("-h", "--help"):
            assert f"\\fB{option.replace('-', chr(92) + '-')}\\fR" in man, option


def test_bash_has_every_subcommand_and_every_option_of_complete() -> None:
    bash = generated()["completions/llmcli.bash"]
    for path in subcommand_paths():
        listed = _bash_row(bash, "__llmcli_subcommands", " ".join(path[:-1]))
        assert path[-1] in listed, path
    assert set(option_names(("complete",))) <= set(_bash_row(bash, "__llmcli_options", "complete"))


def _bash_row(bash: str, function: str, key: str) -> list[str]:
    """The words a generated `case` function echoes for `key`."""
    label = f"'{key}'" if key else '""'
    row = re.search(rf"^\s+{re.escape(label)}\) echo '(.*)' ;;$", _section(bash, function), re.M)
    assert row, (function, key)
    return row[1].split()


def test_zsh_has_every_subcommand_and_every_option_of_complete() -> None:
    zsh = generated()["completions/_llmcli"]
    for path in subcommand_paths():
        function = "_llmcli_" + "_".join(p.replace("-", "_") for p in path)
        assert f"\n{function}() {{\n" in zsh, path
        assert f"'{path[-1]}:" in zsh, path  # in its parent's _describe list
    body = _section(zsh, "_llmcli_complete")
    for option in option_names(("complete",)):
        assert re.search(rf"['*)]{re.escape(option)}[=+\[]", body), option


def test_fish_has_every_subcommand_and_every_option_of_complete() -> None:
    fish = generated()["completions/llmcli.fish"]
    for path in subcommand_paths():
        at = " ".join(path[:-1])
        assert f"-n '__llmcli_at{' ' + at if at else ''}' -a '{path[-1]}'" in fish, path
    lines = [line for line in fish.splitlines() if "-n '__llmcli_at complete'" in line]
    for option in option_names(("complete",)):
        flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
        assert any(_word(flag).search(line) for line in lines), option


def _section(text: str, function: str) -> str:
    start = text.index(f"{function}() {{")
    return text[start : text.index("\n}\n", start)]


@pytest.mark.parametrize(
    "rel", ["completions/llmcli.bash", "completions/_llmcli", "completions/llmcli.fish"]
)
def test_choices_and_models_are_completed(rel: str) -> None:
    text = generated()[rel]
    assert "none low medium high" in text  # --reasoning-effort
    for name in PROVIDERS:
        assert re.search(rf"(?<![\w/]){re.escape(name)}/(?=[\s'])", text), name


def test_model_names_come_from_the_catalog_when_there_is_one() -> None:
    g = docs_models()
    names = g.model_names()
    assert names[: len(PROVIDERS)] == tuple(f"{p}/" for p in PROVIDERS)
    try:
        from llmcli import catalog
    except ImportError:
        return
    ids = {m.id for m in catalog.models()}
    assert ids and ids <= set(names)


def test_catalog_reader_takes_several_shapes() -> None:
    g = docs_models()
    assert g.catalog_models("llmcli.no_such_catalog_module") == []

    class Entry:
        def __init__(self, provider: str, name: str) -> None:
            self.provider = provider
            self.name = name

    assert g._model_ids(["openai/gpt-x", {"id": "anthropic/claude-y"}, Entry("ollama", "z")]) == [
        "openai/gpt-x",
        "anthropic/claude-y",
        "ollama/z",
    ]
    assert g._model_ids({"openai/a": {"context": 1}, "openai/b": {"context": 2}}) == [
        "openai/a",
        "openai/b",
    ]
    assert g._model_ids([{"model": "has space"}, 42]) == []


# ---- the scripts parse and complete -------------------------------------------------------------


def test_bash_script_parses() -> None:
    result = subprocess.run(
        ["bash", "-n", str(ROOT / "completions/llmcli.bash")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_parses() -> None:
    result = subprocess.run(
        ["zsh", "-n", str(ROOT / "completions/_llmcli")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_script_parses() -> None:
    result = subprocess.run(
        ["fish", "--no-execute", str(ROOT / "completions/llmcli.fish")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def bash_complete(words: list[str], cwd: Path | None = None) -> list[str]:
    """COMPREPLY of the committed bash script for `words` (the last one being completed)."""
    script = (
        f"source {ROOT / 'completions/llmcli.bash'}\n"
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}\n'
        '_llmcli; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script, "bash", *words],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["llmcli", ""], [p[0] for p in subcommand_paths() if len(p) == 1]),
        (["llmcli", "lo"], ["logs", "local"]),
        (
            ["llmcli", "logs", ""],
            [p[1] for p in subcommand_paths() if p[:1] == ("logs",) and len(p) == 2],
        ),
        (["llmcli", "complete", "--reasoning-effort", ""], ["none", "low", "medium", "high"]),
        (["llmcli", "chat", "--reasoning-effort", "m"], ["medium"]),
        (["llmcli", "complete", "--reasoning-e"], ["--reasoning-effort"]),
        (["llmcli", "complete", "-m", "anthr"], None),  # checked below: anthropic/...
        (["llmcli", "complete", "--model=deeps"], None),
        (["llmcli", "keys", "set", "openr"], ["openrouter"]),
        (["llmcli", "complete", "-s", "logs", ""], []),  # a free-text value, then PROMPT
        (["llmcli", "complete", "--no-stream", "-o", "seed=1", "--user"], ["--user"]),
    ],
)
def test_bash_completes(words: list[str], expected: list[str] | None) -> None:
    got = bash_complete(words)
    if expected is not None:
        assert sorted(got) == sorted(expected)
    else:
        prefix = words[-1].split("=")[-1]
        assert got and all(w.startswith(prefix) for w in got)
        assert any(w.endswith("/") for w in got)  # the provider prefix itself


def bash_argument_at(words: list[str]) -> list[str]:
    """Which positional argument the committed bash script completes for `words`: its
    __llmcli_argument_value, replaced by one that says what it was asked for."""
    spy = '__llmcli_argument_value() { COMPREPLY+=("$1:$2"); }'
    script = (
        f"source {ROOT / 'completions/llmcli.bash'}\n{spy}\n"
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}\n'
        '_llmcli; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script, "bash", *words],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("typed", "at"),
    [
        # -p/--param takes NAME VALUE (cli/typer_patches.take_pairs): VALUE is not PROMPT.
        (["-p", "lang", "French"], ["complete:0"]),
        (["--param", "lang", "French", "-p", "tone", "dry"], ["complete:0"]),
        (["--param=lang", "French"], ["complete:0"]),
        (["-plang", "French"], ["complete:0"]),
        (["-p", "lang=French"], ["complete:0"]),  # one word: the next one is PROMPT
        (["-p", "lang", "=", "French"], ["complete:0"]),  # `=` split off (COMP_WORDBREAKS)
        (["--param=lang=French"], ["complete:0"]),
        (["-p", "lang", "French", "Hi"], ["complete:1"]),
        (["-p", "lang"], []),  # VALUE being typed: free text
        (["-p"], []),  # NAME being typed
    ],
)
def test_bash_counts_both_words_of_a_name_value_option(typed: list[str], at: list[str]) -> None:
    assert bash_argument_at(["llmcli", "complete", *typed, ""]) == at


def test_bash_offers_options_after_a_name_value_option_not_inside_it() -> None:
    assert bash_complete(["llmcli", "complete", "-p", "lang", "--reasoning-e"]) == []
    after = bash_complete(["llmcli", "chat", "-p", "lang", "French", "--reasoning-e"])
    assert after == ["--reasoning-effort"]


_ZSH_SPY = """compdef() { :; }
source %s
_arguments() { print -r -- "$CURRENT ${(j:|:)words}"; }
_message() { print -r -- "message: $*"; }
words=("$@"); CURRENT=$#; _llmcli_complete
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
@pytest.mark.parametrize(
    ("typed", "seen"),
    [
        # What _arguments is given: VALUE joined to NAME, so it is not PROMPT.
        (["-p", "lang", "French"], "4 complete|-p|lang=French|"),
        (["--param", "a", "b", "-p", "c", "d", "Hi"], "7 complete|--param|a=b|-p|c=d|Hi|"),
        (["--param=lang", "French"], "3 complete|--param=lang=French|"),
        (["-plang", "French"], "3 complete|-plang=French|"),
        (["-p", "lang=French"], "4 complete|-p|lang=French|"),
        (["-p"], "3 complete|-p|"),
        (["-p", "lang"], "message: -r VALUE"),
    ],
)
def test_zsh_counts_both_words_of_a_name_value_option(typed: list[str], seen: str) -> None:
    """The committed zsh function for `complete`, with _arguments replaced by one that
    prints the words it would parse (driving zsh's completion system needs a pty)."""
    script = _ZSH_SPY % (ROOT / "completions/_llmcli")
    result = subprocess.run(
        ["zsh", "-f", "-c", script, "zsh", "complete", *typed, ""],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 or seen.startswith("message"), result.stderr
    assert result.stdout.strip() == seen


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
@pytest.mark.parametrize(
    "typed", ["-p lang French", "--param=lang French", "-plang French", "-p lang=French"]
)
def test_fish_completes_after_a_name_value_option(typed: str) -> None:
    """A guard, not a regression test: fish has no positional argument to miscount today
    (options taking NAME VALUE sit on commands without subcommands), but its path walk
    skips both words, and must keep running without errors."""
    script = f"source {ROOT / 'completions/llmcli.fish'}; complete -C $argv[1]"
    line = f"llmcli batch run {typed} --out"
    result = subprocess.run(["fish", "-c", script, line], capture_output=True, text=True)
    assert result.stderr == ""
    assert result.stdout.split("\t")[0] == "--output"


@pytest.mark.parametrize("option", ["--db", "--tools", "-a", "--attach", "--json-schema"])
def test_bash_completes_files_for_path_options(option: str, tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("x")
    assert bash_complete(["llmcli", "complete", option, "sch"], cwd=tmp_path) == ["schema.json"]


def test_typer_install_completion_still_works() -> None:
    exe = Path(sys.executable).with_name("llmcli")
    if not exe.exists():
        pytest.skip("no llmcli console script next to this Python")
    env = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/bash", "HOME": "/nonexistent"}
    # typer finds the shell among the process's parents (shellingham), not in $SHELL: run
    # it from bash (`; exit $?` keeps bash from exec-ing it), whoever started pytest.
    script = f"'{exe}' --show-completion; exit $?"
    shown = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "_LLMCLI_COMPLETE=complete_bash" in shown.stdout
    completed = subprocess.run(
        [str(exe)],
        capture_output=True,
        text=True,
        env={
            **env,
            "_LLMCLI_COMPLETE": "complete_bash",
            "COMP_WORDS": "llmcli comp",
            "COMP_CWORD": "1",
        },
    )
    assert completed.returncode == 0
    assert completed.stdout.split() == ["complete"]


# ---- the man page: troff structure, checked without groff ------------------------------------

MACROS = {".TH", ".SH", ".SS", ".TP", ".PP", ".B", ".I", ".br", ".nh", ".ad", '.\\"'}
SECTIONS = [
    "NAME",
    "SYNOPSIS",
    "DESCRIPTION",
    "OPTIONS",
    "COMMANDS",
    "ENVIRONMENT",
    "FILES",
    "EXIT STATUS",
]
ESCAPE = re.compile(r"\\(?:-|e|&|f[BIR]|\[u[0-9A-F]{4,6}\])")


def man_lines() -> list[str]:
    return generated()["man/llmcli.1"].splitlines()


def section(name: str) -> str:
    text = generated()["man/llmcli.1"]
    start = text.index(f".SH {name}\n")
    end = text.find("\n.SH ", start + 1)
    return text[start : end if end != -1 else None]


def test_man_page_is_well_formed_troff() -> None:
    lines = man_lines()
    assert lines[0].startswith('.\\" ')
    th = lines[1].split('"')
    assert lines[1].startswith(".TH LLMCLI 1 ") and len(th) == 7, lines[1]
    heads = [line.split(" ", 1)[1].strip('"') for line in lines if line.startswith(".SH ")]
    assert [h for h in heads if h in SECTIONS] == SECTIONS
    for number, line in enumerate(lines, 1):
        assert line.isascii(), (number, line)
        assert line.strip() == line or line == "", (number, line)
        if line.startswith((".", "'")):
            assert line.split(" ", 1)[0] in MACROS, (number, line)
            continue
        assert line, f"line {number}: blank lines are not troff"
        if line.startswith('.\\"'):
            continue
        rest = ESCAPE.sub("", line)
        assert "\\" not in rest, (number, line)  # every backslash is a known escape
        fonts = re.findall(r"\\f([BIR])", line)
        assert all(a != "R" for a in fonts[::2]) and all(b == "R" for b in fonts[1::2]), line
        assert len(fonts) % 2 == 0, (number, line)
    assert re.fullmatch(r"llmcli \\- \S.*", lines[lines.index(".SH NAME") + 1])


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_groff_renders_the_man_page_without_warnings() -> None:
    result = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z", str(ROOT / "man/llmcli.1")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_man_environment_has_every_variable_the_readme_names() -> None:
    env = section("ENVIRONMENT")
    named = set(re.findall(r"`\$?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`", README))
    named |= {
        "LLMCLI_MODEL",
        "LLMCLI_HOME",
        "LLMCLI_DEBUG",
        "NO_COLOR",
        "OLLAMA_HOST",
        "OR_SITE_URL",
        "OR_APP_NAME",
    }
    for spec in PROVIDERS.values():
        named |= {*spec.key_envs, *spec.base_envs, *(var for var, _ in spec.env_headers)}
    named -= {"LLMCLI_SLOW"}  # read by the test suite only (README, Development)
    for variable in sorted(named):
        assert f"\\fB{variable}\\fR" in env, variable


def test_man_files_and_exit_status() -> None:
    files = section("FILES")
    for name in ("config.toml", "keys.toml", "logs.db"):
        assert f"\\fI{name}\\fR" in files
    codes = re.findall(r"^\\fB(\d+)\\fR$", section("EXIT STATUS"), flags=re.M)
    table = README.split("### Errors and exit codes", 1)[1].split("\n\n", 2)[1]
    assert codes == re.findall(r"^\| (\d+) \|", table, flags=re.M) == ["0", "1", "2", "130"]


def test_man_options_show_help_and_defaults() -> None:
    man = generated()["man/llmcli.1"]
    assert "\\fB\\-\\-reasoning\\-effort\\fR \\fI[none|low|medium|high]\\fR" in man
    assert "[default: 10; x>=1]" in man  # --max-steps
    assert "[env var: LLMCLI_MODEL]" in man
    assert "\\fB\\-\\-stream\\fR / \\fB\\-\\-no\\-stream\\fR" in man


def test_the_generator_is_split_by_target() -> None:
    """scripts/gen_docs.py is the entry; tree, models, bash, zsh, fish and man are modules
    of their own, none over 400 lines."""
    modules = {p.name: p for p in (ROOT / "scripts").glob("*.py")}
    for target in ("tree", "models", "bash", "zsh", "fish", "man"):
        assert f"docs_{target}.py" in modules
    sizes = {name: len(p.read_text(encoding="utf-8").splitlines()) for name, p in modules.items()}
    assert max(sizes.values()) <= 400, sizes
