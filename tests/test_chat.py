"""`llmcli chat`: slash commands (unit, and through prompt-toolkit pipe input) and the
REPL driven through a real pseudo-terminal against the loopback replay server."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest

from llmcli.cli.repl import Repl, Session, parse_command, prompt_session, unquote_block
from llmcli.cli.spec import Flags
from tests.samples import PNG, SCHEMA, TOOLS
from tests.servers import ReplayServer, Reply


def sse_answer(words: list[str], model: str = "gpt-4o-mini") -> bytes:
    """A streamed chat answer in the documented OpenAI chunk shape."""
    chunks = [{"choices": [{"index": 0, "delta": {"content": w}}]} for w in words]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    chunks.append({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": len(words)}})
    body = "".join(f"data: {json.dumps({'model': model, **c})}\n\n" for c in chunks)
    return (body + "data: [DONE]\n\n").encode()


# ---- parsing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("/model  openai/gpt-4o ", ("/model", "openai/gpt-4o")),
        ("/HELP", ("/help", "")),
        ("/system be terse please", ("/system", "be terse please")),
        ("hello /model", None),
        ("//not a command", None),
        ("   /undo", ("/undo", "")),
    ],
)
def test_parse_command(line, parsed):
    assert parse_command(line) == parsed


def test_unquote_block():
    assert unquote_block('"""\nline 1\nline 2\n"""') == "\nline 1\nline 2\n"


def repl_with_output() -> tuple[Repl, list[str]]:
    said: list[str] = []
    repl = Repl(Session(flags=Flags(model="openai/gpt-4o-mini", log=False)), said.append)
    return repl, said


def test_commands_change_the_flags():
    repl, said = repl_with_output()
    repl.handle("/model anthropic/claude-sonnet-4-5")
    repl.handle("/system Answer in French.")
    repl.handle("/thinking 3000")
    repl.handle("/effort high")
    flags = repl.s.flags
    assert flags.model == "anthropic/claude-sonnet-4-5"
    assert flags.system == "Answer in French."
    assert (flags.thinking, flags.thinking_budget) == (True, 3000)
    assert flags.reasoning_effort == "high"
    repl.handle("/thinking off")
    repl.handle("/effort off")
    repl.handle("/system")
    assert (flags.thinking, flags.thinking_budget, flags.reasoning_effort) == (False, None, None)
    assert flags.system is None
    assert said[0] == "model: anthropic/claude-sonnet-4-5"


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("/frobnicate", "unknown command /frobnicate: type /help for the list"),
        ("/model nope/x", "llmcli: unknown provider for model 'nope/x'"),
        ("/thinking maybe", "llmcli: use /thinking on, /thinking off or /thinking BUDGET"),
        ("/effort extreme", "llmcli: use /effort none|low|medium|high|off"),
        ("/undo", "nothing to undo"),
        ("/retry", "nothing to retry yet"),
        ("/history", "(empty conversation)"),
    ],
)
def test_bad_or_empty_commands_give_a_hint_not_a_crash(line, reply):
    repl, said = repl_with_output()
    repl.handle(line)
    assert said and said[-1].startswith(reply)
    assert repl.running


def test_help_lists_every_command():
    repl, said = repl_with_output()
    repl.handle("/help")
    text = "\n".join(said)
    for name in ("/model", "/system", "/retry", "/undo", "/new", "/save", "/usage", "/exit"):
        assert name in text


def test_pipe_input_drives_the_loop(tmp_path: Path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    repl, _ = repl_with_output()
    with create_pipe_input() as pipe:
        pipe.send_text("/model deepseek/deepseek-chat\r/system hi there\r/exit\r")
        repl.loop(prompt_session(tmp_path, input=pipe, output=DummyOutput()))
    assert repl.s.flags.model == "deepseek/deepseek-chat"
    assert repl.s.flags.system == "hi there"
    assert not repl.running
    assert (tmp_path / "chat_history").read_text().count("/model deepseek/deepseek-chat") == 1


def test_chat_refuses_a_pipe(llmcli):
    run = llmcli("chat", "-m", "openai/gpt-4o-mini", input="hello")
    assert run.code == 2
    assert run.stderr == (
        "llmcli: chat needs a terminal: for pipes and scripts use `llmcli complete`\n"
    )


# ---- a real pseudo-terminal ------------------------------------------------------------

# prompt-toolkit draws "> " as ">" plus a cursor move.
PROMPT = ">"


def test_repl_in_a_pty(server: ReplayServer, cli_env: dict[str, str], tmp_path: Path):
    pexpect = pytest.importorskip("pexpect")
    db = tmp_path / "chat.db"
    server.queue(
        Reply(
            body=sse_answer(["Hello", " from", " the", " model."]), content_type="text/event-stream"
        ),
        Reply(body=sse_answer(["Second", " answer."], "gpt-x"), content_type="text/event-stream"),
        # A slow answer to interrupt: 40 chunks, 0.1 s apart.
        Reply(
            body=sse_answer([f"w{i} " for i in range(40)]),
            content_type="text/event-stream",
            chunk=40,
            delay=0.1,
        ),
    )
    child = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "llmcli",
            "chat",
            "-m",
            "openai/gpt-4o-mini",
            "--api-base",
            server.url,
            "--db",
            str(db),
        ],
        env={**cli_env, "PROMPT_TOOLKIT_NO_CPR": "1"},
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )
    child.expect("/help for commands")
    child.expect(PROMPT)
    child.sendline("Say hello")
    child.expect("Hello from the model.")
    child.expect(PROMPT)
    child.sendline("/model openai/gpt-x")
    child.expect("model: openai/gpt-x")
    child.expect(PROMPT)
    child.sendline("/retry")
    child.expect("Second answer.")
    child.expect(PROMPT)
    child.sendline("Count slowly")
    child.expect("w3 ")
    child.sendintr()
    child.expect(re.escape("(interrupted: the partial answer was kept)"))
    child.expect(PROMPT)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    sent = [r.json for r in server.requests]
    assert [s["model"] for s in sent] == ["gpt-4o-mini", "gpt-x", "gpt-x"]
    assert sent[1]["messages"] == [{"role": "user", "content": "Say hello"}]
    assert sent[2]["messages"][:2] == [
        {"role": "user", "content": "Say hello"},
        {"role": "assistant", "content": "Second answer."},
    ]

    rows = (
        sqlite3.connect(db)
        .execute(
            "SELECT r.finish_reason, r.error, m.parts FROM responses r"
            " JOIN messages m ON m.id = r.message_id ORDER BY r.id"
        )
        .fetchall()
    )
    assert len(rows) == 2  # /retry replaced the first answer
    assert rows[0][0] == "stop" and json.loads(rows[0][2])[0]["text"] == "Second answer."
    assert rows[1][0] == "error" and rows[1][1] == "interrupted"
    partial = json.loads(rows[1][2])[0]["text"]
    assert partial.startswith("w0 w1 w2 w3 ") and not partial.endswith("w39 ")


def test_attach_schema_tools_and_cache_commands(tmp_path: Path):
    image, schema, tools = tmp_path / "a.png", tmp_path / "s.json", tmp_path / "t.json"
    image.write_bytes(PNG)
    schema.write_text(json.dumps(SCHEMA))
    tools.write_text(json.dumps(TOOLS))
    repl, said = repl_with_output()
    repl.handle(f"/attach {image}")
    repl.handle(f"/schema {schema}")
    repl.handle(f"/tools {tools}")
    repl.handle("/cache on")
    flags = repl.s.flags
    assert [p.name for p in repl.s.pending] == ["a.png"]
    assert flags.json_schema == str(schema) and flags.tools == [str(tools)]
    assert flags.cache_system and flags.cache_tools
    assert said == [
        "attached a.png (image/png) to the next prompt",
        f"answers must match {schema}",
        "tools: get_temperature",
        "prompt caching on",
    ]
    repl.handle("/schema off")
    repl.handle("/tools off")
    repl.handle("/attach /no/such/file.png")
    assert flags.json_schema is None and flags.tools == []
    assert said[-1] == "llmcli: attachment not found: /no/such/file.png"


def test_undo_drops_a_whole_tool_exchange():
    from llmcli.request import Message, TextPart, ToolCallPart, ToolResultPart, user_message

    repl, said = repl_with_output()
    first = [user_message("Hi"), Message(role="assistant", parts=[TextPart(text="Hello")])]
    tool_turn = [
        user_message("Weather?"),
        Message(role="assistant", parts=[ToolCallPart(id="c1", name="w", arguments={})]),
        Message(role="user", parts=[ToolResultPart(tool_call_id="c1", name="w", content="sun")]),
        Message(role="assistant", parts=[TextPart(text="Sunny.")]),
    ]
    repl.s.messages = first + tool_turn
    repl.handle("/undo")
    assert repl.s.messages == first
    assert said[-1] == "dropped the last exchange"


# ---- the same markdown, the same screen ------------------------------------------------

BLOCKS = ["Here is a list:\n\n", "- one\n- two\n\n", "And after it.\n\n", "1. first\n2. second\n\n"]
BLOCKS.append("End.\n\n")  # complete: printed as a block, not drawn live
_SEQUENCE = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07]*\x07|\r|\n|[^\x1b\r\n]+")


def block_by_block() -> Reply:
    """The answer as one SSE event per markdown block, each event one write 0.3 s apart
    (padded to the same length with an SSE comment): each block completes on its own."""
    events = [
        f"data: {json.dumps({'choices': [{'index': 0, 'delta': {'content': b}}]})}\n"
        for b in BLOCKS
    ]
    events.append(sse_answer([]).decode())
    size = max(len(e.encode()) for e in events) + 4
    body = "".join(e + ":" + " " * (size - len(e.encode()) - 3) + "\n\n" for e in events)
    return Reply(body=body.encode(), content_type="text/event-stream", chunk=size, delay=0.3)


def screen(raw: str) -> list[str]:
    """What a terminal shows after `raw`, for the moves rich's live region makes: text
    overwrites, CR, LF, cursor up (CSI A) and erase line (CSI K); styles are dropped."""
    lines, row, col = [""], 0, 0
    for match in _SEQUENCE.finditer(raw):
        text, (args, final) = match.group(), match.groups()
        if final == "A":
            row = max(row - int(args or 1), 0)
        elif final == "K":
            lines[row] = ""
        elif text == "\r":
            col = 0
        elif text == "\n":
            row += 1
            lines += [""] * (row + 1 - len(lines))
        elif not text.startswith("\x1b"):
            line = lines[row].ljust(col)
            lines[row] = line[:col] + text + line[col + len(text) :]
            col += len(text)
    return [line.rstrip() for line in lines]


def answer_on_screen(raw: str) -> list[str]:
    """The lines from the answer's first to its last as the terminal shows them."""
    lines = screen(raw)
    first = next(i for i, line in enumerate(lines) if line.startswith("Here is a list:"))
    last = next(i for i, line in enumerate(lines) if line.startswith("End."))
    return lines[first : last + 1]


# It once failed in CI with a list's first item shown twice: rich's refresh thread redrew
# the live region while a block was printed above it. Redraws now happen in `feed` only
# (tests/test_render_markdown.py checks that no other thread draws).
def test_complete_and_chat_render_the_same_markdown_the_same(
    server: ReplayServer, cli_env: dict[str, str]
):
    """One blank line between blocks, in `complete` and in `chat` alike, even when each
    block was printed on its own (it used to be two between a paragraph and a list)."""
    pexpect = pytest.importorskip("pexpect")
    env = {k: v for k, v in cli_env.items() if k != "NO_COLOR"} | {"TERM": "xterm"}
    server.queue(block_by_block(), block_by_block())
    base = ["-m", "llmcli", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "--no-log"]
    spawn = {"env": env, "encoding": "utf-8", "timeout": 20, "dimensions": (40, 80)}

    one_shot = pexpect.spawn(sys.executable, [*base[:2], "complete", *base[2:], "hi"], **spawn)
    one_shot.expect(pexpect.EOF)
    one_shot.close()
    assert one_shot.exitstatus == 0, one_shot.before

    chat = pexpect.spawn(
        sys.executable,
        [*base[:2], "chat", *base[2:]],
        **{**spawn, "env": {**env, "PROMPT_TOOLKIT_NO_CPR": "1"}},
    )
    chat.expect(PROMPT)
    chat.logfile_read = shown = io.StringIO()
    chat.sendline("hi")
    chat.expect("End.")
    chat.expect(PROMPT)  # after the answer
    chat.sendeof()
    chat.expect(pexpect.EOF)
    chat.close()

    expected = ["Here is a list:", "", " • one", " • two", "", "And after it.", "", " 1 first"]
    expected += [" 2 second", "", "End."]
    assert answer_on_screen(one_shot.before) == expected
    assert answer_on_screen(shown.getvalue()) == expected
