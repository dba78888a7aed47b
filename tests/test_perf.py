"""What keeps a streamed run close to the stack floor (bench/): the engine's hot loop,
the accumulator's memory, and the modules a plain `complete` run does not load."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from llmcli import engine
from llmcli.events import TEXT_FOLD, Accumulator, Event, Finish, TextDelta
from llmcli.policy import Policy
from llmcli.providers import openai
from llmcli.request import Request, user_message
from llmcli.transport import Connection
from tests.samples import openai_reply
from tests.servers import ReplayServer

# Modules a plain streamed `complete` (no attachments, tools, config file or images)
# never needs: each is imported by the code that uses it.
NOT_NEEDED = (
    "llmcli.inputs",
    "llmcli.tool_exec",
    "llmcli.tasks",
    "llmcli.tomlfile",
    "llmcli.providers.openai_chat.endpoints",
    "tomllib",
    "shlex",
)


def test_a_plain_complete_run_does_not_import_what_it_does_not_use(
    server: ReplayServer, tmp_path: Path
) -> None:
    server.queue(openai_reply("Hi there."))
    code = (
        "import atexit, sys\n"
        "from llmcli.cli.app import main\n"
        f"atexit.register(lambda: sys.stderr.write(repr(sorted(m for m in {NOT_NEEDED!r}"
        " if m in sys.modules))))\n"
        "main()\n"
    )
    argv = ["complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "hi"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMCLI_", "OPENAI_"))}
    env.update(OPENAI_API_KEY="sk-test", NO_COLOR="1", LLMCLI_HOME=str(tmp_path))
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hi there.\n"
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_the_engine_calls_on_first_once_before_the_first_event(server: ReplayServer) -> None:
    server.queue(openai_reply("one two three"))
    seen: list[str] = []

    def on_event(event: Event) -> None:
        seen.append(type(event).__name__)

    req = Request(provider="openai", model="gpt-4o-mini", messages=[user_message("hi")])
    result = engine.execute(
        openai,
        req,
        Connection(base_url=server.url, headers={"authorization": "Bearer sk-test"}),
        Policy(retries=0),
        on_event,
        on_first=lambda: seen.append("first"),
    )
    assert seen[:2] == ["first", "TextDelta"]
    assert seen.count("first") == 1
    assert result.content == "one two three"
    assert result.finish_reason == "stop"


def test_the_accumulator_holds_few_delta_objects_and_loses_no_text() -> None:
    acc = Accumulator("openai", "m")
    for i in range(3 * TEXT_FOLD + 7):
        acc.add(TextDelta(f"{i} "))
        # Thousands of small str objects would cost more memory than their text.
        assert len(acc.texts) < TEXT_FOLD
    acc.add(Finish("stop"))
    result = acc.finish()
    assert result.content == "".join(f"{i} " for i in range(3 * TEXT_FOLD + 7))
    assert acc.finish().content == result.content  # finishing twice gives the same text
