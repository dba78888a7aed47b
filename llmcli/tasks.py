"""Results of the non-chat tasks: what `decode_embed` and `decode_image` return.

Their requests (`EmbedRequest`, `ImageRequest`) stand beside `Request` in `llmcli.request`.
Plain dataclasses: nothing here does I/O.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from llmcli.errors import DecodeError
from llmcli.events import Usage


@dataclass
class Embeddings:
    """One vector per input, in input order."""

    vectors: list[list[float]]
    model: str | None = None
    usage: Usage = field(default_factory=Usage)


@dataclass
class ImageData:
    """One generated image: its bytes, or a URL to download them from."""

    data: bytes | None = None
    url: str | None = None
    mime: str | None = None
    revised_prompt: str | None = None


@dataclass
class Images:
    images: list[ImageData]
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    text: str | None = None  # what the model said besides the images (OpenRouter)


def decode_base64(text: str, what: str = "image") -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise DecodeError(f"the {what} is not valid base64") from None


def data_url(url: str) -> ImageData:
    """`data:image/png;base64,...` → its bytes and type; any other URL is kept to download."""
    if not url.startswith("data:"):
        return ImageData(url=url)
    head, comma, payload = url[5:].partition(",")
    if not comma or not head.endswith(";base64"):
        raise DecodeError("an image data URL is not base64-encoded")
    mime = head[: -len(";base64")].split(";", 1)[0] or None
    return ImageData(data=decode_base64(payload), mime=mime)
