"""The playground and arena pages of `llmcli serve`: static files shipped in the package,
served with a strict Content-Security-Policy, and the arena's vote endpoint.

The pages hold no secret and load before any key is known (they ask for the master key
on their first 401 from the API), so GET routes here need no auth; the vote endpoint
checks the master key as the API does (`check_key`, given by the server).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

STATIC = Path(__file__).with_name("static")

# Only these files are served: no directory listing, no path from the URL reaches the disk.
ASSETS = {"app.js": "text/javascript", "style.css": "text/css", "favicon.svg": "image/svg+xml"}

# The page's own origin only; no inline script or style; nothing framed, posted elsewhere
# or loaded from another origin (https://developer.mozilla.org/docs/Web/HTTP/CSP).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

# Paths a server's auth layer must let through without a key (the vote endpoint is not one).
PUBLIC_PATHS = ("/", "/playground", "/arena", "/ui/")

MAX_VOTE_BYTES = 64 * 1024
KeyCheck = Callable[[Request], bool]


def routes(
    gw: Any = None, *, db_path: Path | None = None, check_key: KeyCheck | None = None
) -> list[BaseRoute]:
    """GET / and /playground, GET /arena, GET /ui/<asset>, POST /arena/vote.

    `gw` is the server's `llmcli.serve.app.Gateway` (its master key guards the vote;
    with `--no-log` no vote is written); tests give `db_path`/`check_key` instead."""
    if gw is not None and check_key is None:
        check_key = master_key_check(gw.master_key)
    recording = gw is None or bool(getattr(gw, "record", True))
    return [
        Route("/", _page("playground.html"), methods=["GET", "HEAD"]),
        Route("/playground", _page("playground.html"), methods=["GET", "HEAD"]),
        Route("/arena", _page("arena.html"), methods=["GET", "HEAD"]),
        Route("/ui/{name}", _asset, methods=["GET", "HEAD"]),
        Route("/arena/vote", _vote_endpoint(db_path, check_key, recording), methods=["POST"]),
    ]


def _page(name: str) -> Callable[[Request], Any]:
    async def page(request: Request) -> Response:
        return FileResponse(STATIC / name, media_type="text/html", headers=HEADERS)

    return page


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return JSONResponse({"error": {"message": "not found", "type": "not_found"}}, 404)
    return FileResponse(STATIC / name, media_type=ASSETS[name], headers=HEADERS)


def master_key_check(master_key: str | None) -> KeyCheck | None:
    """The API's rule (llmcli/serve/app.py): `Authorization: Bearer KEY` or `x-api-key`,
    compared in constant time. Not imported from there: app imports this module."""
    if master_key is None:
        return None
    expected = master_key.encode()

    def check(request: Request) -> bool:
        given = request.headers.get("x-api-key") or ""
        auth = request.headers.get("authorization") or ""
        if auth[:7].lower() == "bearer ":
            given = auth[7:].strip()
        return hmac.compare_digest(given.encode(), expected)

    return check


def _vote_endpoint(
    db_path: Path | None, check_key: KeyCheck | None, recording: bool
) -> Callable[[Request], Any]:
    async def vote(request: Request) -> Response:
        if check_key is not None and not check_key(request):
            return _error(401, "authentication", "missing or wrong key (Authorization: Bearer)")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            # JSON only: a cross-site form or text/plain post (no CORS preflight) cannot
            # vote for a page on another origin.
            return _error(415, "invalid_request", "send the vote as application/json")
        if not recording:
            return _error(409, "invalid_request", "votes are not recorded: serve runs --no-log")
        body = await request.body()
        if len(body) > MAX_VOTE_BYTES:
            return _error(413, "too_large", f"a vote is at most {MAX_VOTE_BYTES} bytes")
        try:
            models, winner, prompt = parse_vote(json.loads(body))
        except (ValueError, UnicodeDecodeError) as err:
            return _error(400, "invalid_request", str(err))
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(_record, db_path, models, winner, prompt_hash(prompt))
        return JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})

    return vote


def parse_vote(body: Any) -> tuple[list[str], str, str]:
    """{"models": [2-4 names], "winner": one of them, "prompt": text}; raises ValueError."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    models, winner, prompt = body.get("models"), body.get("winner"), body.get("prompt")
    if not isinstance(models, list) or not 2 <= len(models) <= 4:
        raise ValueError("models: a list of 2 to 4 model names")
    if not all(isinstance(m, str) and 0 < len(m) <= 200 for m in models):
        raise ValueError("models: each a name of 1 to 200 characters")
    if len(set(models)) != len(models):
        raise ValueError("models: each model once")
    if not isinstance(winner, str) or winner not in models:
        raise ValueError("winner: one of models")
    if not isinstance(prompt, str):
        raise ValueError("prompt: the text sent to the models")
    return models, winner, prompt


def prompt_hash(prompt: str) -> str:
    """Votes keep the prompt's hash (to group votes on one prompt), never the prompt."""
    return hashlib.sha256(prompt.encode()).hexdigest()


def _record(db_path: Path | None, models: list[str], winner: str, digest: str) -> None:
    from llmcli import store, store_arena

    db = store.connect(db_path)
    try:
        store_arena.add_vote(db, models, winner, digest)
    finally:
        db.close()


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status)
