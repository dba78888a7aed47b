"""Keys, headers and base URLs before anything is sent (issue 11, rows 1-4 and 8).

A key or -H value that cannot be a header is refused naming its source, never itself; a
provider's key goes only to that provider; a -H header replaces llmcli's own of the same
name; credential headers and every -H value are redacted; a base URL that is not http(s)
with a host is refused before any request, naming where it came from.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from llmcli.cli.options import parse_headers
from llmcli.connection import check_base, resolve_connection
from llmcli.errors import UsageError
from llmcli.headers import merged
from llmcli.keys import check_key
from llmcli.providers import PROVIDERS
from llmcli.providers.anthropic.body import encode_headers
from llmcli.providers.openai_chat.body import auth_headers
from llmcli.redact import REDACTED, redact_headers
from tests.conftest import FAKE_KEYS
from tests.samples import openai_reply
from tests.servers import ReplayServer

SECRET = "sk-proj-SECRET-c0ffee-9876"
ENV_KEY = FAKE_KEYS["OPENAI_API_KEY"]
OPENAI = PROVIDERS["openai"]


def refused(**kwargs: Any) -> str:
    with pytest.raises(UsageError) as caught:
        resolve_connection(kwargs.pop("spec", OPENAI), stored_keys={}, **kwargs)
    return str(caught.value)


def complete(llmcli: Any, server: ReplayServer, *args: str, **kwargs: Any) -> Any:
    server.queue(openai_reply())
    return llmcli("complete", "--api-base", server.url, *args, "hi", **kwargs)


def one_line_refusal(run: Any, server: ReplayServer, *secrets: str) -> None:
    assert run.code == 2, run
    assert run.stderr.startswith("llmcli: ") and run.stderr.count("\n") == 1, run.stderr
    assert "Traceback" not in run.stderr
    for secret in secrets:
        assert secret not in run.stdout + run.stderr
    assert server.requests == []


# ---- row 1: a key or a -H value that cannot be a header ------------------------------


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (f"{SECRET}\nX", "a newline"),
        (f"{SECRET}\rX", "a carriage return"),
        (f"{SECRET}\x00X", "a control character"),
        (f"{SECRET}é", "a non-ASCII character"),
        (f"{SECRET} X", "a space"),
    ],
)
def test_a_bad_key_is_refused_naming_its_source_not_the_key(key: str, problem: str) -> None:
    for message, expected in [
        (refused(api_key=key, env={}), f"--api-key contains {problem}"),
        (refused(env={"OPENAI_API_KEY": key}), f"OPENAI_API_KEY contains {problem}"),
        (_stored(key), f"the openai key in the keys file contains {problem}"),
    ]:
        assert message.startswith(expected), message
        assert SECRET not in message


def _stored(key: str) -> str:
    with pytest.raises(UsageError) as caught:
        resolve_connection(OPENAI, env={}, stored_keys={"openai": key})
    return str(caught.value)


def test_keys_set_refuses_a_non_ascii_key() -> None:
    with pytest.raises(UsageError, match="non-ASCII") as caught:
        check_key(f"{SECRET}é")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("X-A: b\r\nX-Injected: 1", "a carriage return"),
        ("X-A: b\nX-Injected: 1", "a newline"),
        ("X-A: caf\u00e9-SECRET", "a non-ASCII character"),
    ],
)
def test_a_header_value_that_could_inject_is_refused_unechoed(header: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_headers([header])
    assert (
        str(caught.value) == f"-H X-A: the value contains {problem}: give one line of plain ASCII"
    )


def test_cli_refuses_bad_keys_and_headers_before_sending(llmcli: Any, server: ReplayServer) -> None:
    model = ("-m", "openai/gpt-4o-mini")
    run = complete(llmcli, server, *model, "--api-key", f"{SECRET}\nX")
    one_line_refusal(run, server, SECRET)
    assert run.stderr == "llmcli: --api-key contains a newline: give the key alone, on one line\n"
    run = complete(llmcli, server, *model, "--api-key", f"{SECRET}é")
    one_line_refusal(run, server, SECRET)
    assert "--api-key contains a non-ASCII character" in run.stderr
    run = complete(llmcli, server, *model, env={"OPENAI_API_KEY": f"{SECRET}\nX"})
    one_line_refusal(run, server, SECRET)
    assert run.stderr.startswith("llmcli: OPENAI_API_KEY contains a newline")
    run = complete(llmcli, server, *model, "-H", "X-A: b-SECRET\r\nX-Injected: 1")
    one_line_refusal(run, server, "b-SECRET", "X-Injected")


def test_keys_set_refuses_a_non_ascii_key_on_the_command_line(llmcli: Any, tmp_path: Path) -> None:
    home = tmp_path / "llmcli-home"
    run = llmcli("keys", "set", "openai", input=f"{SECRET}é\n", env={"LLMCLI_HOME": str(home)})
    assert run.code == 2
    assert "non-ASCII" in run.stderr and SECRET not in run.stderr + run.stdout
    assert not (home / "keys.toml").exists()


# ---- row 2: a provider's key goes only to that provider -------------------------------


def test_a_model_without_a_provider_gets_only_the_flag_key() -> None:
    env = {"OPENAI_API_KEY": ENV_KEY}
    base = "http://elsewhere.example/v1"
    conn = resolve_connection(OPENAI, api_base=base, env=env, stored_keys={}, own_provider=False)
    assert conn.api_key is None and conn.headers == {}
    stored = {"openai": "sk-stored-SECRET"}
    conn = resolve_connection(OPENAI, api_base=base, env={}, stored_keys=stored, own_provider=False)
    assert conn.headers == {}
    conn = resolve_connection(OPENAI, api_key="sk-flag", api_base=base, env=env, own_provider=False)
    assert conn.headers == {"authorization": "Bearer sk-flag"}
    # A provider's own model keeps its key at another base: openai/ behind a proxy.
    conn = resolve_connection(OPENAI, api_base=base, env=env, stored_keys={})
    assert conn.headers == {"authorization": f"Bearer {ENV_KEY}"}


def test_cli_sends_no_environment_key_to_a_base_of_an_unknown_model(
    llmcli: Any, server: ReplayServer
) -> None:
    run = complete(llmcli, server, "-m", "mymodel")
    assert run.code == 0, run.stderr
    assert "authorization" not in server.requests[-1].headers
    run = complete(llmcli, server, "-m", "mymodel", "--api-key", "sk-flag-1")
    assert run.code == 0, run.stderr
    assert server.requests[-1].headers["authorization"] == "Bearer sk-flag-1"
    for model in ("openai/gpt-4o-mini", "gpt-4o-mini"):  # named: the key follows the provider
        run = complete(llmcli, server, "-m", model)
        assert run.code == 0, run.stderr
        assert server.requests[-1].headers["authorization"] == f"Bearer {ENV_KEY}"


# ---- row 3: a -H header replaces llmcli's own -----------------------------------------


def test_a_given_header_replaces_ours_in_any_case() -> None:
    given = parse_headers(["Authorization: Bearer X", "content-TYPE: text/plain"])
    conn = resolve_connection(OPENAI, api_key="sk-ours", headers=given, env={})
    assert auth_headers(conn) == {"content-TYPE": "text/plain", "Authorization": "Bearer X"}
    anthropic = resolve_connection(
        PROVIDERS["anthropic"],
        api_key="sk-ours",
        headers=parse_headers(["X-Api-Key: mine", "Anthropic-Version: 2099-01-01"]),
        env={},
    )
    sent = encode_headers(anthropic, [])
    assert {k.lower(): v for k, v in sent.items()} == {
        "x-api-key": "mine",
        "anthropic-version": "2099-01-01",
        "content-type": "application/json",
    }
    assert len(sent) == 3
    assert parse_headers(["x-a: 1", "X-A: 2"]) == {"X-A": "2"}
    assert merged({"a": "1", "B": "2"}, {"b": "3"}) == {"a": "1", "b": "3"}


def test_azure_sends_none_of_its_key_headers_next_to_a_given_one() -> None:
    env = {"AZURE_API_KEY": "sk-azure-SECRET", "AZURE_API_BASE": "https://r.example/anthropic"}
    conn = resolve_connection(
        PROVIDERS["azure"], headers=parse_headers(["API-KEY: mine"]), env=env, stored_keys={}
    )
    assert conn.headers == {"API-KEY": "mine"}
    conn = resolve_connection(PROVIDERS["azure"], env=env, stored_keys={})
    assert conn.headers == {"x-api-key": "sk-azure-SECRET", "api-key": "sk-azure-SECRET"}


def test_cli_sends_one_authorization_header(llmcli: Any, server: ReplayServer) -> None:
    run = complete(llmcli, server, "-m", "openai/gpt-4o-mini", "-H", "Authorization: Bearer X")
    assert run.code == 0, run.stderr
    sent = [v for k, v in server.requests[-1].header_lines if k.lower() == "authorization"]
    assert sent == ["Bearer X"]


# ---- row 4: redaction ----------------------------------------------------------------


def test_credential_headers_and_given_headers_are_redacted() -> None:
    headers = {
        "X-Goog-Api-Key": "g",
        "X-Auth-Token": "t",
        "Cookie": "c",
        "X-Client-Secret": "s",
        "Proxy-Authorization": "p",
        "X-Custom": "mine",
        "content-type": "application/json",
    }
    shown = redact_headers(headers, (), {"x-custom"})
    assert shown == {**{k: REDACTED for k in headers}, "content-type": "application/json"}


def test_cli_redacts_given_headers_in_debug_and_history(
    llmcli: Any, server: ReplayServer, tmp_path: Path
) -> None:
    db = tmp_path / "logs.db"
    run = complete(
        llmcli,
        server,
        "-m",
        "openai/gpt-4o-mini",
        "--debug",
        "--db",
        str(db),
        "-H",
        "X-Goog-Api-Key: goog-SECRET-1",
        "-H",
        "X-Route: route-SECRET-2",
    )
    assert run.code == 0, run.stderr
    assert server.requests[-1].headers["x-route"] == "route-SECRET-2"  # sent as given
    assert "debug: > X-Goog-Api-Key: <redacted>" in run.stderr
    assert "debug: > X-Route: <redacted>" in run.stderr
    assert "SECRET" not in run.stderr + run.stdout
    with sqlite3.connect(db) as conn:
        (request,) = conn.execute("SELECT request FROM responses").fetchone()
    assert json.loads(request)["headers"]["X-Route"] == REDACTED
    assert b"SECRET" not in db.read_bytes()


# ---- row 8: base URLs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("not a url", "--api-base is not a URL (it contains a space)"),
        ("localhost:8080", "--api-base is not a URL"),
        ("ftp://host/v1", "--api-base has an unsupported scheme 'ftp'"),
        ("http://", "--api-base has no host"),
        ("https:///v1", "--api-base has no host"),
        ("http://[::1/v1", "--api-base has no host"),
    ],
)
def test_a_bad_base_is_refused(base: str, expected: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_base(base, "--api-base")
    assert str(caught.value).startswith(expected)


def test_good_bases_pass() -> None:
    for base in ("http://127.0.0.1:8080/v1", "HTTPS://api.example.com", "http://[::1]:1/v1"):
        check_base(base, "--api-base")
    check_base("0.0.0.0:11434", "OLLAMA_HOST", host_only=True)


def test_a_bad_base_names_its_source() -> None:
    assert refused(env={"OPENAI_BASE_URL": "ftp://x"}).startswith(
        "OPENAI_BASE_URL has an unsupported scheme 'ftp'"
    )
    assert refused(env={}, config_base="nowhere", api_key="k").startswith(
        "providers.openai.api_base in the config file is not a URL"
    )
    assert refused(env={}, api_base="ftp://x").startswith("--api-base has an unsupported scheme")


@pytest.mark.parametrize("base", ["not a url", "ftp://127.0.0.1/v1"])
def test_cli_refuses_a_bad_base_with_exit_2(llmcli: Any, base: str) -> None:
    run = llmcli("complete", "-m", "openai/gpt-4o-mini", "--api-base", base, "hi")
    assert run.code == 2, run
    assert run.stderr.startswith("llmcli: --api-base ") and run.stderr.count("\n") == 1
    assert "retry" not in run.stderr.lower()
