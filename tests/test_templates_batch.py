"""Templates and fragments in `batch run` lines: the command line's -t/-p/-f/--sf apply to
every line, a line adds its own; every line is checked before anything is sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.batch_mock import ChatMock
from tests.test_batch import batch, read_out, write_lines
from tests.test_templates import write_template


@pytest.fixture
def mock() -> Iterator[ChatMock]:
    server = ChatMock()
    yield server
    server.stop()


def sent(mock: ChatMock) -> dict[str, list[dict[str, Any]]]:
    """Each request's messages, by the prompt's last line (the order is the pool's)."""
    return {b["messages"][-1]["content"].splitlines()[-1]: b["messages"] for b in mock.bodies}


def test_command_line_template_params_and_fragments_apply_to_every_line(llmcli, mock, tmp_path):
    write_template(tmp_path, "ask", 'system = "Answer in $lang"\nprompt = "Q: $input"\n')
    note = tmp_path / "note.md"
    note.write_text("the context\n")
    src = write_lines(
        tmp_path / "in.jsonl",
        [
            {"custom_id": "a", "prompt": "one"},
            {"custom_id": "b", "prompt": "two", "param": {"lang": "Dutch"}},
        ],
    )
    out = tmp_path / "out.jsonl"
    run = batch(llmcli, mock, src, out, "-t", "ask", "-p", "lang", "French", "-f", str(note))
    assert run.code == 0, run.stderr
    by_prompt = sent(mock)
    assert by_prompt["Q: one"] == [
        {"role": "system", "content": "Answer in French"},
        {"role": "user", "content": f"{note}\n```\nthe context\n```\n\nQ: one"},
    ]
    assert by_prompt["Q: two"][0] == {"role": "system", "content": "Answer in Dutch"}
    assert sorted(x["custom_id"] for x in read_out(out)) == ["a", "b"]


def test_a_line_names_its_own_template_and_fragments(llmcli, mock, tmp_path):
    write_template(tmp_path, "short", 'prompt = "Summarize in $n words"\n')
    doc = tmp_path / "doc.txt"
    doc.write_text("a long text\n")
    src = write_lines(
        tmp_path / "in.jsonl",
        [
            {"template": "short", "param": {"n": 5}, "fragment": [str(doc)]},
            {"prompt": "plain"},
        ],
    )
    run = batch(llmcli, mock, src, tmp_path / "out.jsonl", "--concurrency", "1")
    assert run.code == 0, run.stderr
    first, second = mock.bodies
    assert first["messages"] == [
        {"role": "user", "content": f"{doc}\n```\na long text\n```\n\nSummarize in 5 words"}
    ]
    assert second["messages"] == [{"role": "user", "content": "plain"}]


def test_missing_variables_are_reported_by_line_before_anything_is_sent(llmcli, mock, tmp_path):
    write_template(tmp_path, "greet", 'prompt = "Greet $who in $lang"\n')
    src = write_lines(
        tmp_path / "in.jsonl",
        [
            {"prompt": "x", "param": {"who": "Ann", "lang": "Dutch"}},
            {"prompt": "y", "param": {"who": "Bob"}},
            {"prompt": "z", "fragment": [str(tmp_path / "missing.txt")]},
            {"prompt": "w", "param": "lang=Dutch"},
        ],
    )
    run = batch(llmcli, mock, src, tmp_path / "out.jsonl", "-t", "greet", "-p", "who", "Cy")
    assert run.code == 2
    assert "line 2: template greet: no value for $lang" in run.stderr
    assert "line 3: template greet: no value for $lang" in run.stderr  # its -f is checked too
    assert "line 4: param must be an object" in run.stderr
    assert "line 1" not in run.stderr and "Traceback" not in run.stderr
    assert mock.bodies == []


def test_a_missing_fragment_is_reported_with_its_line(llmcli, mock, tmp_path):
    src = write_lines(
        tmp_path / "in.jsonl",
        [{"prompt": "x"}, {"prompt": "z", "fragment": [str(tmp_path / "missing.txt")]}],
    )
    run = batch(llmcli, mock, src, tmp_path / "out.jsonl")
    assert run.code == 2
    assert f"line 2: -f {tmp_path / 'missing.txt'}: no such file or folder" in run.stderr
    assert mock.bodies == []


def test_a_command_fragment_runs_once_for_all_lines(llmcli, mock, tmp_path):
    counter = tmp_path / "count"
    src = write_lines(tmp_path / "in.jsonl", [{"prompt": f"p{n}"} for n in range(5)])
    command = f"echo run >> {counter}; echo shared"
    run = batch(llmcli, mock, src, tmp_path / "out.jsonl", "-f", f"!{command}", "--allow-commands")
    assert run.code == 0, run.stderr
    assert len(mock.bodies) == 5
    assert all("shared" in b["messages"][-1]["content"] for b in mock.bodies)
    assert Path(counter).read_text() == "run\n"  # checked and sent: one run in all


def test_skip_invalid_skips_a_line_missing_a_variable(llmcli, mock, tmp_path):
    write_template(tmp_path, "greet", 'prompt = "Greet $who"\n')
    src = write_lines(
        tmp_path / "in.jsonl",
        [{"custom_id": "a", "param": {"who": "Ann"}}, {"custom_id": "b", "prompt": "x"}],
    )
    out = tmp_path / "out.jsonl"
    run = batch(llmcli, mock, src, out, "-t", "greet", "--skip-invalid")
    assert run.code == 0, run.stderr
    assert "skipped line 2: template greet: no value for $who" in run.stderr
    assert [x["custom_id"] for x in read_out(out)] == ["a"]
    assert mock.bodies[0]["messages"] == [{"role": "user", "content": "Greet Ann"}]


def test_stdin_fragment_with_stdin_input_is_refused(llmcli, mock, tmp_path):
    out = tmp_path / "out.jsonl"
    run = llmcli(
        "batch", "run", "-", "--output", str(out), "-m", "openai/gpt-4o-mini",
        "--api-base", mock.url + "/v1", "-f", "-",
        input='{"prompt": "x"}\n',
    )  # fmt: skip
    assert run.code == 2
    assert "line 1: -f -: stdin is the batch input" in run.stderr
    assert mock.bodies == []


def test_stdin_fragment_with_a_file_input_is_read_once(llmcli, mock, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", [{"prompt": "a"}, {"prompt": "b"}])
    run = llmcli(
        "batch", "run", str(src), "--output", str(tmp_path / "out.jsonl"),
        "-m", "openai/gpt-4o-mini", "--api-base", mock.url + "/v1", "-f", "-",
        input="shared\n",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert sorted(b["messages"][-1]["content"] for b in mock.bodies) == [
        "stdin\n```\nshared\n```\n\na",
        "stdin\n```\nshared\n```\n\nb",
    ]
