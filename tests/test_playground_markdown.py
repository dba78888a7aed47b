"""The playground's markdown renderer in a real browser (Debian's headless Chromium driven by
Playwright): nested lists and what list items hold, tables, inline markup, and the page's
layout with very long lines. The page comes from the pages' own routes, no gateway needed.

Skipped only when Chromium is not installed (`apt-get install -y chromium`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from starlette.applications import Starlette

from llmcli.serve import pages
from tests.playground_servers import running
from tests.test_playground import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason="no Chromium: the browser tests need Debian's `apt-get install -y chromium`",
)

# The rendered DOM as tag(children...), text nodes quoted, attributes left out.
SHOW = """(text) => {
  const show = (n) => n.nodeType === 3 ? JSON.stringify(n.data)
    : `${n.tagName.toLowerCase()}(${[...n.childNodes].filter((c) => c.nodeType !== 3 || c.data)
        .map(show).join(" ")})`;
  const box = document.createElement("div");
  box.append(markdown(text));
  box.normalize(); // adjacent text nodes as one
  return [...box.childNodes].map(show).join(" ");
}"""


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Page, str]]:
    """One Chromium on the playground page, served by the pages' routes alone."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        app = Starlette(routes=pages.routes(db_path=Path(tmp) / "logs.db"))
        with running(app) as url:
            context = pw.chromium.launch_persistent_context(
                tmp + "/profile",
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1000, "height": 700},
            )
            page = context.new_page()
            page.goto(url + "/")
            yield page, url
            context.close()


@pytest.fixture
def page(site: tuple[Page, str]) -> Page:
    return site[0]


def render(page: Page, text: str) -> str:
    return str(page.evaluate(SHOW, text))


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        (
            "- a\n  - b\n    - c\n- d",
            'ul(li("a" ul(li("b" ul(li("c"))))) li("d"))',
        ),
        (  # an ordered list inside a bullet, indented to the bullet's text
            "- fruits\n  1. apple\n  2. pear\n- vegetables",
            'ul(li("fruits" ol(li("apple") li("pear"))) li("vegetables"))',
        ),
        (  # bullets under a numbered item, indented 3 (its text) or only 2 spaces
            "1. one\n   - x\n2. two\n  - y\n3. three",
            'ol(li("one" ul(li("x"))) li("two" ul(li("y"))) li("three"))',
        ),
        (  # 4-space indentation, as many models write it
            "* top\n    * sub\n        * subsub\n* next",
            'ul(li("top" ul(li("sub" ul(li("subsub"))))) li("next"))',
        ),
        (  # a numbered list after a bulleted one is a list of its own, both tight
            "- a\n\n1. b",
            'ul(li("a")) ol(li("b"))',
        ),
        (  # a sub-item with 1 space is still a sibling
            "- a\n - b",
            'ul(li("a") li("b"))',
        ),
    ],
)
def test_nested_lists_are_nested(page: Page, text: str, tree: str) -> None:
    assert render(page, text) == tree


def test_an_items_continuation_lines_stay_in_the_item(page: Page) -> None:
    text = "- first line\n  goes on\nand on lazily\n- second\n\nAfter the list."
    assert render(page, text) == (
        'ul(li("first line" br() "goes on" br() "and on lazily") li("second")) p("After the list.")'
    )


def test_a_code_block_and_paragraphs_inside_list_items(page: Page) -> None:
    text = (
        "1. **Install** it:\n\n"
        "   ```sh\n   pip install llmcli\n\n   llmcli --help\n   ```\n\n"
        "   Then check.\n\n"
        "2. Run it:\n   ```\n   llmcli hi\n   ```\n"
    )
    assert render(page, text) == (
        'ol(li(p(strong("Install") " it:") pre(code("pip install llmcli\\n\\nllmcli --help")) '
        'p("Then check.")) li(p("Run it:") pre(code("llmcli hi"))))'
    )
    assert page.evaluate("(t) => { const d = document.createElement('div');"
                         " d.append(markdown(t)); return d.querySelector('pre').dataset.lang }",
                         text) == "sh"  # fmt: skip


def test_headings_quotes_and_inline_markup_inside_items(page: Page) -> None:
    text = (
        "1. ## Step one\n   Use `x` with **bold**, *em*, ~~old~~ and [docs](https://e.com/d).\n"
        "2. > quoted\n   > more\n"
    )
    assert render(page, text) == (
        'ol(li(h2("Step one") "Use " code("x") " with " strong("bold") ", " em("em") ", " '
        'del("old") " and " a("docs") ".") li(blockquote(p("quoted" br() "more"))))'
    )


def test_lists_and_code_inside_blockquotes(page: Page) -> None:
    text = "> Note:\n> - a\n>   - b\n>\n> ```py\n> x = 1\n> ```\n>> deeper"
    assert render(page, text) == (
        'blockquote(p("Note:") ul(li("a" ul(li("b")))) pre(code("x = 1")) blockquote(p("deeper")))'
    )


def test_task_lists_get_disabled_checkboxes(page: Page) -> None:
    assert render(page, "- [x] done\n- [ ] todo") == 'ul(li(input() "done") li(input() "todo"))'
    checked = page.evaluate(
        "() => { const d = document.createElement('div'); d.append(markdown('- [x] a\\n- [ ] b'));"
        " return [...d.querySelectorAll('input')].map((i) => [i.checked, i.disabled]) }"
    )
    assert checked == [[True, True], [False, True]]


def test_tables_keep_inline_markup_escaped_pipes_and_alignment(page: Page) -> None:
    text = "| flag | means |\n|:---:|---:|\n| `a\\|b` | **or** [x](https://e.com) |\n| short |"
    assert render(page, text) == (
        'table(thead(tr(th("flag") th("means"))) '
        'tbody(tr(td(code("a|b")) td(strong("or") " " a("x"))) tr(td("short") td())))'
    )


def test_bare_links_escapes_and_snake_case(page: Page) -> None:
    text = "See https://e.com/a_b_c. Not \\*em\\*, snake_case_name, 2 * 3 * 4, <https://e.com/x>."
    assert render(page, text) == (
        'p("See " a("https://e.com/a_b_c") ". Not *em*, snake_case_name, 2 * 3 * 4, " '
        'a("https://e.com/x") ".")'
    )


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("***both***", 'p(strong(em("both")))'),
        ("![a chart](https://e.com/c.png)", 'p(a("a chart"))'),  # no remote image is loaded
        ("Para\n***\nmore", 'p("Para") hr() p("more")'),
        ("- item\n---", 'ul(li("item")) hr()'),
        ("Title\n===\ntext", 'h1("Title") p("text")'),
        ("Section\n---", 'h2("Section")'),
    ],
)
def test_emphasis_images_rules_and_underlined_headings(page: Page, text: str, tree: str) -> None:
    assert render(page, text) == tree


def test_nested_markup_never_becomes_html(page: Page) -> None:
    text = (
        "- <img src=x onerror=window.__pwned=1>\n"
        "  - [x](javascript:window.__pwned=2) javascript:alert(1)\n"
        "    | <b>c</b> |\n    |---|\n    | <script>window.__pwned=3</script> |\n"
    )
    made = page.evaluate(
        "(t) => { const d = document.createElement('div'); d.append(markdown(t));"
        " document.body.append(d); const n = d.querySelectorAll('img, script, b, a').length;"
        " return [n, d.textContent.includes('<img src=x'), d.querySelectorAll('table').length] }",
        text,
    )
    page.wait_for_timeout(200)
    assert made == [0, True, 1]
    assert page.evaluate("window.__pwned") is None


NESTED = """Intro:

1. **First**

   Some text
   over two lines.

   ```python
   def f():

       return 1
   ```

2. Second
   - sub *a*
     1. deep
   - sub b

- [ ] task
- [x] done

> - quoted
>   - nested

| a | b |
|:-|-:|
| `x\\|y` | z |

After. https://e.com/x

- last
  still last
"""


def test_streamed_nested_markdown_is_drawn_as_the_whole_text_would_be(page: Page) -> None:
    """Finished blocks are drawn once; a list (which goes on across blank lines) must not
    be cut in two, so pieces of any size end in what the whole text gives."""
    differing = page.evaluate(
        """(text) => {
          const whole = document.createElement("div");
          whole.append(markdown(text));
          const bad = [];
          for (const size of [1, 2, 3, 5, 7, 16, 61, 1000]) {
            const box = document.createElement("div");
            const view = new Growing(box);
            for (let end = size; end < text.length + size; end += size) {
              view.draw(text.slice(0, end));
            }
            if (view.head.innerHTML + view.tail.innerHTML !== whole.innerHTML) bad.push(size);
          }
          return bad;
        }""",
        NESTED,
    )
    assert differing == []
    # ...and blocks after the list were drawn for good, not redrawn each frame.
    kept = page.evaluate(
        "(t) => { const v = new Growing(document.createElement('div')); v.draw(t);"
        " return v.head.querySelectorAll(':scope > ol, :scope > table').length }",
        NESTED,
    )
    assert kept == 2


LONG = "x = '" + "long" * 150 + "'"
WIDE = "| " + " | ".join(f"column{n}" for n in range(40)) + " |\n|" + "---|" * 40


def _overflow(page: Page) -> list[int]:
    return list(
        page.evaluate(
            "() => [document.documentElement.scrollWidth - innerWidth,"
            " ...[...document.querySelectorAll('.md pre, .md table')]"
            ".map((n) => n.scrollWidth > n.clientWidth ? 1 : 0)]"
        )
    )


def test_long_code_lines_and_wide_tables_scroll_inside_the_answer(page: Page) -> None:
    text = f"```python\n{LONG}\n```\n\n{WIDE}\n| a |\n"
    page.evaluate("(t) => showMessage({ role: 'assistant', content: t })", text)
    assert _overflow(page) == [0, 1, 1]  # the page is as wide as the window; each block scrolls
    # ...and a table's words stay whole (not one letter per line in a squeezed column).
    tallest = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('.md th')]"
        ".map((c) => c.getBoundingClientRect().height))"
    )
    assert tallest < 40


def test_the_arena_columns_stay_side_by_side_with_long_lines(site: tuple[Page, str]) -> None:
    page, url = site
    page.goto(url + "/arena?models=alpha,beta")
    text = f"```\n{LONG}\n```\n\n{WIDE}\n| a |\n\n" + "word" * 200
    widths = page.evaluate(
        """(t) => {
          const cols = ["alpha", "beta"].map((m) => column(m));
          document.getElementById("columns").replaceChildren(...cols.map((c) => c.node));
          for (const c of cols) { c.answer.content = t; c.answer.render(); }
          return cols.map((c) => Math.round(c.node.getBoundingClientRect().width));
        }""",
        text,
    )
    assert abs(widths[0] - widths[1]) <= 1 and widths[0] < 500
    assert _overflow(page) == [0, 1, 1, 1, 1]
    page.goto(url + "/")


def test_table_alignment_is_applied_on_the_page(page: Page) -> None:
    page.evaluate(
        "(t) => showMessage({ role: 'assistant', content: t })",
        "| l | c | r |\n|:--|:-:|--:|\n| 1 | 2 | 3 |",
    )
    aligns = page.evaluate(
        "() => [...document.querySelectorAll('.msg:last-child td')]"
        ".map((c) => getComputedStyle(c).textAlign)"
    )
    assert aligns == ["left", "center", "right"]
