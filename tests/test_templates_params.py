"""`-p/--param NAME VALUE` (two words, as issue 14 names it) beside `-p NAME=VALUE`."""

from __future__ import annotations

from tests.samples import openai_reply
from tests.test_templates import MODEL, system_text, user_text, write_template


def test_param_takes_name_and_value_as_two_words(llmcli, server, tmp_path):
    write_template(tmp_path, "greet", 'system = "Speak $lang"\nprompt = "Greet $who: $input"\n')
    server.queue(openai_reply())
    run = llmcli(
        "complete", *MODEL, "--api-base", server.url,
        "-t", "greet", "-p", "lang", "Dutch", "--param", "who", "Ann = Bo", "be kind",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert system_text(server) == "Speak Dutch"
    assert user_text(server) == "Greet Ann = Bo: be kind"


def test_name_equals_value_still_takes_one_word(llmcli, server, tmp_path):
    write_template(tmp_path, "greet", 'system = "Speak $lang"\nprompt = "Greet $who: $input"\n')
    server.queue(openai_reply())
    run = llmcli(
        "complete", *MODEL, "--api-base", server.url,
        "-t", "greet", "-p", "lang=a=b", "-p", "who", "Bob", "the prompt",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert system_text(server) == "Speak a=b"
    assert user_text(server) == "Greet Bob: the prompt"


def test_param_name_without_value_is_one_line(llmcli, server):
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-t", "translate", "-p", "lang")
    assert run.code == 2
    assert run.stderr.count("\n") == 1 and "NAME VALUE" in run.stderr
    assert server.requests == []


def test_help_shows_name_value(llmcli):
    run = llmcli("complete", "--help")
    assert "-p, --param NAME VALUE" in run.stdout
