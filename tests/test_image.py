"""`llmcli image` and `--save-images`: OpenAI's images API against the corpus fixtures,
OpenRouter image models against an answer built from the documented shape (no
recording exists), and the saving rules: magic bytes, names, no overwrite, no escape.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import zlib
from datetime import datetime
from pathlib import Path

import pytest

from llmcli.errors import LlmcliError, UsageError
from llmcli.images import Kind, plan, slug, sniff, write_all
from tests.conftest import FAKE_KEYS
from tests.servers import Reply, load_case

OTTER = load_case("openai", "images-generations-b64-fixture")
OTTER_DATA = json.loads(OTTER.response)["data"]
REVISED = OTTER_DATA[0]["revised_prompt"]
PNG_KIND = Kind("image/png", ".png")


def png(width: int = 1, height: int = 1) -> bytes:
    """A real PNG (8-bit grey)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\0" * 20


def openai_args(server, *more: str) -> list[str]:
    return ["image", "--api-base", server.url + "/v1", *more]


# ---- OpenAI images API ---------------------------------------------------------------


def test_gpt_image_recorded_b64_saved_by_prompt(server, llmcli, tmp_path: Path) -> None:
    server.queue(OTTER.reply())
    out_dir = tmp_path / "shots"
    run = llmcli(
        *openai_args(server, "-m", "openai/gpt-image-1", "-n", "2", "--size", "1536x1024"),
        "--quality",
        "high",
        "--output-dir",
        str(out_dir),
        "--mkdir",  # `shots` does not exist yet
        "--json",
        "A baby sea otter, floating!",
    )
    assert run.code == 0, run.stderr
    (received,) = server.requests
    assert received.path == "/v1/images/generations"
    assert received.headers["authorization"] == f"Bearer {FAKE_KEYS['OPENAI_API_KEY']}"
    # GPT image models reject response_format (corpus openai/images-error-400-fixture).
    assert received.json == {
        "model": "gpt-image-1",
        "prompt": "A baby sea otter, floating!",
        "n": 2,
        "size": "1536x1024",
        "quality": "high",
    }
    out = run.json
    paths = [Path(i["path"]) for i in out["images"]]
    assert [p.parent for p in paths] == [out_dir, out_dir]
    for number, path in enumerate(paths, 1):
        assert path.name.startswith("a-baby-sea-otter-floating-")
        assert path.name.endswith(f"-{number}.png")
        assert path.read_bytes() == base64.b64decode(OTTER_DATA[number - 1]["b64_json"])
    assert [i["revised_prompt"] for i in out["images"]] == [REVISED, None]
    assert [i["mime"] for i in out["images"]] == ["image/png", "image/png"]
    assert out["model"] == "gpt-image-1"
    assert out["cost"] is None  # the fixture reports no usage


def test_paths_printed_one_per_line(server, llmcli, tmp_path: Path) -> None:
    server.queue(OTTER.reply())
    out = str(tmp_path / "o.png")
    args = openai_args(server, "-m", "openai/gpt-image-1", "-n", "2", "--output", out)
    run = llmcli(*args, "otter")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [str(tmp_path / "o-1.png"), str(tmp_path / "o-2.png")]


def test_output_naming_a_directory_writes_into_it(server, llmcli, tmp_path: Path) -> None:
    """`--output DIR` (an existing directory): default names inside it, not `DIR.png`
    or `DIR-1.png` beside it."""
    server.queue(OTTER.reply())
    box = tmp_path / "box"
    box.mkdir()
    run = llmcli(
        *openai_args(server, "-m", "openai/gpt-image-1", "-n", "2"), "--output", str(box), "otter"
    )
    assert run.code == 0, run.stderr
    paths = [Path(line) for line in run.stdout.splitlines()]
    assert [p.parent for p in paths] == [box, box]
    assert all(p.name.startswith("otter-") and p.is_file() for p in paths)
    assert sorted(tmp_path.iterdir()) == [box]


def one_png() -> Reply:
    """One generated image, in the documented `data[].b64_json` shape."""
    data = {"data": [{"b64_json": base64.b64encode(png()).decode()}]}
    return Reply(body=json.dumps(data).encode())


def test_output_dash_writes_the_image_to_stdout(server, cli_env, tmp_path: Path) -> None:
    """`--output -`: the image's bytes on stdout (a pipe); no file named `-.png`."""
    server.queue(one_png())
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "llmcli",
            *openai_args(server, "-m", "openai/gpt-image-1"),
            "--output",
            "-",
            "otter",
        ],
        capture_output=True,
        env=cli_env,
        cwd=tmp_path,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == png()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["-n", "2"], "llmcli: --output - writes one image to stdout: -n 2 needs a file name\n"),
        (["--json"], "llmcli: --output - writes the image to stdout: drop --json\n"),
    ],
)
def test_output_dash_refuses_before_the_request(server, llmcli, tmp_path, more, message) -> None:
    run = llmcli(*openai_args(server, "-m", "openai/gpt-image-1", *more), "--output", "-", "x")
    assert (run.code, run.stderr) == (2, message)
    assert not server.requests


def test_output_dash_refuses_a_terminal(server, cli_env, tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    args = [*openai_args(server, "-m", "openai/gpt-image-1"), "--output", "-", "x"]
    child = pexpect.spawn(
        sys.executable,
        ["-m", "llmcli", *args],
        env=cli_env,
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=20,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "--output - would write image bytes to the terminal: pipe or redirect" in child.before
    assert not server.requests and list(tmp_path.iterdir()) == []


def test_missing_directory_is_refused_unless_mkdir(server, llmcli, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "x.png"
    for where in (["--output", str(target)], ["--output-dir", str(target.parent)]):
        run = llmcli(*openai_args(server, "-m", "openai/gpt-image-1", *where), "x")
        assert run.code == 2
        assert run.stderr == f"llmcli: {target.parent} does not exist: create it, or pass --mkdir\n"
    assert not server.requests and list(tmp_path.iterdir()) == []
    afile = tmp_path / "afile"
    afile.write_text("")
    run = llmcli(
        *openai_args(server, "-m", "openai/gpt-image-1"),
        "--output",
        str(afile / "x.png"),
        "--mkdir",
        "x",
    )
    assert run.code == 2 and "afile is not a directory" in run.stderr
    server.queue(one_png())
    run = llmcli(
        *openai_args(server, "-m", "openai/gpt-image-1"), "--output", str(target), "--mkdir", "x"
    )
    assert run.code == 0, run.stderr
    assert target.is_file()


def test_output_directory_outside_the_output_dir_is_refused(server, llmcli, tmp_path) -> None:
    box, elsewhere = tmp_path / "box", tmp_path / "elsewhere"
    box.mkdir()
    elsewhere.mkdir()
    run = llmcli(
        *openai_args(server, "-m", "openai/gpt-image-1", "--output-dir", str(box)),
        "--output",
        "../elsewhere",
        "x",
    )
    assert run.code == 2 and "outside the output directory" in run.stderr
    assert not server.requests


def test_short_o_is_not_output_but_points_to_it(server, llmcli, tmp_path: Path) -> None:
    """`-o` means --option everywhere: `image -o FILE` is one line naming --output."""
    run = llmcli("image", "-m", "openai/gpt-image-1", "-o", str(tmp_path / "x.png"), "otter")
    assert run.code == 2
    assert run.stderr == "llmcli: no such option: -o: use --output (see llmcli image --help)\n"
    assert not server.requests and not list(tmp_path.iterdir())


def test_dall_e_asks_for_b64_json_and_is_priced_per_image(server, llmcli, tmp_path) -> None:
    body = {"created": 1, "data": [{"b64_json": base64.b64encode(png()).decode()}]}
    server.queue(Reply(body=json.dumps(body).encode()))
    run = llmcli(
        *openai_args(server, "-m", "openai/dall-e-3", "--size", "1792x1024", "--quality", "hd"),
        "--output",
        str(tmp_path / "wide.png"),
        "--json",
        "a wide view",
    )
    assert run.code == 0, run.stderr
    assert server.requests[0].json == {
        "model": "dall-e-3",
        "prompt": "a wide view",
        "size": "1792x1024",
        "quality": "hd",
        "response_format": "b64_json",
    }
    assert (tmp_path / "wide.png").read_bytes() == png()
    assert run.json["cost"] == 0.12  # catalog: dall-e-3 hd 1792x1024


@pytest.mark.parametrize(
    ("model", "flags", "message"),
    [
        ("dall-e-3", ("-n", "2"), "-n 2: dall-e-3 makes at most 1 per request"),
        ("dall-e-3", ("--quality", "low"), "--quality low: dall-e-3 takes standard, hd"),
        ("dall-e-2", ("--size", "1536x1024"), "--size 1536x1024: dall-e-2 takes 256x256"),
        ("gpt-image-1", ("--quality", "hd"), "--quality hd: gpt-image-1 takes low, medium"),
        ("gpt-image-1", ("--size", "1792x1024"), "--size 1792x1024: gpt-image-1 takes"),
    ],
)
def test_unsupported_size_or_quality_exits_2(server, llmcli, model, flags, message) -> None:
    run = llmcli(*openai_args(server, "-m", f"openai/{model}", *flags), "x")
    assert run.code == 2
    assert run.stderr.startswith(f"llmcli: {message}")
    assert server.requests == []


def test_recorded_400_unknown_parameter(server, llmcli, tmp_path) -> None:
    server.queue(load_case("openai", "images-error-400-fixture").reply())
    run = llmcli(
        *openai_args(server, "-m", "openai/gpt-image-1", "--output-dir", str(tmp_path)), "x"
    )
    assert run.code == 1
    assert run.stderr == (
        "llmcli: openai 400 invalid_request_error: Unknown parameter: 'response_format'.\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_url_results_are_downloaded_without_the_key(server, llmcli, tmp_path) -> None:
    body = {"created": 1, "data": [{"url": server.url + "/files/img-1.png"}]}
    server.queue(
        Reply(body=json.dumps(body).encode()), Reply(body=png(2, 2), content_type="image/png")
    )
    base = server.url + "/v1"
    out = str(tmp_path / "u")
    run = llmcli("image", "-m", "dall-e-2", "--api-base", base, "--output", out, "x")
    assert run.code == 0, run.stderr
    assert (tmp_path / "u.png").read_bytes() == png(2, 2)  # the extension from the bytes
    download = server.requests[1]
    assert (download.method, download.path) == ("GET", "/files/img-1.png")
    assert "authorization" not in download.headers


def test_bytes_that_are_not_an_image_are_refused(server, llmcli, tmp_path) -> None:
    body = {"data": [{"b64_json": base64.b64encode(b"<html>nope</html>").decode()}]}
    server.queue(Reply(body=json.dumps(body).encode()))
    run = llmcli(
        *openai_args(server, "-m", "openai/gpt-image-1", "--output-dir", str(tmp_path)), "x"
    )
    assert run.code == 1
    assert "image 1 of the answer is not an image (PNG, JPEG, GIF or WebP)" in run.stderr
    assert list(tmp_path.iterdir()) == []


# ---- OpenRouter image models (documented shape) --------------------------------------


def openrouter_answer(*images: bytes, cost: float = 0.0387) -> bytes:
    """The documented answer: images in choices[0].message.images as data URLs
    (https://openrouter.ai/docs/features/multimodal/image-generation)."""
    return json.dumps(
        {
            "id": "gen-1",
            "model": "google/gemini-2.5-flash-image",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {
                        "role": "assistant",
                        "content": "Here is your image.",
                        "images": [
                            {
                                "type": "image_url",
                                "image_url": {
                                    "url": "data:image/png;base64," + base64.b64encode(i).decode()
                                },
                            }
                            for i in images
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 9, "completion_tokens": 1290, "cost": cost},
        }
    ).encode()


def openrouter_args(server, *more: str) -> list[str]:
    return [
        "image",
        "-m",
        "openrouter/google/gemini-2.5-flash-image",
        "--api-base",
        server.url + "/api/v1",
        *more,
    ]


def test_openrouter_modalities_and_image_config(server, llmcli, tmp_path) -> None:
    server.queue(Reply(body=openrouter_answer(png(), png(3, 1))))
    run = llmcli(
        *openrouter_args(server, "--size", "1792x1024", "--quality", "hd", "-n", "2"),
        "--output-dir",
        str(tmp_path),
        "--json",
        "a lighthouse",
    )
    assert run.code == 0, run.stderr
    (received,) = server.requests
    assert received.path == "/api/v1/chat/completions"
    body = received.json
    assert body["modalities"] == ["image", "text"]
    assert body["image_config"] == {"aspect_ratio": "16:9", "image_size": "4K"}
    assert body["n"] == 2
    assert body["messages"] == [{"role": "user", "content": "a lighthouse"}]
    assert body["model"] == "google/gemini-2.5-flash-image"
    out = run.json
    assert [Path(i["path"]).read_bytes() for i in out["images"]] == [png(), png(3, 1)]
    assert out["cost"] == 0.0387  # OpenRouter's own usage.cost
    assert out["usage"]["output_tokens"] == 1290


@pytest.mark.parametrize(
    ("size", "quality", "expected"),
    [
        ("1024x1024", "low", {"aspect_ratio": "1:1", "image_size": "1K"}),
        ("1536x1024", "standard", {"aspect_ratio": "3:2", "image_size": "1K"}),
        ("1024x1536", "medium", {"aspect_ratio": "2:3", "image_size": "2K"}),
        ("1024x1792", "high", {"aspect_ratio": "9:16", "image_size": "4K"}),
    ],
)
def test_openrouter_size_and_quality_mapping(server, llmcli, tmp_path, size, quality, expected):
    server.queue(Reply(body=openrouter_answer(png())))
    run = llmcli(
        *openrouter_args(
            server, "--size", size, "--quality", quality, "--output-dir", str(tmp_path)
        ),
        "x",
    )
    assert run.code == 0, run.stderr
    assert server.requests[0].json["image_config"] == expected
    assert "n" not in server.requests[0].json


def test_openrouter_image_config_wins(server, llmcli, tmp_path) -> None:
    server.queue(Reply(body=openrouter_answer(png())))
    run = llmcli(
        *openrouter_args(server, "--size", "1024x1024", "--quality", "high"),
        "--image-config",
        '{"aspect_ratio": "21:9", "seed": 7}',
        "--output-dir",
        str(tmp_path),
        "x",
    )
    assert run.code == 0, run.stderr
    assert server.requests[0].json["image_config"] == {
        "aspect_ratio": "21:9",
        "image_size": "4K",
        "seed": 7,
    }


def test_openrouter_unsupported_size_exits_2(server, llmcli) -> None:
    run = llmcli(*openrouter_args(server, "--size", "256x256"), "x")
    assert run.code == 2
    assert run.stderr.startswith("llmcli: --size 256x256: OpenRouter takes 1024x1024, 1536x1024")
    assert server.requests == []


def test_openrouter_answer_without_image(server, llmcli, tmp_path) -> None:
    server.queue(Reply(body=openrouter_answer()))
    run = llmcli(*openrouter_args(server, "--output-dir", str(tmp_path)), "x")
    assert run.code == 1
    assert "answered without an image: Here is your image." in run.stderr


def test_complete_save_images(server, llmcli, tmp_path) -> None:
    """An OpenRouter image model answering `complete`: --save-images writes the image
    (named after the prompt) and --json lists its path."""
    server.queue(Reply(body=openrouter_answer(png())))
    run = llmcli(
        "complete",
        "-m",
        "openrouter/google/gemini-2.5-flash-image",
        "--api-base",
        server.url + "/api/v1",
        "--no-stream",
        "--no-log",
        "--save-images",
        str(tmp_path / "pics"),
        "--json",
        "Draw a cat",
    )
    assert run.code == 0, run.stderr
    (image,) = run.json["images"]
    path = Path(image["path"])
    assert path.parent == tmp_path / "pics"
    assert path.name.startswith("draw-a-cat-") and path.suffix == ".png"
    assert path.read_bytes() == png()
    assert image["mime"] == "image/png"
    assert f"llmcli: saved {path}" in run.stderr


def test_complete_without_save_images_says_so(server, llmcli) -> None:
    server.queue(Reply(body=openrouter_answer(png())))
    run = llmcli(
        "complete",
        "-m",
        "openrouter/google/gemini-2.5-flash-image",
        "--api-base",
        server.url + "/api/v1",
        "--no-stream",
        "--no-log",
        "Draw a cat",
    )
    assert run.code == 0, run.stderr
    assert "the answer has 1 image(s): --save-images DIR saves them" in run.stderr


# ---- naming, no overwrite, no escape -------------------------------------------------


def test_existing_file_is_not_overwritten(server, llmcli, tmp_path) -> None:
    target = tmp_path / "keep.png"
    target.write_bytes(b"precious")
    one = {"data": OTTER_DATA[:1]}
    server.queue(Reply(body=json.dumps(one).encode()))
    run = llmcli(*openai_args(server, "-m", "openai/gpt-image-1", "--output", str(target)), "x")
    assert run.code == 1
    assert (
        run.stderr == f"llmcli: {target} exists: pass --force to overwrite it (nothing written)\n"
    )
    assert target.read_bytes() == b"precious"
    server.queue(Reply(body=json.dumps(one).encode()))
    run = llmcli(
        *openai_args(server, "-m", "openai/gpt-image-1", "--output", str(target), "--force"), "x"
    )
    assert run.code == 0, run.stderr
    assert target.read_bytes() == base64.b64decode(OTTER_DATA[0]["b64_json"])


def test_several_images_nothing_written_when_one_exists(server, llmcli, tmp_path) -> None:
    (tmp_path / "pair-2.png").write_bytes(b"old")
    server.queue(OTTER.reply())
    run = llmcli(
        *openai_args(
            server, "-m", "openai/gpt-image-1", "-n", "2", "--output", str(tmp_path / "pair.png")
        ),
        "x",
    )
    assert run.code == 1
    assert str(tmp_path / "pair-2.png") in run.stderr
    assert not (tmp_path / "pair-1.png").exists()


def test_output_outside_the_output_dir_is_refused(server, llmcli, tmp_path) -> None:
    inside = tmp_path / "inside"
    inside.mkdir()
    run = llmcli(
        *openai_args(server, "-m", "openai/gpt-image-1", "--output-dir", str(inside)),
        "--output",
        "../escaped.png",
        "x",
    )
    assert run.code == 2
    assert "outside the output directory" in run.stderr
    assert server.requests == []  # refused before the (paid) request
    assert not (tmp_path / "escaped.png").exists()


def test_escape_through_a_symlink_is_refused(server, llmcli, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    box = tmp_path / "box"
    box.mkdir()
    (box / "link").symlink_to(outside, target_is_directory=True)
    server.queue(OTTER.reply())
    run = llmcli(
        *openai_args(server, "-m", "openai/gpt-image-1", "--output-dir", str(box)),
        "--output",
        "link/x.png",
        "x",
    )
    assert run.code == 2
    assert "outside the output directory" in run.stderr
    assert server.requests == []
    assert list(outside.iterdir()) == []


def test_plan_refuses_escapes_before_any_request() -> None:
    with pytest.raises(UsageError, match="outside the output directory"):
        plan([PNG_KIND], prompt="x", output=Path("../up.png"), output_dir=Path("/tmp/box"))
    with pytest.raises(UsageError, match="outside the output directory"):
        plan([PNG_KIND], prompt="x", output=Path("/etc/x.png"), output_dir=Path("/tmp/box"))


def test_slug_is_safe_and_short() -> None:
    assert slug("../../etc/passwd") == "etc-passwd"
    assert slug("Ünïcödé café, s'il vous plaît!") == "unicode-cafe-s-il-vous-plait"
    assert slug("   ") == "image"
    assert slug("/") == "image"
    long = slug("word " * 30)
    assert len(long) <= 40 and not long.endswith("-") and set(long) <= set("word-")


def test_default_names_and_extensions(tmp_path: Path) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5)
    jpeg = Kind("image/jpeg", ".jpg")
    assert plan([PNG_KIND], prompt="A cat", output_dir=tmp_path, now=when) == [
        tmp_path / "a-cat-20260102-030405.png"
    ]
    assert plan([PNG_KIND, jpeg], prompt="A cat", output_dir=tmp_path, now=when) == [
        tmp_path / "a-cat-20260102-030405-1.png",
        tmp_path / "a-cat-20260102-030405-2.jpg",
    ]
    warnings: list[str] = []
    assert plan([PNG_KIND], prompt="x", output=tmp_path / "pic.jpg", warn=warnings.append) == [
        tmp_path / "pic.png"
    ]
    assert warnings == ["pic.jpg: the image is image/png: saved with the extension .png"]
    assert plan([jpeg], prompt="x", output=tmp_path / "pic.JPEG") == [tmp_path / "pic.JPEG"]
    assert plan([PNG_KIND], prompt="x", output=tmp_path / "noext") == [tmp_path / "noext.png"]


def test_sniff_magic_bytes() -> None:
    assert sniff(png()) == PNG_KIND
    assert sniff(JPEG) == Kind("image/jpeg", ".jpg")
    assert sniff(b"GIF89a....") == Kind("image/gif", ".gif")
    assert sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == Kind("image/webp", ".webp")
    assert sniff(b"%PDF-1.7") is None
    assert sniff(b"") is None


def test_write_all_never_follows_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "out.png"
    link.symlink_to(victim)
    with pytest.raises(LlmcliError, match="exists"):
        write_all([(link, png())])
    assert victim.read_text() == "keep me"
    write_all([(link, png())], force=True)  # replaces the link itself
    assert victim.read_text() == "keep me"
    assert not link.is_symlink() and link.read_bytes() == png()
    assert oct(os.stat(link).st_mode & 0o777) == "0o644"
