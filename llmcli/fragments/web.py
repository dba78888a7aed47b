"""URL fragments: fetched with the usual timeout and retries; HTML turned into text.

HTML becomes markdown through markdownify (with Beautiful Soup) when the `web` extra is
installed (`pip install 'llmcli[web]'`), else plain text through the standard library's
HTML parser: a real parser either way, never regexes over markup.
"""

from __future__ import annotations

from html.parser import HTMLParser

from llmcli.errors import UsageError

PAGE_CAP = 10 * 1024 * 1024  # bytes downloaded; HTML shrinks a lot once it is text
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript", "+json", "+xml")
_SKIPPED_TAGS = {"script", "style", "noscript", "template", "svg", "head"}
_BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "section",
    "article", "header", "footer", "blockquote", "table", "ul", "ol", "hr",
}  # fmt: skip


def fetch_text(url: str, timeout: float, retries: int) -> str:
    """The page as text: HTML made readable, other text as it is, anything else refused."""
    from llmcli.fetch import FetchFailed, TooLarge, fetch

    try:
        page = fetch(url, timeout, PAGE_CAP, retries)
    except TooLarge:
        raise UsageError(f"-f {url}: larger than {PAGE_CAP // (1024 * 1024)} MB") from None
    except FetchFailed as err:
        raise UsageError(f"-f {url}: {_reason(err)}") from None
    body, mime, charset = page.data, page.mime, page.charset
    try:
        text = body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        text = body.decode("utf-8", errors="replace")
    if mime in ("text/html", "application/xhtml+xml"):
        return html_to_text(text)
    if mime.startswith("text/") or mime.endswith(_TEXT_TYPES) or not mime:
        return text
    raise UsageError(f"-f {url}: the page is {mime}, not text (attach it with -a)")


def _reason(err: Exception) -> str:
    reason = str(err)
    return reason if reason.startswith("HTTP ") else f"cannot fetch: {reason}"


def html_to_text(html: str) -> str:
    try:
        from bs4 import BeautifulSoup
        from markdownify import MarkdownConverter
    except ImportError:
        return _plain_text(html)
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(list(_SKIPPED_TAGS)):
        tag.decompose()
    markdown: str = MarkdownConverter(heading_style="ATX").convert_soup(soup)
    return _tidy(markdown)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _plain_text(html: str) -> str:
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return _tidy("".join(parser.parts))


def _tidy(text: str) -> str:
    """Lines without trailing blanks; at most one empty line in a row."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
