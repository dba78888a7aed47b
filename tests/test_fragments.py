"""-f/--fragment and --sf: files, folders (.gitignore, binary, oversized), globs, stdin,
`!command`; labels and order in the request body."""

from __future__ import annotations

from pathlib import Path

from llmcli.fragments import FILE_CAP, Fragment, render
from tests.samples import openai_reply
from tests.servers import ReplayServer, Reply

MODEL = ("-m", "openai/gpt-4o-mini")


def user_text(server: ReplayServer) -> str:
    return str(server.requests[-1].json["messages"][-1]["content"])


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "build").mkdir()
    (root / "src" / "b.py").write_text("print('b')\n")
    (root / "src" / "a.py").write_text("print('a')\n")
    (root / "notes.log").write_text("log line\n")
    (root / "build" / "out.txt").write_text("built\n")
    (root / ".gitignore").write_text("# comment\n*.log\nbuild/\n")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0binary")
    (root / "big.txt").write_text("x" * (FILE_CAP + 1))
    return root


def test_folder_honours_gitignore_and_skips_binary_and_big(llmcli, server, tmp_path):
    root = project(tmp_path)
    server.queue(openai_reply())
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-f", str(root), "explain")
    assert run.code == 0, run.stderr
    text = user_text(server)
    a, b = f"{root}/src/a.py\n```\nprint('a')\n```", f"{root}/src/b.py\n```\nprint('b')\n```"
    assert text == f"{a}\n\n{b}\n\nexplain"  # sorted, labelled, then the prompt
    assert "log line" not in text and "built" not in text
    assert f"skipped {root}/logo.png: binary" in run.stderr
    assert f"skipped {root}/big.txt: larger than 2 MB" in run.stderr


def test_glob_and_order_of_sources(llmcli, server, tmp_path):
    root = project(tmp_path)
    (tmp_path / "first.md").write_text("# first\n")
    server.queue(openai_reply())
    run = llmcli(
        "complete",
        *MODEL,
        "--api-base",
        server.url,
        "-f",
        str(tmp_path / "first.md"),
        "-f",
        f"{root}/**/*.py",
        "go",
    )
    assert run.code == 0, run.stderr
    text = user_text(server)
    assert text.index("# first") < text.index("print('a')") < text.index("print('b')")
    assert text.endswith("\n\ngo")


def test_a_binary_file_given_by_name_is_refused(llmcli, server, tmp_path):
    root = project(tmp_path)
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-f", str(root / "logo.png"), "x")
    assert run.code == 2
    assert "binary" in run.stderr and run.stderr.count("\n") == 1
    assert server.requests == []


def test_command_refused_without_permission(llmcli, server, tmp_path):
    marker = tmp_path / "ran"
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-f", f"!touch {marker}", "x")
    assert run.code == 2
    assert "--allow-commands" in run.stderr
    assert not marker.exists()
    assert server.requests == []


def test_command_output_with_permission(llmcli, server):
    server.queue(openai_reply())
    run = llmcli(
        "complete",
        *MODEL,
        "--api-base",
        server.url,
        "--allow-commands",
        "-f",
        "!echo from a command",
        "what is this",
    )
    assert run.code == 0, run.stderr
    assert user_text(server) == "$ echo from a command\n```\nfrom a command\n```\n\nwhat is this"


def test_stdin_fragment_and_system_fragment(llmcli, server, tmp_path):
    rules = tmp_path / "rules.txt"
    rules.write_text("be exact")
    server.queue(openai_reply())
    run = llmcli(
        "complete",
        *MODEL,
        "--api-base",
        server.url,
        "-s",
        "You review.",
        "--sf",
        str(rules),
        "-f",
        "-",
        "check it",
        input="piped text\n",
    )
    assert run.code == 0, run.stderr
    messages = server.requests[-1].json["messages"]
    assert messages[0]["content"] == f"You review.\n\n{rules}\n```\nbe exact\n```"
    assert messages[-1]["content"] == "stdin\n```\npiped text\n```\n\ncheck it"


def test_missing_source_is_one_line(llmcli, server, tmp_path):
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-f", str(tmp_path / "nope"), "x")
    assert run.code == 2
    assert "no such file or folder" in run.stderr


def test_a_fence_inside_a_fragment_cannot_close_it():
    text = render([Fragment("a.md", "```py\nx\n```")])
    assert text == "a.md\n````\n```py\nx\n```\n````"


PAGE = """<html><head><title>t</title><style>body{color:red}</style></head>
<body><h1>Design</h1><script>alert('x')</script><p>Events flow <b>one</b> way.</p>
<ul><li>first</li><li>second</li></ul></body></html>"""


def test_url_html_page_becomes_text(llmcli, server):
    server.queue(Reply(body=PAGE.encode(), content_type="text/html; charset=utf-8"))
    server.queue(openai_reply())
    page = f"{server.url}/design.html"
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-f", page, "explain")
    assert run.code == 0, run.stderr
    text = user_text(server)
    assert text.startswith(f"{page}\n```\n")
    assert "Design" in text and "Events flow" in text and "one" in text and "second" in text
    assert "<" not in text.split("```")[1]  # no markup left
    assert "alert" not in text and "color:red" not in text
    assert server.requests[0].path == "/design.html"


def test_url_plain_text_is_kept_and_binary_refused(llmcli, server):
    server.queue(Reply(body=b"plain <b>as is</b>", content_type="text/plain"))
    server.queue(openai_reply())
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-f", f"{server.url}/a.txt", "x")
    assert run.code == 0, run.stderr
    assert "plain <b>as is</b>" in user_text(server)
    server.replies.clear()  # the last reply is otherwise served again
    server.queue(Reply(body=b"\x89PNG", content_type="image/png"))
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-f", f"{server.url}/a.png", "x")
    assert run.code == 2
    assert "image/png, not text" in run.stderr


def test_url_retried_on_503(llmcli, server):
    server.queue(Reply(status=503, body=b"busy", content_type="text/plain"))
    server.queue(Reply(body=b"now ready", content_type="text/plain"))
    server.queue(openai_reply())
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-f", f"{server.url}/r", "x")
    assert run.code == 0, run.stderr
    assert "now ready" in user_text(server)


def test_plain_text_fallback_parser():
    from llmcli.fragments.web import _plain_text

    assert _plain_text(PAGE) == "Design\n\nEvents flow one way.\n\nfirst\n\nsecond"


def test_fragments_over_the_context_window_are_refused_whole(llmcli, server, tmp_path):
    # gpt-4o-mini's window is 128,000 tokens (the catalog); four characters a token.
    for name in ("one.txt", "two.txt"):
        (tmp_path / name).write_text("word " * 60_000)  # 300 KB each: 150k tokens together
    run = llmcli(
        "complete",
        *MODEL,
        "--api-base",
        server.url,
        "-f",
        str(tmp_path / "one.txt"),
        "-f",
        str(tmp_path / "two.txt"),
        "sum up",
    )
    assert run.code == 2
    assert "context window" in run.stderr and run.stderr.count("\n") == 1
    assert server.requests == []
