"""`llmcli image`: a prompt in, image files out (OpenAI images API, OpenRouter image models).

Saved paths go to stdout, one per line, for pipelines; `--json` prints one object;
`--output -` writes the one image's bytes to stdout instead.
Only typer is imported at module level: `--help` must stay fast.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from llmcli.cli import spec
from llmcli.errors import LlmcliError, UsageError

if TYPE_CHECKING:
    from llmcli.cli.target import Target
    from llmcli.events import Usage
    from llmcli.images import Kind
    from llmcli.request import ImageRequest
    from llmcli.tasks import Images


@spec.signature(spec.IMAGE, spec.argument("prompt", str | None, spec.IMAGE_PROMPT_HELP))
def image(
    prompt: str | None = None,
    *,
    model: str | None,
    n: int,
    size: str | None,
    quality: spec.Quality | None,
    image_config: str | None,
    output: Path | None,
    output_dir: Path | None,
    mkdir: bool,
    force: bool,
    json_out: bool,
    headers: list[str] | None,
    api_key: str | None,
    api_base: str | None,
    retries: int,
    timeout: float,
    debug: bool,
) -> None:
    """Generate images from PROMPT and save them; prints each saved path."""
    from llmcli.cli.complete import read_prompt
    from llmcli.cli.target import target_for_model
    from llmcli.engine import fetch
    from llmcli.errors import DecodeError, warn
    from llmcli.request import ImageRequest

    text = read_prompt(prompt)
    if size is not None and not re.fullmatch(r"\d+x\d+|auto", size):
        raise UsageError(f"invalid --size {size!r}: use WIDTHxHEIGHT, e.g. 1024x1024")
    extra = _image_config(image_config)
    # Where the images go is checked before anything is paid for.
    to_stdout = output == STDOUT
    if to_stdout:
        _check_stdout(n, output_dir, json_out)
    else:
        from llmcli.images import destination

        output, output_dir = destination(output, output_dir, mkdir=mkdir)
    target = target_for_model(
        model or "",
        api_key=api_key,
        api_base=api_base,
        headers=headers,
        retries=retries,
        timeout=timeout,
        debug=debug,
    )
    maker = target.image_maker("image generation: use an openai/ or openrouter/ image model")
    req = ImageRequest(
        provider=target.provider,
        model=target.model,
        prompt=text,
        n=n,
        size=size,
        quality=quality.value if quality else None,
        extra=extra,
    )
    call = maker.encode_image(req, target.connection)
    for note in call.warnings:
        warn(note.render(spec.flag_for))
    body = fetch(maker, call, target.policy, hint=target.connection.connect_hint)
    try:
        result: Images = maker.decode_image(body)
    except DecodeError as err:
        raise DecodeError(f"{target.provider}: {err}") from None
    files = _image_bytes(result, target)
    if not files:
        said = f": {_short(result.text)}" if result.text else ""
        raise LlmcliError(f"{target.full_name} answered without an image{said}")
    if len(files) < n:
        warn(f"asked for {n} images, got {len(files)}")
    if to_stdout:
        if len(files) != 1:
            raise LlmcliError(f"--output -: the answer has {len(files)} images (nothing written)")
        sys.stdout.flush()
        sys.stdout.buffer.write(files[0][2])
        sys.stdout.buffer.flush()
        return
    paths = _save(files, text, output, output_dir, force, mkdir, warn)
    cost = _cost(target, req, result.usage, len(files))
    if json_out:
        images = [
            {"path": str(path), "revised_prompt": image.revised_prompt, "mime": kind.mime}
            for path, (image, kind, _) in zip(paths, files, strict=True)
        ]
        usage = result.usage.as_dict()
        usage["cost"] = cost
        out: dict[str, Any] = {
            "model": result.model or target.model,
            "images": images,
            "usage": usage,
            "cost": cost,
        }
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    if result.text:
        from llmcli.controls import for_stream

        typer.echo(for_stream(result.text.strip(), sys.stderr), err=True)
    for path in paths:
        typer.echo(str(path))


STDOUT = Path("-")


def _check_stdout(n: int, output_dir: Path | None, json_out: bool) -> None:
    """`--output -`: one image's bytes, to a pipe or a file (binary on a terminal is noise
    and can drive it)."""
    if n != 1:
        raise UsageError(f"--output - writes one image to stdout: -n {n} needs a file name")
    if output_dir is not None or json_out:
        other = "--output-dir" if output_dir is not None else "--json"
        raise UsageError(f"--output - writes the image to stdout: drop {other}")
    if sys.stdout.isatty():
        raise UsageError("--output - would write image bytes to the terminal: pipe or redirect")


def _image_config(spec: str | None) -> dict[str, Any]:
    if spec is None:
        return {}
    from llmcli.inputs import load_json_arg

    data = load_json_arg(spec, "--image-config")
    if not isinstance(data, dict):
        raise UsageError('--image-config must be a JSON object, e.g. \'{"aspect_ratio": "4:3"}\'')
    return data


def _image_bytes(result: Images, target: Target) -> list[tuple[Any, Kind, bytes]]:
    """(image, its type, its bytes) for each image; URLs are downloaded (no key sent)."""
    from llmcli.engine import download
    from llmcli.images import check_image

    files = []
    for number, image in enumerate(result.images, 1):
        data = image.data if image.data is not None else download(image.url or "", target.policy)
        kind = check_image(data, f"image {number} of the answer")
        files.append((image, kind, data))
    return files


def _save(
    files: list[tuple[Any, Kind, bytes]],
    prompt: str,
    output: Path | None,
    output_dir: Path | None,
    force: bool,
    mkdir: bool,
    warn: Any,
) -> list[Path]:
    from llmcli.images import plan, write_all

    paths = plan(
        [kind for _, kind, _ in files],
        prompt=prompt,
        output=output,
        output_dir=output_dir,
        warn=warn,
    )
    pairs = [(path, data) for path, (_, _, data) in zip(paths, files, strict=True)]
    write_all(pairs, force=force, mkdir=mkdir)
    return paths


def _cost(target: Target, req: ImageRequest, usage: Usage, count: int) -> float | None:
    from llmcli import catalog

    return catalog.images_cost(target.provider, target.model, usage, req.quality, req.size, count)


def _short(text: str | None) -> str:
    line = " ".join((text or "").split())
    return line[:120] + "…" if len(line) > 121 else line
