"""The playground's server side without a browser: headers, assets, the pages' own rules
(no inline code, no remote origin, no HTML sink in the script), the vote endpoint and
`llmcli logs arena`."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from llmcli import store, store_arena
from llmcli.serve import pages
from tests.harness import Run
from tests.playground_servers import running


@contextlib.contextmanager
def _client(db: Path, key: str | None = None) -> Iterator[httpx.Client]:
    def check(request: Request) -> bool:
        return key is None or request.headers.get("authorization") == f"Bearer {key}"

    app = Starlette(routes=pages.routes(db_path=db, check_key=check))
    with running(app) as url, httpx.Client(base_url=url) as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/playground", "/arena", "/ui/app.js", "/ui/style.css"])
def test_pages_are_served_with_a_strict_policy_and_no_cookie(tmp_path: Path, path: str) -> None:
    with _client(tmp_path / "logs.db") as client:
        res = client.get(path)
    assert res.status_code == 200
    policy = res.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe" not in policy and "http" not in policy
    assert res.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in res.headers


def test_only_the_shipped_assets_are_served(tmp_path: Path) -> None:
    with _client(tmp_path / "logs.db") as client:
        assert client.get("/ui/app.js").headers["content-type"].startswith("text/javascript")
        for path in ("/ui/pages.py", "/ui/..%2Fpages.py", "/ui/playground.html", "/ui/"):
            assert client.get(path).status_code == 404, path


class _Audit(HTMLParser):
    """Collects what a strict page must not have: inline script or style, event handler
    attributes, and any URL that is not the page's own."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.problems.append("<style>")
        if tag == "script" and not names.get("src"):
            self.problems.append("inline <script>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag} {name}=")
            if name in ("src", "href") and not (value or "").startswith("/"):
                self.problems.append(f"{tag} {name}={value}")


@pytest.mark.parametrize("name", ["playground.html", "arena.html"])
def test_pages_have_no_inline_code_and_no_remote_origin(name: str) -> None:
    audit = _Audit()
    audit.feed((pages.STATIC / name).read_text())
    assert audit.problems == []


def test_the_script_has_no_html_sink() -> None:
    script = (pages.STATIC / "app.js").read_text()
    sinks = r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|srcdoc"
    assert re.findall(sinks, script) == []
    assert "localStorage.setItem(KEY" not in script  # the key stays in session storage


def _vote(client: httpx.Client, body: object, **headers: str) -> tuple[int, dict[str, object]]:
    headers = {"content-type": "application/json", **headers}
    res = client.post("/arena/vote", content=json.dumps(body), headers=headers)
    return res.status_code, res.json()


def test_a_vote_lands_in_the_history_with_the_prompt_hash_only(tmp_path: Path) -> None:
    db = tmp_path / "logs.db"
    prompt = "a private prompt about cats"
    body = {"models": ["alpha", "beta"], "winner": "beta", "prompt": prompt}
    with _client(db, key="mk-1") as client:
        status, _ = _vote(client, body, authorization="Bearer mk-1")
    assert status == 200
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT models, winner, prompt_hash FROM arena_votes").fetchall()
    digest = hashlib.sha256(prompt.encode()).hexdigest()
    assert rows == [('["alpha", "beta"]', "beta", digest)]
    conn.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"private prompt" not in stored and b"mk-1" not in stored


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({"models": ["a"], "winner": "a", "prompt": ""}, "2 to 4"),
        ({"models": ["a", "b", "c", "d", "e"], "winner": "a", "prompt": ""}, "2 to 4"),
        ({"models": ["a", "a"], "winner": "a", "prompt": ""}, "each model once"),
        ({"models": ["a", ""], "winner": "a", "prompt": ""}, "1 to 200"),
        ({"models": ["a", "b"], "winner": "c", "prompt": ""}, "winner"),
        ({"models": ["a", "b"], "winner": "a"}, "prompt"),
    ],
)
def test_a_bad_vote_gets_400_and_stores_nothing(tmp_path: Path, body: object, message: str) -> None:
    with _client(tmp_path / "logs.db") as client:
        status, answer = _vote(client, body)
    assert status == 400
    assert message in str(answer["error"])
    assert not (tmp_path / "logs.db").exists()


def test_a_vote_needs_the_master_key_and_a_small_body(tmp_path: Path) -> None:
    body = {"models": ["a", "b"], "winner": "a", "prompt": "x"}
    big = {**body, "prompt": "x" * pages.MAX_VOTE_BYTES}
    with _client(tmp_path / "logs.db", key="mk-1") as client:
        assert _vote(client, body)[0] == 401
        assert _vote(client, body, authorization="Bearer nope")[0] == 401
        assert _vote(client, big, authorization="Bearer mk-1")[0] == 413
        auth = {"authorization": "Bearer mk-1"}
        bad = client.post(
            "/arena/vote", content=b"{x", headers={**auth, "content-type": "application/json"}
        )
        assert bad.status_code == 400
        # A cross-site form or text/plain post (no CORS preflight) is not a vote.
        plain = client.post("/arena/vote", content=json.dumps(body), headers=auth)
        assert plain.status_code == 415
    assert not (tmp_path / "logs.db").exists()


def test_win_table_counts_wins_and_losses_sorted_by_wins(tmp_path: Path) -> None:
    db = store.connect(tmp_path / "logs.db")
    for models, winner in [
        (["a", "b"], "b"),
        (["a", "b", "c"], "b"),
        (["c", "a"], "c"),
        (["d", "a"], "d"),
    ]:
        store_arena.add_vote(db, models, winner, "h")
    table = [(s.model, s.wins, s.losses) for s in store_arena.win_table(db)]
    db.close()
    assert table == [("b", 2, 0), ("d", 1, 0), ("c", 1, 1), ("a", 0, 4)]


def test_logs_arena_prints_the_table(tmp_path: Path, llmcli: Callable[..., Run]) -> None:
    path = tmp_path / "logs.db"
    empty = llmcli("logs", "arena", "--db", str(path))
    assert (empty.code, empty.stdout) == (0, "")
    assert "No arena votes yet" in empty.stderr
    db = store.connect(path)
    store_arena.add_vote(db, ["alpha", "beta"], "alpha", "h")
    db.close()
    run = llmcli("logs", "arena", "--db", str(path))
    assert (run.code, run.stdout) == (0, "alpha\t1\t0\nbeta\t0\t1\n")
    as_json = llmcli("logs", "arena", "--json", "--db", str(path))
    assert as_json.json == [
        {"model": "alpha", "wins": 1, "losses": 0},
        {"model": "beta", "wins": 0, "losses": 1},
    ]


@contextlib.contextmanager
def _served(gw: object, db: Path) -> Iterator[httpx.Client]:
    app = Starlette(routes=pages.routes(gw, db_path=db))
    with running(app) as url, httpx.Client(base_url=url) as client:
        yield client


def test_the_servers_master_key_guards_the_vote(tmp_path: Path) -> None:
    body = {"models": ["a", "b"], "winner": "a", "prompt": "x"}
    gw = SimpleNamespace(master_key="mk-2", record=True)
    with _served(gw, tmp_path / "logs.db") as client:
        assert client.get("/").status_code == 200  # the page itself asks for the key later
        assert _vote(client, body)[0] == 401
        assert _vote(client, body, authorization="Bearer mk-1")[0] == 401
        assert _vote(client, body, authorization="Bearer mk-2")[0] == 200
        assert _vote(client, body, **{"x-api-key": "mk-2"})[0] == 200


def test_no_vote_is_written_when_serve_runs_without_history(tmp_path: Path) -> None:
    body = {"models": ["a", "b"], "winner": "a", "prompt": "x"}
    with _served(SimpleNamespace(master_key=None, record=False), tmp_path / "logs.db") as client:
        status, answer = _vote(client, body)
    assert status == 409 and "--no-log" in str(answer)
    assert not (tmp_path / "logs.db").exists()
