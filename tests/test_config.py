"""`llmcli config` and the config file: round trips, defaults wired into requests, errors."""

from __future__ import annotations

import math
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcli.config import parse_value, split_key
from llmcli.errors import UsageError
from llmcli.tomlfile import dumps
from tests.conftest import FAKE_KEYS
from tests.samples import openai_reply
from tests.servers import load_case

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "llmcli-home"


@pytest.fixture
def run(llmcli, home: Path):  # type: ignore[no-untyped-def]
    def call(*args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return llmcli(*args, input=input, env={"LLMCLI_HOME": str(home), **(env or {})})

    return call


def configure(run, *pairs: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    for key, value in pairs:
        done = run("config", "set", key, value)
        assert done.code == 0, done.stderr


def write_config(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text)
    return path


def no_secret(*runs) -> None:  # type: ignore[no-untyped-def]
    for r in runs:
        for secret in FAKE_KEYS.values():
            assert secret not in r.stdout and secret not in r.stderr


# ---- config set / show / path -------------------------------------------------------


def test_set_then_show_round_trips(run, home):
    configure(
        run,
        ("model", "anthropic/claude-sonnet-4-5"),
        ("aliases.fast", "openai/gpt-4o-mini"),
        ('aliases."gpt-4.1"', "openai/gpt-4.1"),
        ("providers.openai.api_base", "http://localhost:8000/v1"),
        ("providers.openai.options.seed", "42"),
        ("providers.openrouter.options.provider", '{"order": ["groq"], "allow_fallbacks": false}'),
        ("show_reasoning", "false"),
        ("color", "never"),
    )
    shown = run("config", "show")
    assert shown.code == 0, shown.stderr
    assert shown.stdout.startswith(f"# {home / 'config.toml'}\n")
    expected = {
        "model": "anthropic/claude-sonnet-4-5",
        "log": True,
        "color": "never",
        "show_reasoning": False,
        "aliases": {"fast": "openai/gpt-4o-mini", "gpt-4.1": "openai/gpt-4.1"},
        "providers": {
            "openai": {"api_base": "http://localhost:8000/v1", "options": {"seed": 42}},
            "openrouter": {"options": {"provider": {"order": ["groq"], "allow_fallbacks": False}}},
        },
    }
    assert tomllib.loads(shown.stdout) == expected
    on_disk = tomllib.loads((home / "config.toml").read_text())
    assert on_disk == {k: v for k, v in expected.items() if k != "log"}


def test_set_reports_the_value_as_stored(run):
    done = run("config", "set", "providers.openai.options.seed", "42")
    assert done.code == 0
    assert done.stderr.startswith("providers.openai.options.seed = 42 (in ")
    quoted = run("config", "set", "model", "openai/gpt-4o")
    assert quoted.stderr.startswith('model = "openai/gpt-4o" (in ')


def test_show_without_a_file_prints_the_defaults(run, home):
    shown = run("config", "show")
    assert shown.code == 0
    assert shown.stdout.splitlines()[0] == f"# {home / 'config.toml'} (not created yet: defaults)"
    assert tomllib.loads(shown.stdout) == {"log": True, "color": "auto", "show_reasoning": True}
    assert not home.exists()


def test_path_honours_llmcli_home(run, home):
    assert run("config", "path").stdout == f"{home / 'config.toml'}\n"


@pytest.mark.skipif(sys.platform != "linux", reason="platformdirs honours XDG only on Linux")
def test_default_path_is_the_user_config_dir(llmcli, tmp_path):
    assert llmcli("config", "path").stdout == f"{tmp_path / 'config' / 'llmcli' / 'config.toml'}\n"


def test_set_refuses_a_wrong_type_and_leaves_the_file_alone(run, home):
    configure(run, ("log", "false"))
    before = (home / "config.toml").read_text()
    for key, value, problem in [
        ("log", "yes", "log: must be true or false"),
        ("color", "blue", "color: input should be 'auto', 'always' or 'never'"),
        ("providers.openai.api_base", "42", None),  # "42" is kept as text: fine
        ("providers.nope.api_base", "x", "providers.nope: unknown provider"),
        ("colour", "never", "colour: unknown key"),
    ]:
        done = run("config", "set", key, value)
        if problem is None:
            continue
        assert done.code == 2, (key, done.stderr)
        assert done.stderr.startswith(f"llmcli: {home / 'config.toml'}: {problem}")
        assert done.stderr.count("\n") == 1
    assert 'api_base = "42"' in (home / "config.toml").read_text()
    assert before in (home / "config.toml").read_text()


def test_set_into_a_value_that_is_not_a_table(run):
    configure(run, ("model", "openai/gpt-4o"))
    done = run("config", "set", "model.name", "x")
    assert done.code == 2
    assert done.stderr == "llmcli: cannot set 'model.name': model is not a table\n"


def test_unset_removes_the_key_and_empty_tables(run, home):
    configure(run, ("providers.openai.api_base", "http://x/v1"), ("model", "openai/gpt-4o"))
    done = run("config", "unset", "providers.openai.api_base")
    assert done.code == 0, done.stderr
    assert tomllib.loads((home / "config.toml").read_text()) == {"model": "openai/gpt-4o"}
    again = run("config", "unset", "providers.openai.api_base")
    assert again.code == 1
    assert "is not set" in again.stderr


# ---- config edit --------------------------------------------------------------------


EDITOR_SCRIPT = """\
import sys
with open(sys.argv[-1], "a") as f:
    f.write(sys.argv[1] + "\\n")
"""


def _editor(tmp_path: Path, line: str) -> dict[str, str]:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR_SCRIPT)
    return {"VISUAL": f"{sys.executable} {script} '{line}'", "EDITOR": "false"}


def test_edit_creates_the_file_and_opens_visual(run, home, tmp_path):
    done = run("config", "edit", env=_editor(tmp_path, 'model = "openai/gpt-4o-mini"'))
    assert done.code == 0, done.stderr
    text = (home / "config.toml").read_text()
    assert text.startswith("# llmcli configuration.")
    assert tomllib.loads(text) == {"model": "openai/gpt-4o-mini"}
    if os.name != "nt":
        assert stat.S_IMODE((home / "config.toml").stat().st_mode) == 0o600


def test_edit_that_leaves_bad_toml_exits_2(run, home, tmp_path):
    done = run("config", "edit", env=_editor(tmp_path, "model = "))
    assert done.code == 2
    assert done.stderr.startswith(f"llmcli: {home / 'config.toml'}: invalid TOML:")


def test_edit_with_a_missing_editor(run, tmp_path):
    done = run("config", "edit", env={"VISUAL": str(tmp_path / "no-such-editor")})
    assert done.code == 2
    assert "cannot run the editor" in done.stderr and "VISUAL" in done.stderr


# ---- wired into requests ------------------------------------------------------------


def test_config_model_is_the_default(run, server):
    configure(run, ("model", "openai/gpt-4o-mini"))
    server.queue(openai_reply())
    done = run("complete", "--api-base", server.url, "hi")
    assert done.code == 0, done.stderr
    assert server.requests[-1].json["model"] == "gpt-4o-mini"
    # LLMCLI_MODEL beats the config; -m beats both.
    run("complete", "--api-base", server.url, "hi", env={"LLMCLI_MODEL": "openai/from-env"})
    run(
        "complete",
        "--api-base",
        server.url,
        "-m",
        "openai/from-flag",
        "hi",
        env={"LLMCLI_MODEL": "openai/from-env"},
    )
    assert [r.json["model"] for r in server.requests] == ["gpt-4o-mini", "from-env", "from-flag"]


def test_no_model_anywhere_falls_back_to_the_offline_default(run, server):
    server.queue(openai_reply())
    done = run("complete", "--api-base", server.url, "hi")
    assert done.code == 0, done.stderr
    assert done.stderr.startswith("llmcli: no model chosen: using local/smollm2")
    assert server.requests[-1].json["model"] == "smollm2"


def test_aliases_are_resolved_before_routing(run, server):
    configure(run, ("aliases.fast", "openai/gpt-4o-mini"), ("model", "fast"))
    server.queue(openai_reply())
    by_flag = run("complete", "-m", "fast", "hi", env={"OPENAI_BASE_URL": server.url})
    by_default = run("complete", "hi", env={"OPENAI_BASE_URL": server.url})
    assert (by_flag.code, by_default.code) == (0, 0), by_flag.stderr + by_default.stderr
    assert [r.json["model"] for r in server.requests] == ["gpt-4o-mini", "gpt-4o-mini"]
    assert all(r.path == "/chat/completions" for r in server.requests)


def test_provider_api_base_from_config_and_its_precedence(run, server):
    configure(run, ("providers.openai.api_base", server.url + "/from-config"))
    server.queue(openai_reply())
    model = ("complete", "-m", "openai/gpt-4o-mini", "hi")
    runs = [
        run(*model),
        run(*model, env={"OPENAI_BASE_URL": server.url + "/from-env"}),
        run(
            *model,
            "--api-base",
            server.url + "/from-flag",
            env={"OPENAI_BASE_URL": server.url + "/from-env"},
        ),
    ]
    assert [r.code for r in runs] == [0, 0, 0], [r.stderr for r in runs]
    assert [r.path for r in server.requests] == [
        "/from-config/chat/completions",
        "/from-env/chat/completions",
        "/from-flag/chat/completions",
    ]
    # The config base does not waive the key: the environment key is sent.
    assert server.requests[0].headers["authorization"] == f"Bearer {FAKE_KEYS['OPENAI_API_KEY']}"
    no_secret(*runs)


def test_provider_options_merge_under_dash_o(run, server):
    configure(
        run,
        ("providers.openai.options.seed", "1"),
        ("providers.openai.options.provider", '{"order": ["a"], "allow_fallbacks": false}'),
        ("providers.anthropic.options.only_for_anthropic", "true"),
    )
    server.queue(openai_reply())
    plain = run("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "hi")
    flagged = run(
        "complete",
        "-m",
        "openai/gpt-4o-mini",
        "--api-base",
        server.url,
        "-o",
        "seed=2",
        "-o",
        'provider.order=["b"]',
        "hi",
    )
    assert (plain.code, flagged.code) == (0, 0), plain.stderr + flagged.stderr
    first, second = (r.json for r in server.requests)
    assert first["seed"] == 1
    assert first["provider"] == {"order": ["a"], "allow_fallbacks": False}
    assert second["seed"] == 2
    assert second["provider"] == {"order": ["b"], "allow_fallbacks": False}
    assert "only_for_anthropic" not in first and "only_for_anthropic" not in second


def test_show_reasoning_false_hides_reasoning(run, server):
    case = load_case("deepseek", "reasoner-stream")
    server.queue(case.reply())
    args = ("complete", "-m", "deepseek-reasoner", "--api-base", server.url, "hi")
    shown = run(*args)
    assert shown.code == 0 and shown.stderr.startswith("Hmm"), shown.stderr
    configure(run, ("show_reasoning", "false"))
    hidden = run(*args)
    assert hidden.code == 0
    assert hidden.stderr == ""
    assert hidden.stdout == shown.stdout


# ---- invalid config -----------------------------------------------------------------


def test_invalid_toml_is_one_line_naming_the_file(run, home, server):
    path = write_config(home, 'model = "openai/gpt-4o-mini\n')
    server.queue(openai_reply())
    for args in (("complete", "--api-base", server.url, "hi"), ("config", "show")):
        done = run(*args)
        assert done.code == 2
        assert done.stderr.startswith(f"llmcli: {path}: invalid TOML: ")
        assert done.stderr.count("\n") == 1
    assert server.requests == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('log = "yes"', "log: must be true or false"),
        ("show_reasoning = 1", "show_reasoning: must be true or false"),
        ("model = 3", "model: must be a string"),
        ('color = "sometimes"', "color: input should be 'auto', 'always' or 'never'"),
        ("[aliases]\nfast = 1", "aliases.fast: must be a string"),
        ("[providers.openai]\napi_base = 1", "providers.openai.api_base: must be a string"),
        ('[providers.openai]\noptions = "seed=1"', "providers.openai.options: must be a table"),
        ("[providers.openai]\noptions = { when = 2024-01-01 }", "providers.openai.options: must"),
        ("[providers.opnai]\napi_base = 'x'", "providers.opnai: unknown provider: use one of"),
        ("modle = 'openai/x'", "modle: unknown key"),
    ],
)
def test_a_wrong_type_names_the_file_and_key(run, home, server, text, problem):
    path = write_config(home, text + "\n")
    server.queue(openai_reply())
    done = run("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "hi")
    assert done.code == 2
    assert done.stderr.startswith(f"llmcli: {path}: {problem}")
    assert done.stderr.count("\n") == 1
    assert server.requests == []


def test_help_does_not_import_config_or_keys():
    code = (
        "import sys, llmcli.cli.app; "
        "print(sorted(m for m in ('llmcli.config', 'llmcli.keys', 'tomllib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- the TOML writer and value parsing ----------------------------------------------


def test_dumps_shapes():
    data = {
        "model": 'a "quoted"\\ name\n\t\x01\x7f é',
        "n": 3,
        "f": 1.5e-7,
        "inf": -math.inf,
        "list": [1, "two", [3.0], {"k": True}],
        "empty": {},
        "t": {"inner": {"x": 1}, "y": False, "with space": {"z": "w"}},
    }
    text = dumps(data)
    assert tomllib.loads(text) == data
    assert text.splitlines()[:1] == ['model = "a \\"quoted\\"\\\\ name\\n\\t\\u0001\\u007f é"']
    assert "[t.inner]" in text and '[t."with space"]' in text and "[empty]" in text


def test_dumps_refuses_none():
    with pytest.raises(ValueError, match="NoneType"):
        dumps({"a": None})


_keys = st.text(max_size=8)
_scalars = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(exclude_categories=("Cs",)))
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=5))
def test_dumps_round_trips_through_tomllib(data: dict[str, Any]):
    assert tomllib.loads(dumps(data)) == data


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("true", True),
        ("42", 42),
        ("1.5", 1.5),
        ('"quoted"', "quoted"),
        ('["a", 1]', ["a", 1]),
        ("{ a = 1 }", {"a": 1}),
        ('{"a": {"b": null}}', {"a": {"b": None}}),
        ("openai/gpt-4o-mini", "openai/gpt-4o-mini"),
        ("http://localhost:8000/v1", "http://localhost:8000/v1"),
        ("null", "null"),
        ("1\nx = 2", "1\nx = 2"),
    ],
)
def test_parse_value(raw, value):
    assert parse_value(raw) == value


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        ("model", ["model"]),
        ("providers.openai.api_base", ["providers", "openai", "api_base"]),
        ('aliases."gpt-4.1"', ["aliases", "gpt-4.1"]),
        (" aliases . fast ", ["aliases", "fast"]),
    ],
)
def test_split_key(key, parts):
    assert split_key(key) == parts


@pytest.mark.parametrize("key", ["", "a..b", "a = 1\nb", "[a]", "a.", "a b"])
def test_split_key_refuses_what_is_not_a_key(key):
    with pytest.raises(UsageError, match="invalid key"):
        split_key(key)
