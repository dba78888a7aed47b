"""The playground and arena pages in a real browser: Debian's headless Chromium, driven by
Playwright for Python, against the gateway with a loopback mock upstream behind it
(tests/playground_servers.py). The run writes docs/playground.png and docs/arena.png.

Skipped only when Chromium is not installed (`apt-get install -y chromium`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.harness import Run
from tests.playground_servers import MockUpstream, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason="no Chromium: the browser tests need Debian's `apt-get install -y chromium`",
)
# Debian's browser, never a downloaded one; nothing reaches beyond 127.0.0.1.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = Path(__file__).parents[1] / "docs"


@dataclass
class Gateway:
    url: str
    upstream: MockUpstream
    db: Path


@contextlib.contextmanager
def gateway(tmp_path: Path, master_key: str | None = None) -> Iterator[Gateway]:
    with MockUpstream() as upstream, serve(tmp_path, upstream.url, master_key) as url:
        yield Gateway(url, upstream, tmp_path / "home" / "logs.db")


@contextlib.contextmanager
def serve(tmp_path: Path, upstream: str, master_key: str | None) -> Iterator[str]:
    """`llmcli serve` in a child process with the two mock models in a LiteLLM config."""
    config = tmp_path / "config.yaml"
    entries = "".join(
        f"  - model_name: {name}\n    litellm_params:\n      model: openai/{name}\n"
        f"      api_base: {upstream}/v1\n      api_key: sk-mock\n"
        for name in ("alpha", "beta")
    )
    config.write_text(f"model_list:\n{entries}")
    port = free_port()
    args = [sys.executable, "-m", "llmcli", "serve", "--port", str(port), "--config", str(config)]
    if master_key:
        args += ["--master-key", master_key]
    (tmp_path / "home").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCLI_")}
    env["LLMCLI_HOME"] = str(tmp_path / "home")
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError(f"llmcli serve exited: {proc.stderr and proc.stderr.read()!r}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise AssertionError("llmcli serve did not start")


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    """One Chromium for the module, on a fresh profile; each test's gateway has its own
    port, hence its own origin and storage."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1200, "height": 760},
            color_scheme="light",
        )
        context.set_default_timeout(15_000)
        yield context
        context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    """A new tab; after the test, the page must not have tripped its own policy (an inline
    script or style, another origin: Chromium reports each on the console)."""
    tab = browser.new_page()
    blocked: list[str] = []
    tab.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    yield tab
    tab.close()
    assert blocked == []


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """`llmcli serve` without a master key, started once for the tests that need no key."""
    with gateway(tmp_path_factory.mktemp("serve")) as gw:
        yield gw


@pytest.fixture
def gw(shared: Gateway, page: Page) -> Gateway:
    """The shared gateway with a fresh mock and empty browser storage for its origin."""
    shared.upstream.requests.clear()
    shared.upstream.disconnected.clear()
    page.goto(shared.url + "/ui/favicon.svg")
    page.evaluate("localStorage.clear(); sessionStorage.clear()")
    return shared


def _ask(page: Page, text: str) -> None:
    page.fill("#prompt", text)
    page.press("#prompt", "Enter")


def test_playground_streams_markdown_and_a_code_block(gw: Gateway, page: Page) -> None:
    page.goto(gw.url + "/")
    expect(page.locator("#model option")).to_have_count(2)
    page.fill("#system", "Answer with code.")
    page.fill("#temperature", "0.2")
    _ask(page, "show me python")
    answer = page.locator(".msg.assistant").last
    expect(answer.locator("pre code")).to_have_text("print('hello from alpha')")
    expect(answer.locator("pre")).to_have_attribute("data-lang", "python")
    expect(answer.locator("strong")).to_have_text("alpha")
    expect(answer.locator("h2")).to_have_text("Plan")
    expect(answer.locator("ul li")).to_have_text(["call print", "see the docs"])
    link = answer.locator("li a")
    expect(link).to_have_attribute("href", "https://docs.python.org/3/")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(answer.locator("table th")).to_have_text(["model", "ready"])
    expect(answer.locator("table td")).to_have_text(["alpha", "yes"])
    expect(answer.locator("details.reasoning")).to_contain_text("The user wants code.")
    expect(answer.locator(".meta")).to_contain_text("12 in · 30 out tokens")
    expect(answer.locator(".meta")).to_contain_text("TTFT")
    expect(answer.locator(".meta")).to_contain_text("$0.000210")  # the upstream's usage.cost
    sent = gw.upstream.requests[-1]
    assert sent["messages"][0] == {"role": "system", "content": "Answer with code."}
    assert sent["temperature"] == 0.2
    answer.locator("details.reasoning summary").click()  # shown open in the screenshot
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "playground.png"))
    # The conversation survives a reload (local storage) and goes on from there.
    page.reload()
    expect(page.locator(".msg.user")).to_have_text("show me python")
    expect(page.locator(".msg.assistant pre code")).to_have_text("print('hello from alpha')")
    _ask(page, "and again")
    expect(page.locator(".msg.assistant pre code")).to_have_count(2)
    turns = [(m["role"], m["content"][:9]) for m in gw.upstream.requests[-1]["messages"]]
    assert turns[1:] == [
        ("user", "show me p"),
        ("assistant", "## Plan\n\n"),
        ("user", "and again"),
    ]
    page.click("#new")
    expect(page.locator("#log .msg")).to_have_count(0)
    assert '"messages":[]' in page.evaluate("localStorage.getItem('llmcli.playground')")


def test_stop_button_cancels_the_upstream_request(gw: Gateway, page: Page) -> None:
    page.goto(gw.url + "/playground")
    expect(page.locator("#model option")).to_have_count(2)
    _ask(page, "please stop me")
    expect(page.locator(".msg.assistant")).to_contain_text("word3")
    assert not gw.upstream.disconnected.is_set()
    page.click("#stop")
    expect(page.locator("#status")).to_have_text("stopped")
    assert gw.upstream.disconnected.wait(10), "the upstream never saw the disconnect"
    expect(page.locator("#send")).to_be_enabled()


def test_model_html_is_shown_as_text_and_runs_nothing(gw: Gateway, page: Page) -> None:
    page.goto(gw.url + "/")
    expect(page.locator("#model option")).to_have_count(2)
    _ask(page, "xss please")
    answer = page.locator(".msg.assistant").last
    expect(answer).to_contain_text("stay text.")
    expect(answer).to_contain_text("<script>window.__pwned = 1</script>")
    expect(answer).to_contain_text('<img src=x onerror="window.__pwned = 2">')
    expect(answer.locator("pre code")).to_have_text("<script>window.__pwned = 4</script>")
    page.wait_for_timeout(300)  # an onerror would fire after load
    log = page.locator("#log")
    assert log.locator("script, img, iframe, a[href^='javascript']").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_arena_streams_two_models_and_records_a_vote(
    gw: Gateway, page: Page, llmcli: Callable[..., Run]
) -> None:
    page.goto(gw.url + "/arena?models=alpha,beta")
    _ask(page, "show me python")
    for model in ("alpha", "beta"):
        column = page.locator(f".column[data-model='{model}']")
        expect(column.locator("pre code")).to_have_text(f"print('hello from {model}')")
        expect(column.locator(".meta")).to_contain_text("tokens/s")
        expect(column.locator(".meta")).to_contain_text("30 out tokens · $0.000210")
        expect(column.locator(".vote")).to_be_enabled()
    assert {r["model"] for r in gw.upstream.requests} == {"alpha", "beta"}
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "arena.png"))
    page.click(".column[data-model='beta'] .vote")
    expect(page.locator("#status")).to_contain_text("Vote recorded")
    run = llmcli("logs", "arena", "--db", str(gw.db))
    assert run.code == 0, run.stderr
    assert run.stdout == "beta\t1\t0\nalpha\t0\t1\n"


def test_master_key_gateway_rejects_the_page_until_the_key_is_entered(
    tmp_path: Path, page: Page
) -> None:
    key = "mk-playground-secret"
    with gateway(tmp_path, master_key=key) as gw:
        page.goto(gw.url + "/")
        expect(page.locator("#keybox")).to_be_visible()
        expect(page.locator("#model option")).to_have_count(0)
        page.fill("#key", "wrong-key")
        page.click("#keyform button")
        expect(page.locator("#keymsg")).to_contain_text("refused")
        page.fill("#key", key)
        page.click("#keyform button")
        expect(page.locator("#keybox")).to_be_hidden()
        expect(page.locator("#model option")).to_have_count(2)
        _ask(page, "show me python")
        expect(page.locator(".msg.assistant pre code")).to_have_text("print('hello from alpha')")
        page.click("#curl")
        curl = page.locator("#curlbox").text_content()
        assert "$LLMCLI_MASTER_KEY" in curl and key not in curl
        stored = page.evaluate(
            "[sessionStorage.getItem('llmcli.masterKey'), JSON.stringify(localStorage)]"
        )
        assert stored[0] == key and key not in stored[1]


def test_tool_calls_are_shown_with_their_arguments(gw: Gateway, page: Page) -> None:
    page.goto(gw.url + "/")
    expect(page.locator("#model option")).to_have_count(2)
    page.select_option("#thinking", "high")
    _ask(page, "weather in Paris?")
    tools = page.locator(".msg.assistant .tools")
    expect(tools.locator("code")).to_have_text("get_weather")
    expect(tools.locator("pre")).to_have_text('{"city": "Paris"}')
    assert gw.upstream.requests[-1].get("reasoning_effort") == "high"
    page.reload()  # kept with the conversation
    expect(page.locator(".msg.assistant .tools code")).to_have_text("get_weather")


def test_citations_are_listed_as_links(gw: Gateway, page: Page) -> None:
    page.goto(gw.url + "/")
    expect(page.locator("#model option")).to_have_count(2)
    _ask(page, "search: latest python")
    link = page.locator(".msg.assistant .citations li a")
    expect(link).to_have_text("Python downloads")
    expect(link).to_have_attribute("href", "https://www.python.org/downloads/")


def test_arena_without_models_lets_the_user_pick_them(gw: Gateway, page: Page) -> None:
    page.goto(gw.url + "/arena")
    expect(page.locator("#choices input")).to_have_count(2)
    page.locator("#choices input").first.check()
    page.click("#pick button")
    expect(page.locator("#status")).to_have_text("pick 2 to 4 models")
    page.locator("#choices input").last.check()
    page.click("#pick button")
    expect(page.locator("#vs")).to_have_text("alpha vs beta")
    assert page.url.endswith("/arena?models=alpha,beta")


# Every block kind, a fence holding blank lines, and a fence left open at the end.
SAMPLE = """# Title

Some **bold** and `code`, then a [link](https://example.com) and *em*.
Second line.

- one
- two

3. three
4. four

| a | b |
|---|---|
| 1 | 2 |

> quoted
> twice

```python
x = 1

y = 2
```

---

```
left open

still code"""


def test_streamed_markdown_is_drawn_as_the_whole_text_would_be(gw: Gateway, page: Page) -> None:
    """The playground draws finished blocks once and redraws only the last one; fed in
    pieces of any size, the result must be what rendering the whole text gives."""
    page.goto(gw.url + "/")
    differing = page.evaluate(
        """(text) => {
          const whole = document.createElement("div");
          whole.append(markdown(text));
          const bad = [];
          for (const size of [1, 2, 3, 7, 16, 61, 1000]) {
            const box = document.createElement("div");
            const view = new Growing(box);
            for (let end = size; end < text.length + size; end += size) {
              view.draw(text.slice(0, end));
            }
            if (view.head.innerHTML + view.tail.innerHTML !== whole.innerHTML) bad.push(size);
          }
          return bad;
        }""",
        SAMPLE,
    )
    assert differing == []
