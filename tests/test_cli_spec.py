"""The flag spec: commands take their parameters from it, `Flags` holds what Typer parsed."""

from __future__ import annotations

import inspect

import pytest

from llmcli.cli import spec, spec_embed
from llmcli.cli.chat import chat
from llmcli.cli.complete import complete
from llmcli.cli.embed import embed
from llmcli.cli.image import image
from llmcli.cli.models import list_cmd
from llmcli.policy import Policy


def _names(command: object) -> list[str]:
    return list(inspect.signature(command).parameters)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("command", "argument", "flags"),
    [
        (complete, ["prompt"], spec.COMPLETE),
        (chat, ["prompt"], spec.CHAT),
        (embed, ["texts"], spec_embed.EMBED),
        (image, ["prompt"], spec.IMAGE),
        (list_cmd, [], spec.MODELS_LIST),
    ],
)
def test_commands_take_their_parameters_from_the_spec(command, argument, flags) -> None:
    assert _names(command) == [*argument, *(f.name for f in flags)]


def test_chat_is_complete_without_the_one_shot_flags() -> None:
    dropped = set(_names(complete)) - set(_names(chat))
    one_shot = {"json", "suffix", "text_completion", "save", "edit", "extract", "extract_last"}
    one_shot.add("estimate")  # prices one request without sending it
    assert dropped == one_shot


def test_retry_and_timeout_defaults_come_from_policy() -> None:
    for flags in (spec.COMPLETE, spec_embed.EMBED, spec.IMAGE):
        by_name = {f.name: f for f in flags}
        assert by_name["retries"].default == Policy.retries == 2
        assert by_name["timeout"].default == Policy.timeout == 600.0
    flags = spec.Flags()
    assert (flags.retries, flags.timeout) == (Policy.retries, Policy.timeout)


def test_flags_normalise_what_typer_hands_over() -> None:
    flags = spec.Flags(stop=None, reasoning_effort=spec.Effort.high, tools=("a.json",))
    assert flags.stop == [] and flags.tools == ["a.json"]
    assert flags.reasoning_effort == "high"
    assert spec.Flags().stream is True and spec.Flags().log is True


def test_flags_refuse_names_the_spec_does_not_declare() -> None:
    with pytest.raises(TypeError, match="no such flag: nosuch"):
        spec.Flags(nosuch=1)
    flags = spec.Flags()
    with pytest.raises(AttributeError):
        flags.nosuch = 1
    with pytest.raises(AttributeError):
        _ = flags.nosuch


def test_a_command_whose_parameters_drift_from_the_spec_is_refused() -> None:
    def stray(*, model: str | None, extra: int) -> None:
        """Not `embed`'s parameters."""

    with pytest.raises(TypeError, match="parameters differ from the spec"):
        spec.signature(spec_embed.EMBED)(stray)


def test_every_spelling_is_declared_once_per_command() -> None:
    for flags in (spec.COMPLETE, spec_embed.EMBED, spec.IMAGE, spec.MODELS_LIST):
        decls = [d for f in flags for decl in f.decls for d in decl.split("/")]
        assert len(decls) == len(set(decls))
        assert "-o" not in decls or any(f.name == "options" for f in flags)


def test_logs_and_complete_share_the_history_database_flag() -> None:
    import typer

    from llmcli.cli.app import app

    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    for path in (("complete",), ("logs", "list"), ("logs", "show")):
        command = root
        for name in path:
            command = command.get_command(ctx, name)  # type: ignore[attr-defined]
        db = next(p for p in command.params if p.name == "db")
        assert db.opts == ["--db"] and db.help == spec.DB.help


def test_absent_options_are_not_coerced_and_given_ones_are(monkeypatch) -> None:
    """typer builds a pydantic TypeAdapter per coerced parameter: only what was given (or
    has a non-None default) may cost one, and a given value is still coerced."""
    import typer.core

    from llmcli.cli import runner
    from llmcli.cli.app import build_app

    built: list[object] = []
    real = typer.core.build_runtime_param

    def counting(descriptor: object) -> object:
        built.append(descriptor)
        return real(descriptor)  # type: ignore[arg-type]

    monkeypatch.setattr(typer.core, "build_runtime_param", counting)
    seen: dict[str, object] = {}

    def stop(flags: object, messages: object, *fragments: object) -> None:
        seen.update(temperature=flags.temperature, top_k=flags.top_k, tools=flags.tools)  # type: ignore[attr-defined]
        raise SystemExit(0)

    monkeypatch.setattr(runner, "run", stop)
    monkeypatch.setattr("sys.stdin", None)  # no piped prompt
    app = build_app("complete")
    with pytest.raises(SystemExit):
        app(["complete", "--temperature", "0.5", "-m", "openai/x", "hi"], standalone_mode=False)
    assert seen == {"temperature": 0.5, "top_k": None, "tools": []}
    declared = len(spec.COMPLETE)
    assert 0 < len(built) < declared // 4, (len(built), declared)
