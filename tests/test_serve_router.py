"""The gateway's router and request ids: `allowed_fails` (LiteLLM's router setting: a
deployment is cooled down only after more than N failures within a minute) and the
`x-request-id` every answer carries (and the access-log line names)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

pytest.importorskip("starlette")

from llmcli.serve import router as router_module
from llmcli.serve.config import load
from llmcli.serve.router import Router
from tests.serve_inproc import CHAT, gateway, home, queue_ok, replay
from tests.servers import ReplayServer, Reply

__all__ = ["home", "replay"]  # fixtures


def _router(tmp_path: Path, allowed: int | None) -> Router:
    config = tmp_path / "config.yaml"
    settings = f"router_settings: {{allowed_fails: {allowed}}}\n" if allowed is not None else ""
    config.write_text(
        "model_list:\n  - model_name: m\n    litellm_params: {model: openai/x,"
        " api_base: 'http://127.0.0.1:9/v1', api_key: sk-x}\n" + settings
    )
    loaded = load(config)
    assert "router_settings.allowed_fails" not in loaded.ignored
    return Router(loaded)


def test_allowed_fails_cools_after_more_than_n_in_a_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(router_module.time, "monotonic", lambda: clock[0])
    router = _router(tmp_path, 2)
    dep = router.groups["m"][0]
    router.cool(dep)
    router.cool(dep)
    assert dep.up(clock[0])  # two failures are allowed
    clock[0] += 61  # ...and forgotten after a minute
    router.cool(dep)
    router.cool(dep)
    assert dep.up(clock[0])
    router.cool(dep)  # the third within a minute
    assert not dep.up(clock[0])
    clock[0] += router.config.cooldown
    assert dep.up(clock[0])


def test_without_allowed_fails_the_first_failure_cools(tmp_path: Path) -> None:
    router = _router(tmp_path, None)
    dep = router.groups["m"][0]
    router.cool(dep)
    assert not dep.up(router_module.time.monotonic())


def test_every_answer_has_a_request_id_also_in_the_log(
    home: Path, replay: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with gateway(home, {"gpt": "openai/gpt-4o-mini"}, replay.url) as (url, _):
        queue_ok(replay)
        whole = httpx.post(url + "/v1/chat/completions", json=CHAT)
        made = whole.headers["x-request-id"]
        assert re.fullmatch(r"req_[0-9a-f]{24}", made)
        kept = httpx.post(
            url + "/v1/chat/completions", json=CHAT, headers={"x-request-id": "trace-42"}
        )
        assert kept.headers["x-request-id"] == "trace-42"
        odd = httpx.get(url + "/v1/models", headers={"x-request-id": "a b\tc"})
        assert odd.headers["x-request-id"].startswith("req_")
        replay.replies.clear()
        replay.queue(Reply(status=400, body=b'{"error": {"message": "no"}}'))
        failed = httpx.post(url + "/v1/messages", json={**CHAT, "max_tokens": 5})
        assert failed.status_code == 400 and failed.headers["x-request-id"].startswith("req_")
        queue_ok(replay)
        stream = httpx.post(url + "/v1/chat/completions", json={**CHAT, "stream": True})
        streamed = stream.headers["x-request-id"]
    log = capsys.readouterr().err
    for rid in (made, "trace-42", failed.headers["x-request-id"], streamed):
        assert f" {rid}" in log, rid


def test_allow_origins_from_the_config(tmp_path: Path) -> None:
    from llmcli.serve.run import Options, build

    config = tmp_path / "config.yaml"
    config.write_text(
        "model_list: []\ngeneral_settings: {allow_origins: ['https://app.example.com/']}\n"
    )
    loaded = load(config)
    assert loaded.allow_origins == ["https://app.example.com/"]
    assert not loaded.ignored
    _, gw = build(Options(config=config, allow_origins=["http://localhost:5173"]))
    assert gw.allow_origins == ("http://localhost:5173", "https://app.example.com")
