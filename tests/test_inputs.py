"""Input that must be refused before anything is sent (issue 11, rows 6, 7, 9, 10):
attachments that are not files or are too large, a prompt larger than the model's
context window, `-o` keys llmcli sets itself, and one wording for invalid values.

The memory tests run llmcli in a child process and read its peak RSS.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.samples import openai_reply
from tests.servers import ReplayServer

MODEL = ["complete", "-m", "openai/gpt-4o-mini", "--no-stream"]
MEMORY_LIMIT_KB = 300 * 1024  # 300 MB (ru_maxrss is in kilobytes on Linux)


def one_line(run: Run, fragment: str, code: int = 2) -> None:
    assert run.code == code, run
    assert run.stdout == ""
    assert run.stderr.startswith("llmcli: ") and run.stderr.count("\n") == 1, run.stderr
    assert fragment in run.stderr, run.stderr


# Runs llmcli as its only child and writes the child's peak RSS (KB) to the file named
# first. The child is forked from this small process, not from pytest: on Linux a child's
# ru_maxrss counts what it shared with its parent before exec, so a child of a 300 MB
# pytest would "peak" at 300 MB whatever llmcli did.
_MEASURE = """
import pathlib, resource, subprocess, sys
code = subprocess.run([sys.executable, "-m", "llmcli", *sys.argv[2:]]).returncode
pathlib.Path(sys.argv[1]).write_text(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def run_measured(
    args: list[str], data: bytes, env: dict[str, str], tmp_path: Path
) -> tuple[Run, int]:
    """`python -m llmcli ARGS` in a child process, with its own peak RSS in KB."""
    peak = tmp_path / "peak"
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(peak), *args],
        input=data,
        capture_output=True,
        env=env,
        timeout=60,
    )
    run = Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())
    return run, int(peak.read_text())


# ---- row 6: attachments -----------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_not_attached(
    device: str, llmcli_process: Callable[..., Run], server: ReplayServer
) -> None:
    started = time.monotonic()
    run = llmcli_process(*MODEL, "--api-base", server.url, "-a", device, "hi", timeout=20)
    one_line(run, f"attachment {device} is not a regular file")
    assert time.monotonic() - started < 10
    assert server.requests == []


def test_a_fifo_is_not_attached(
    tmp_path: Path, llmcli_process: Callable[..., Run], server: ReplayServer
) -> None:
    """Opening a FIFO for reading would wait for a writer forever."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    run = llmcli_process(*MODEL, "--api-base", server.url, "-a", str(fifo), "hi", timeout=20)
    one_line(run, "is not a regular file")
    assert server.requests == []


def test_a_directory_is_not_attached(
    tmp_path: Path, llmcli: Callable[..., Run], server: ReplayServer
) -> None:
    one_line(llmcli(*MODEL, "--api-base", server.url, "-a", str(tmp_path), "hi"), "directory")
    assert server.requests == []


def test_a_huge_sparse_file_is_refused_at_once_without_reading_it(
    tmp_path: Path, cli_env: dict[str, str], server: ReplayServer
) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as file:
        file.write(b"%PDF-1.4\n")
    os.truncate(big, 3 * 1024**3)  # 3 GiB, sparse: nothing written to disk
    started = time.monotonic()
    run, peak = run_measured(
        [*MODEL, "--api-base", server.url, "-a", str(big), "hi"], b"", cli_env, tmp_path
    )
    one_line(run, f"attachment {big} is 3.2 GB, over the 24 MB cap")
    assert "--max-attachment-size" in run.stderr
    assert time.monotonic() - started < 10
    assert peak < MEMORY_LIMIT_KB, peak
    assert server.requests == []


def test_the_cap_is_the_providers_and_can_be_raised(
    tmp_path: Path, llmcli: Callable[..., Run], server: ReplayServer
) -> None:
    """21 MB: under Anthropic's cap (its 32 MB request limit, base64), over the default
    20 MB for OpenAI; --max-attachment-size raises it."""
    doc = tmp_path / "doc.pdf"
    with doc.open("wb") as file:
        file.write(b"%PDF-1.4\n")
    os.truncate(doc, 21_000_000)
    base = [*MODEL, "--api-base", server.url, "--no-log", "-a", str(doc), "hi"]
    one_line(llmcli(*base), "attachment doc.pdf is 21 MB, over the 20 MB cap for openai")
    assert server.requests == []
    server.queue(openai_reply(stream=False))
    assert llmcli(*base, "--max-attachment-size", "25M").code == 0
    assert len(server.requests) == 1


def test_an_image_over_anthropics_image_cap_is_refused(
    tmp_path: Path, llmcli: Callable[..., Run], server: ReplayServer
) -> None:
    """Anthropic takes an image of at most 5 MiB of base64 (3.9 MB of file)."""
    photo = tmp_path / "photo.png"
    with photo.open("wb") as file:
        file.write(b"\x89PNG\r\n\x1a\n")
    os.truncate(photo, 4_000_000)
    base = ["complete", "-m", "anthropic/claude-sonnet-4-5", "--api-base", server.url]
    one_line(
        llmcli(*base, "-a", str(photo), "hi"),
        "attachment photo.png is 4 MB, over the 3.9 MB cap for anthropic",
    )
    assert server.requests == []


def test_a_small_cap_refuses_a_small_file_and_stdin(
    tmp_path: Path, llmcli: Callable[..., Run], server: ReplayServer
) -> None:
    note = tmp_path / "note.txt"
    note.write_text("x" * 2000)
    base = [*MODEL, "--api-base", server.url, "--max-attachment-size", "1K"]
    one_line(llmcli(*base, "-a", str(note), "hi"), f"{note} is 2 KB, over the 1 KB cap")
    run = llmcli(*base, "-a", "-", "hi", input="y" * 2000)
    one_line(run, "over the 1 KB cap")
    assert "attachment stdin is" in run.stderr
    assert server.requests == []


@pytest.mark.parametrize("size", ["0", "lots", "nan", "-5M", "12Q"])
def test_an_invalid_cap_is_refused(
    size: str, llmcli: Callable[..., Run], server: ReplayServer
) -> None:
    run = llmcli(*MODEL, "--api-base", server.url, "--max-attachment-size", size, "-a", "-", "hi")
    one_line(run, f"invalid --max-attachment-size '{size}': must be a size such as 20M")


def test_zeros_are_not_text(
    tmp_path: Path, llmcli: Callable[..., Run], server: ReplayServer
) -> None:
    zeros = tmp_path / "zeros.txt"
    zeros.write_bytes(b"\0" * 100)
    one_line(llmcli(*MODEL, "--api-base", server.url, "-a", str(zeros), "hi"), "unsupported")


# ---- row 7: a prompt larger than the context window ---------------------------------------


def test_a_prompt_over_the_context_window_is_refused_unless_forced(
    llmcli: Callable[..., Run], server: ReplayServer
) -> None:
    prompt = "word " * 120_000  # 600,000 characters: ~150,000 tokens > gpt-4o-mini's 128,000
    base = [*MODEL, "--api-base", server.url, "--no-log"]
    one_line(
        llmcli(*base, input=prompt),
        "the prompt is about 150,000 tokens (600,000 characters / 4), over "
        "openai/gpt-4o-mini's context window of 128,000 tokens: shorten it, or send it "
        "anyway with --force",
    )
    assert server.requests == []
    server.queue(openai_reply(stream=False))
    assert llmcli(*base, "--force", input=prompt).code == 0
    assert len(server.requests) == 1


def test_an_unknown_models_window_is_a_default(
    llmcli: Callable[..., Run], server: ReplayServer
) -> None:
    run = llmcli("complete", "-m", "my-model", "--api-base", server.url, input="w " * 300_000)
    one_line(run, "over the 128,000 tokens assumed for a model the catalog does not know")
    assert server.requests == []


def test_a_50mb_prompt_stays_under_300mb(
    cli_env: dict[str, str], server: ReplayServer, tmp_path: Path
) -> None:
    """Refused at once without --force; sent with it; either way under 300 MB (the
    history is left out: it stores the prompt, which HISTORY's row deals with)."""
    prompt = b"lorem ipsum dolor sit amet\n" * 1_900_000  # 51 MB
    base = [*MODEL, "--api-base", server.url, "--no-log"]
    run, peak = run_measured(base, prompt, cli_env, tmp_path)
    one_line(run, "the prompt is about 12,824,999 tokens (51,299,999 characters / 4)")
    assert peak < MEMORY_LIMIT_KB, peak
    server.queue(openai_reply(stream=False))
    run, peak = run_measured([*base, "--force"], prompt, cli_env, tmp_path)
    assert run.code == 0, run
    assert peak < MEMORY_LIMIT_KB, peak
    assert len(server.requests) == 1 and len(server.requests[0].body) > len(prompt)


def test_a_50mb_prompt_stored_in_the_history_stays_under_300mb(
    cli_env: dict[str, str], server: ReplayServer, tmp_path: Path
) -> None:
    """Logged, as users run it: the history write comes on top of the sent request, so
    what the send held (httpx's response and stream refer to each other, and keep the
    encoded body) must be gone by then; the title must not split the whole prompt."""
    prompt = b"lorem ipsum dolor sit amet\n" * 1_900_000  # 51 MB
    db = tmp_path / "logs.db"
    server.queue(openai_reply(stream=False))
    args = [*MODEL, "--api-base", server.url, "--db", str(db), "--force"]
    run, peak = run_measured(args, prompt, cli_env, tmp_path)
    assert run.code == 0, run
    assert peak < MEMORY_LIMIT_KB, peak
    assert db.stat().st_size > len(prompt)  # it was stored


def test_piped_stdin_over_the_cap_is_not_read_past_it(
    llmcli_process: Callable[..., Run], server: ReplayServer
) -> None:
    """A pipe has no size: it is read up to the cap and one byte, then refused."""
    args = [*MODEL, "--api-base", server.url, "--max-attachment-size", "1K", "-a", "-", "hi"]
    one_line(llmcli_process(*args, input=b"z" * 3000), "attachment stdin is over the 1 KB cap")
    assert server.requests == []
