"""Text from a model or a server never drives the terminal (issue 11, row 14): control
characters are shown on a terminal, kept exactly in pipes and `--json`; a server's error
is one line of at most 500 characters, with the whole body under `--debug`."""

from __future__ import annotations

import io
import json
import sys

import pytest

from llmcli.controls import visible
from llmcli.errors import MESSAGE_LIMIT, ProviderError
from llmcli.events import ReasoningDelta, Result, TextDelta, ToolCallDone
from llmcli.render import TerminalRenderer, TextRenderer
from tests.samples import openai_reply
from tests.servers import Reply

# A title change, a screen clear, an OSC 52 clipboard write, a C1 CSI, a backspace, CR.
HOSTILE = "a\x1b]0;owned\x07b\x1b[2Jc\x1b]52;c;ZWNobyBoaQ==\x07d\x9b31me\x08f\rg\x7fh"
SHOWN = "a␛]0;owned␇b␛[2Jc␛]52;c;ZWNobyBoaQ==␇d␛[31me␈f␍g␡h"
# What may never reach a terminal from the model's text.
RAW = ("\x1b]0;", "\x1b[2J", "\x1b]52;", "\x07", "\x9b", "\x08", "\r", "\x7f")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_visible_shows_every_control_but_newline_and_tab():
    assert visible(HOSTILE) == SHOWN
    assert visible("line\n\tindented") == "line\n\tindented"
    every = "".join(map(chr, range(0x20))) + "\x7f" + "".join(map(chr, range(0x80, 0xA0)))
    assert [c for c in visible(every) if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0] == ["\t", "\n"]


def test_plain_renderer_on_a_terminal_shows_the_controls():
    out, err = FakeTerminal(), FakeTerminal()
    renderer = TextRenderer(out, err, colour="never")
    renderer.event(ReasoningDelta(HOSTILE))
    renderer.event(TextDelta(HOSTILE))
    renderer.finish(Result("openai", "m", content=HOSTILE))
    assert out.getvalue() == SHOWN + "\n"
    assert err.getvalue() == SHOWN + "\n\n"


def test_dimmed_reasoning_keeps_its_own_style_but_not_the_models():
    out, err = FakeTerminal(), FakeTerminal()
    renderer = TextRenderer(out, err, colour="always")
    renderer.event(ReasoningDelta("think\x1b[2J"))
    renderer.event(TextDelta("ok"))
    assert err.getvalue() == "\x1b[2mthink␛[2J\x1b[0m\n\n"


def test_plain_renderer_to_a_pipe_keeps_the_exact_text():
    out, err = io.StringIO(), io.StringIO()
    renderer = TextRenderer(out, err, colour="never")
    renderer.event(ReasoningDelta(HOSTILE))
    renderer.event(TextDelta(HOSTILE))
    renderer.finish(Result("openai", "m", content=HOSTILE))
    assert out.getvalue() == HOSTILE + "\n"
    assert err.getvalue() == HOSTILE + "\n\n"


def test_markdown_renderer_shows_the_controls(monkeypatch: pytest.MonkeyPatch):
    out, err = FakeTerminal(), FakeTerminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.delenv("NO_COLOR", raising=False)
    renderer = TerminalRenderer(colour="always")
    renderer.event(ReasoningDelta(HOSTILE))
    for piece in ("# Title\n\n", HOSTILE[:7], HOSTILE[7:], "\n\n- item ", HOSTILE, "\n"):
        renderer.event(TextDelta(piece))
    call = ToolCallDone(id="1", name="run\x1b]0;x\x07", arguments={"cmd": "\x1b[2J"})
    renderer.finish(Result("openai", "m", tool_calls=[call]))
    renderer.close()
    shown = out.getvalue()
    assert "owned" in shown and "␛]0;owned␇" in shown
    # rich's live region moves the cursor with its own CR: the model's CR is shown (␍).
    assert "␍" in shown
    assert not [raw for raw in RAW if raw in shown and raw != "\r"]
    assert not [raw for raw in RAW if raw in err.getvalue()]


def test_a_pipe_and_json_get_the_answer_unchanged(llmcli, server):
    server.queue(openai_reply(HOSTILE), openai_reply(HOSTILE))
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "hi")
    assert run.code == 0, run.stderr
    assert run.stdout == HOSTILE + "\n"
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "hi", "--json")
    assert run.json["content"] == HOSTILE


def test_server_error_text_is_one_line_of_at_most_500_characters():
    err = ProviderError("openai", "first line\n" + "x" * 5000 + "\x1b[2J", status=400)
    line = str(err)
    assert "\n" not in line
    assert line.startswith("openai 400: first line xxx")
    assert len(line) <= len("openai 400: ") + MESSAGE_LIMIT
    assert line.endswith("…")


def test_the_whole_error_body_goes_to_debug(llmcli, server):
    message = "quota " + "y" * 3000 + " END"
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error"}})
    server.queue(Reply(status=400, body=body.encode()))
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "hi")
    assert run.code == 1
    line = run.stderr.strip()
    assert "\n" not in line and len(line) < 560 and "END" not in line
    server.queue(Reply(status=400, body=body.encode()))
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "hi", "--debug")
    assert "END" in run.stderr  # the body, whole, under --debug


def test_a_terminal_sees_no_control_sequence_from_an_answer_or_an_error(server, cli_env):
    """A real pseudo-terminal: the plain renderer (NO_COLOR) and the error line."""
    pexpect = pytest.importorskip("pexpect")
    error = json.dumps({"error": {"message": "bad \x1b]0;owned\x07 \x1b]52;c;aGk=\x07 end"}})
    server.queue(openai_reply(HOSTILE), Reply(status=400, body=error.encode()))
    outputs = []
    for _ in range(2):
        child = pexpect.spawn(
            sys.executable,
            ["-m", "llmcli", "complete", "-m", "gpt-4o-mini", "--api-base", server.url, "hi"],
            env=cli_env,
            encoding="utf-8",
            timeout=20,
        )
        child.expect(pexpect.EOF)
        child.close()
        outputs.append(child.before)
    answer, error_line = outputs
    assert SHOWN in answer
    assert "llmcli: openai 400: bad ␛]0;owned␇ ␛]52;c;aGk=␇ end" in error_line
    for text in outputs:
        assert not [raw for raw in RAW if raw in text.replace("\r\n", "\n")]


def test_an_error_inside_the_stream_is_cut_too(llmcli, server):
    """An error event after text began: the partial answer stays, the error line is one
    line of at most 500 characters of the server's words, --debug has them all."""
    message = "stream broke\n" + "z" * 2000 + " END"
    frames = [
        {"choices": [{"index": 0, "delta": {"content": "partial"}}]},
        {"error": {"message": message, "type": "server_error"}},
    ]
    body = "".join(f"data: {json.dumps(f)}\n\n" for f in frames).encode()
    for debug in ((), ("--debug",)):
        server.queue(Reply(body=body, content_type="text/event-stream"))
        args = ("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "hi", *debug)
        run = llmcli(*args)
        assert run.code == 1 and run.stdout == "partial\n"
        line = run.stderr.strip().splitlines()[-1]
        assert line.startswith("llmcli: openai server_error: stream broke zzz")
        assert len(line) <= len("llmcli: openai server_error: ") + MESSAGE_LIMIT
        assert ("END" in run.stderr) == bool(debug)


def test_logs_show_and_list_on_a_terminal_show_a_stored_answers_controls(
    llmcli, server, cli_env, monkeypatch
):
    """A stored answer is replayed to the terminal by `logs show` and titled in `logs list`:
    its escapes stay inert there too; a pipe still gets the exact text."""
    server.queue(openai_reply(HOSTILE))
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, HOSTILE)
    assert run.code == 0, run.stderr
    cid = llmcli("logs", "list", "--json").json[0]["id"]
    assert HOSTILE in llmcli("logs", "show", cid).stdout

    from llmcli.cli import logs

    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    for command in (lambda: logs.show_cmd(cid, db=None), lambda: logs.list_cmd(db=None)):
        terminal = FakeTerminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        command()
        shown = terminal.getvalue()
        assert "owned" in shown and not any(raw in shown for raw in RAW), repr(shown)
