"""`llmcli complete` run as a user runs it: pipes, stdin, exit codes, errors, output modes."""

from __future__ import annotations

import pytest

from tests.conftest import FAKE_KEYS
from tests.samples import openai_reply
from tests.servers import ReplayServer, load_case


def sent_user_text(server: ReplayServer) -> str:
    return str(server.requests[-1].json["messages"][-1]["content"])


# ---- prompt and stdin ---------------------------------------------------------------


def test_prompt_argument_is_sent_and_answer_printed_plain(llmcli, server):
    server.queue(openai_reply("Hello there."))
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "Hi!")
    assert run.code == 0, run.stderr
    assert run.stdout == "Hello there.\n"
    assert run.stderr == ""
    assert sent_user_text(server) == "Hi!"


def test_stdin_alone_is_the_prompt(llmcli, server):
    server.queue(openai_reply())
    run = llmcli(
        "complete", "-m", "gpt-4o-mini", "--api-base", server.url, input="text from a pipe\n"
    )
    assert run.code == 0, run.stderr
    assert sent_user_text(server) == "text from a pipe"


def test_stdin_comes_first_then_blank_line_then_prompt(llmcli, server):
    server.queue(openai_reply())
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4o-mini",
        "--api-base",
        server.url,
        "Summarise this.",
        input="line one\nline two\n",
    )
    assert run.code == 0, run.stderr
    assert sent_user_text(server) == "line one\nline two\n\nSummarise this."


def test_model_from_environment(llmcli, server):
    server.queue(openai_reply())
    run = llmcli("complete", "--api-base", server.url, "hi", env={"LLMCLI_MODEL": "openai/gpt-x"})
    assert run.code == 0, run.stderr
    assert server.requests[-1].json["model"] == "gpt-x"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        ((), "", "no prompt"),
        (("   ",), "", "no prompt"),
        ((), "\n\n", "no prompt"),
    ],
)
def test_no_prompt_exits_2(llmcli, args, stdin, message):
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", *args, input=stdin)
    assert run.code == 2
    assert run.stderr.startswith(f"llmcli: {message}")
    assert "Traceback" not in run.stderr


def test_invalid_utf8_stdin_is_one_line(llmcli):
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", input=b"\xff\xfe\xfa")
    assert run.code == 2
    assert run.stderr.count("\n") == 1
    assert "not UTF-8" in run.stderr


# ---- routing, keys, usage errors ------------------------------------------------------


def test_unknown_provider_lists_known_prefixes(llmcli):
    run = llmcli("complete", "-m", "mistral/large", "hi")
    assert run.code == 2
    line = run.stderr.strip()
    assert "\n" not in line
    for prefix in ("openai/", "anthropic/", "deepseek/", "ollama/", "ollama_chat/", "openrouter/"):
        assert prefix in line


@pytest.mark.parametrize(
    ("model", "provider", "variable"),
    [
        ("anthropic/claude-sonnet-4-5", "anthropic", "ANTHROPIC_API_KEY"),
        ("claude-3-5-haiku-latest", "anthropic", "ANTHROPIC_API_KEY"),
        ("openai/gpt-4o", "openai", "OPENAI_API_KEY"),
        ("o3-mini", "openai", "OPENAI_API_KEY"),
        ("deepseek-chat", "deepseek", "DEEPSEEK_API_KEY"),
        ("openrouter/openai/gpt-4o", "openrouter", "OPENROUTER_API_KEY"),
    ],
)
def test_missing_key_names_the_variable(llmcli, model, provider, variable):
    run = llmcli("complete", "-m", model, "hi", env={variable: ""})
    assert run.code == 2
    assert run.stderr == f"llmcli: no API key for {provider}: set {variable} or pass --api-key\n"


def test_no_model_at_all_uses_the_offline_default(llmcli, server):
    # local/smollm2, here reached through --api-base (test_local.py runs its server).
    server.queue(openai_reply())
    run = llmcli("complete", "--api-base", server.url, "hi")
    assert run.code == 0, run.stderr
    assert "no model chosen: using local/smollm2" in run.stderr
    assert "LLMCLI_MODEL" in run.stderr
    assert server.requests[-1].json["model"] == "smollm2"


@pytest.mark.parametrize(
    ("flag", "value", "fragment"),
    [
        ("--temperature", "3", "--temperature"),
        ("--top-p", "1.5", "--top-p"),
        ("--max-tokens", "-5", "--max-tokens"),
        ("--thinking-budget", "0", "--thinking-budget"),
        ("-o", "novalue", "-o"),
        ("-H", "NoColonHere", "-H"),
        ("--reasoning-effort", "extreme", "reasoning-effort"),
    ],
)
def test_bad_flag_values_exit_2_with_one_line(llmcli, flag, value, fragment):
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", flag, value, "hi")
    assert run.code == 2
    assert fragment in run.stderr
    assert "Traceback" not in run.stderr


# ---- request shaping ------------------------------------------------------------------


def test_options_headers_and_sampling_reach_the_body(llmcli, server):
    server.queue(openai_reply(stream=False))
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4o-mini",
        "--api-base",
        server.url,
        "--no-stream",
        "-s",
        "Be brief.",
        "--temperature",
        "0.2",
        "--top-p",
        "0.9",
        "--max-tokens",
        "50",
        "--stop",
        "END",
        "--stop",
        "STOP",
        "--user",
        "u-42",
        "-o",
        "seed=7",
        "-o",
        'metadata={"a": 1}',
        "-o",
        'provider.order=["x"]',
        "-o",
        "tag=plain",
        "-H",
        "X-Trace: abc",
        "hi",
    )
    assert run.code == 0, run.stderr
    sent = server.requests[-1]
    body = sent.json
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["temperature"] == 0.2 and body["top_p"] == 0.9 and body["max_tokens"] == 50
    assert body["stop"] == ["END", "STOP"] and body["user"] == "u-42"
    assert body["seed"] == 7 and body["metadata"] == {"a": 1} and body["tag"] == "plain"
    assert body["provider"] == {"order": ["x"]}
    assert body["stream"] is False and "stream_options" not in body
    assert sent.headers["x-trace"] == "abc"
    assert sent.headers["authorization"] == f"Bearer {FAKE_KEYS['OPENAI_API_KEY']}"


def test_api_key_flag_overrides_environment(llmcli, server):
    server.queue(openai_reply())
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4o-mini",
        "--api-base",
        server.url,
        "--api-key",
        "sk-flag-9",
        "hi",
    )
    assert run.code == 0, run.stderr
    assert server.requests[-1].headers["authorization"] == "Bearer sk-flag-9"


def test_base_url_from_environment(llmcli, server):
    server.queue(openai_reply())
    run = llmcli(
        "complete", "-m", "openai/gpt-4o-mini", "hi", env={"OPENAI_BASE_URL": server.url + "/v1"}
    )
    assert run.code == 0, run.stderr
    assert server.requests[-1].path == "/v1/chat/completions"


def test_unknown_model_with_api_base_goes_to_openai_compatible_server(llmcli, server):
    server.queue(openai_reply())
    run = llmcli(
        "complete",
        "-m",
        "meta-llama/Llama-3-8B",
        "--api-base",
        server.url,
        "hi",
        env={"OPENAI_API_KEY": ""},
    )
    assert run.code == 0, run.stderr
    assert server.requests[-1].json["model"] == "meta-llama/Llama-3-8B"
    assert "authorization" not in server.requests[-1].headers


# ---- output -------------------------------------------------------------------------


def test_usage_flag_prints_tokens_to_stderr(llmcli, server):
    server.queue(openai_reply())
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "-u", "hi")
    assert run.code == 0
    assert run.stdout == "Hello there.\n"
    # gpt-4o-mini in the model catalog: $0.15 / $0.60 per million tokens.
    assert run.stderr == "usage: 9 input, 3 output, $0.000003\n"


def test_streamed_reasoning_goes_to_stderr_and_can_be_hidden(llmcli, server):
    case = load_case("deepseek", "reasoner-stream")
    server.queue(case.reply())
    shown = llmcli("complete", "-m", "deepseek-reasoner", "--api-base", server.url, "hi")
    assert shown.code == 0, shown.stderr
    assert shown.stderr.startswith("Hmm")
    assert "Hmm" not in shown.stdout
    server.queue(case.reply())
    hidden = llmcli(
        "complete", "-m", "deepseek-reasoner", "--api-base", server.url, "--hide-reasoning", "hi"
    )
    assert hidden.stderr == ""
    assert hidden.stdout == shown.stdout


@pytest.mark.parametrize("stream", [True, False])
def test_json_output_is_one_object(llmcli, server, stream):
    server.queue(openai_reply("Hello there.", stream=stream))
    flag = "--stream" if stream else "--no-stream"
    run = llmcli(
        "complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, flag, "--json", "hi"
    )
    assert run.code == 0, run.stderr
    assert run.stdout.count("\n") == 1
    out = run.json
    assert out == {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "content": "Hello there.",
        "reasoning": None,
        "tool_calls": [],
        "citations": [],
        "images": [],
        "finish_reason": "stop",
        "usage": {
            "input_tokens": 9,
            "output_tokens": 3,
            "reasoning_tokens": None,
            "cache_read_tokens": None,
            "cache_write_tokens": None,
            "cost": 3.15e-06,  # 9 x $0.15 + 3 x $0.60 per million (model catalog)
        },
    }


# ---- failures -------------------------------------------------------------------------


def test_http_error_is_one_line_with_provider_status_type_and_message(llmcli, server):
    case = load_case("openai", "error-400-unsupported-value")
    server.queue(case.reply())
    run = llmcli("complete", "-m", "openai/o1-mini", "--api-base", server.url, "hi")
    assert run.code == 1
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("llmcli: openai 400 invalid_request_error: ")


def test_cannot_connect_names_the_url(llmcli):
    run = llmcli(
        "complete", "-m", "openai/gpt-4o-mini", "--api-base", "http://127.0.0.1:9/v1", "hi"
    )
    assert run.code == 1
    assert run.stderr.startswith("llmcli: cannot connect to http://127.0.0.1:9/v1/chat/completions")
    assert run.stderr.count("\n") == 1


def test_partial_stream_is_kept_then_error_line(llmcli, server):
    case = load_case("openai", "stream-text-usage")
    server.queue(case.reply(cut_after=len(case.response) // 2))
    run = llmcli("complete", "-m", "openai/gpt-3.5-turbo", "--api-base", server.url, "hi")
    assert run.code == 1
    assert run.stdout.startswith("1")
    assert run.stderr.startswith("llmcli: ")
    assert "Traceback" not in run.stderr


def test_debug_shows_request_with_key_redacted(llmcli, server):
    server.queue(openai_reply())
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "--debug", "hi")
    assert run.code == 0
    assert "debug: > POST " + server.url + "/chat/completions" in run.stderr
    assert "debug: > authorization: <redacted>" in run.stderr
    assert "debug: < HTTP 200" in run.stderr
    assert FAKE_KEYS["OPENAI_API_KEY"] not in run.stderr + run.stdout


def test_help_lists_complete():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "llmcli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "complete" in out.stdout


def test_ctrl_c_while_waiting_for_stdin_exits_130(cli_env):
    """Ctrl-C before any request (here: stdin still open) is one line and status 130."""
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "llmcli", "complete", "-m", "openai/gpt-4o-mini"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env,
    )
    time.sleep(1.5)  # started and blocked reading stdin
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert err.decode().strip() == "llmcli: interrupted"
    assert out == b""
