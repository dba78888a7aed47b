"""`llmcli serve` against browsers of other sites: foreign origins, DNS rebinding.

The gateway runs in this process (tests/serve_inproc.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette")

from tests.serve_inproc import CHAT, gateway, home, queue_ok, replay
from tests.servers import ReplayServer

__all__ = ["home", "replay"]  # fixtures

# ---- 1. other sites' pages and DNS rebinding -----------------------------------------


def test_a_page_of_another_site_is_refused(home: Path, replay: ReplayServer) -> None:
    with gateway(home, {"gpt": "openai/gpt-4o-mini"}, replay.url) as (url, _):
        # A text/plain POST needs no CORS preflight: the browser just sends it.
        evil = {"origin": "https://evil.example", "content-type": "text/plain"}
        refused = httpx.post(url + "/v1/chat/completions", content=json.dumps(CHAT), headers=evil)
        assert refused.status_code == 403
        assert refused.json()["error"]["type"] == "invalid_request_error"
        assert "evil.example" in refused.json()["error"]["message"]
        anthropic = httpx.post(url + "/v1/messages", json=CHAT, headers=evil)
        assert anthropic.status_code == 403
        assert anthropic.json()["type"] == "error"
        assert anthropic.json()["error"]["type"] == "permission_error"
        assert httpx.post(url + "/arena/vote", json={}, headers=evil).status_code == 403
        assert replay.requests == []  # nothing was paid for
        # The playground's own fetches (same origin) and SDKs (no Origin) still work.
        queue_ok(replay)
        own = httpx.post(url + "/v1/chat/completions", json=CHAT, headers={"origin": url})
        assert own.status_code == 200, own.text
        queue_ok(replay)
        assert httpx.post(url + "/v1/chat/completions", json=CHAT).status_code == 200
        assert httpx.get(url + "/", headers={"origin": url}).status_code == 200


def test_dns_rebinding_is_refused_on_loopback(
    home: Path, replay: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with gateway(home, {"gpt": "openai/gpt-4o-mini"}, replay.url) as (url, _):
        port = url.rsplit(":", 1)[1]
        # evil.example rebound to 127.0.0.1: its page's requests are same-origin to it.
        rebound = {"host": f"evil.example:{port}", "origin": f"http://evil.example:{port}"}
        refused = httpx.post(url + "/v1/chat/completions", json=CHAT, headers=rebound)
        assert refused.status_code == 403
        assert "evil.example" in refused.json()["error"]["message"]
        assert httpx.get(url + "/v1/models", headers={"host": "evil.example"}).status_code == 403
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "localhost"):
            assert httpx.get(url + "/v1/models", headers={"host": host}).status_code == 200, host
        assert replay.requests == []
    assert "POST /v1/chat/completions 403 host 'evil.example:" in capsys.readouterr().err


def test_allowed_origins_get_cors_answers(home: Path, replay: ReplayServer) -> None:
    app_origin = "https://app.example.com"
    options = {"allow_origins": [app_origin + "/"]}
    with gateway(home, {"gpt": "openai/gpt-4o-mini"}, replay.url, **options) as (url, _):
        preflight = httpx.options(
            url + "/v1/chat/completions",
            headers={
                "origin": app_origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type, authorization",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == app_origin
        queue_ok(replay)
        answer = httpx.post(url + "/v1/chat/completions", json=CHAT, headers={"origin": app_origin})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == app_origin
        other = httpx.post(
            url + "/v1/chat/completions", json=CHAT, headers={"origin": "https://x.io"}
        )
        assert other.status_code == 403


def test_allow_origin_must_be_an_origin(llmcli: Any) -> None:
    run = llmcli("serve", "--allow-origin", "ftp://nope", "--port", "1")
    assert run.code == 2, run.stderr
    assert "--allow-origin ftp://nope" in run.stderr and "Traceback" not in run.stderr
