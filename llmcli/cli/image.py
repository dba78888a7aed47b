"""`llmcli image`: a prompt in, image files out (OpenAI images API, OpenRouter image models).

Saved paths go to stdout, one per line, for pipelines; `--json` prints one object.
Only typer is imported at module level: `--help` must stay fast.
"""

from __future__ import annotations

import json
import re
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmcli.cli import options as o
from llmcli.errors import LlmcliError, UsageError

if TYPE_CHECKING:
    from llmcli.cli.target import Target
    from llmcli.events import Usage
    from llmcli.images import Kind
    from llmcli.tasks import ImageRequest, Images

SAVING = "Saving"


class Quality(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"
    standard = "standard"
    hd = "hd"


def image(
    prompt: Annotated[
        str | None,
        typer.Argument(help="What to draw. Piped stdin comes first, then a blank line, then it."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "-m",
            "--model",
            help="PROVIDER/MODEL, e.g. openai/gpt-image-1, openai/dall-e-3, "
            "openrouter/google/gemini-2.5-flash-image.",
            rich_help_panel=o.REQUEST,
        ),
    ] = None,
    n: Annotated[
        int, typer.Option("-n", min=1, help="How many images.", rich_help_panel=o.REQUEST)
    ] = 1,
    size: Annotated[
        str | None,
        typer.Option(
            "--size",
            metavar="WxH",
            help="e.g. 1024x1024, 1536x1024, 1792x1024 (what the model takes).",
            rich_help_panel=o.REQUEST,
        ),
    ] = None,
    quality: Annotated[
        Quality | None,
        typer.Option("--quality", help="Image quality.", rich_help_panel=o.REQUEST),
    ] = None,
    image_config: Annotated[
        str | None,
        typer.Option(
            "--image-config",
            metavar="JSON",
            help="Provider keys (inline JSON or @file): OpenRouter's image_config (wins over "
            "--size/--quality), or extra OpenAI request fields.",
            rich_help_panel=o.REQUEST,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="File name (several images: NAME-1.png, NAME-2.png, ...).",
            rich_help_panel=SAVING,
        ),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            help="Directory for the images (default: the current one).",
            rich_help_panel=SAVING,
            file_okay=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Overwrite existing files.", rich_help_panel=SAVING),
    ] = False,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json", help='Print {"model", "images", "usage", "cost"}.', rich_help_panel=o.OUTPUT
        ),
    ] = False,
    headers: o.Header = None,
    api_key: o.ApiKey = None,
    api_base: o.ApiBase = None,
    retries: o.Retries = 2,
    timeout: o.Timeout = 600.0,
    debug: o.Debug = False,
) -> None:
    """Generate images from PROMPT and save them; prints each saved path."""
    from llmcli.cli.complete import read_prompt
    from llmcli.cli.target import connect
    from llmcli.engine import fetch
    from llmcli.errors import DecodeError, warn
    from llmcli.tasks import ImageRequest

    text = read_prompt(prompt)
    if size is not None and not re.fullmatch(r"\d+x\d+|auto", size):
        raise UsageError(f"invalid --size {size!r}: use WIDTHxHEIGHT, e.g. 1024x1024")
    extra = _image_config(image_config)
    if output is not None and output_dir is not None:
        from llmcli.images import inside

        inside(output_dir, output_dir / output)  # refused before anything is paid for
    target = connect(
        model or "",
        api_key=api_key,
        api_base=api_base,
        headers=headers,
        retries=retries,
        timeout=timeout,
        debug=debug,
    )
    target.needs("encode_image", "image generation: use an openai/ or openrouter/ image model")
    req = ImageRequest(
        provider=target.provider,
        model=target.model,
        prompt=text,
        n=n,
        size=size,
        quality=quality.value if quality else None,
        extra=extra,
    )
    call = target.module.encode_image(req, target.connection)
    from llmcli.cli.flags import flag_for

    for note in call.warnings:
        warn(note.render(flag_for))
    body = fetch(target.module, call, target.policy)
    try:
        result: Images = target.module.decode_image(body)
    except DecodeError as err:
        raise DecodeError(f"{target.provider}: {err}") from None
    files = _image_bytes(result, target)
    if not files:
        said = f": {_short(result.text)}" if result.text else ""
        raise LlmcliError(f"{target.full_name} answered without an image{said}")
    if len(files) < n:
        warn(f"asked for {n} images, got {len(files)}")
    paths = _save(files, text, output, output_dir, force, warn)
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
        typer.echo(result.text.strip(), err=True)
    for path in paths:
        typer.echo(str(path))


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
    write_all([(path, data) for path, (_, _, data) in zip(paths, files, strict=True)], force=force)
    return paths


def _cost(target: Target, req: ImageRequest, usage: Usage, count: int) -> float | None:
    """The provider's figure (OpenRouter), else per image (dall-e) or per token (catalog)."""
    if usage.cost is not None:
        return usage.cost
    from llmcli import catalog

    entry = catalog.lookup(target.provider, target.model)
    if entry is None:
        return None
    if entry.per_image:
        return catalog.image_cost(entry, req.quality, req.size, count)
    return catalog.usage_cost(target.provider, target.model, usage)


def _short(text: str | None) -> str:
    line = " ".join((text or "").split())
    return line[:120] + "…" if len(line) > 121 else line
