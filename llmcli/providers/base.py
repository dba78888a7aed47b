"""What a provider module provides: the contract between the core and each provider.

Above this line sit the front ends (the CLI's commands, later a server or a batch runner)
and the engine (`llmcli.engine`), which send a `Request` and consume `Event`s; they find a
provider through its registry entry (`llmcli.providers.ProviderSpec`), which also holds
every static fact about it (environment variables, default base, auth headers, hints).
Below it sits the transport (`llmcli.transport`), which sends an `HttpCall` and hands back
the body whole or as frames. A provider module only translates between the two: it does
no I/O, reads no flag and no environment variable.

A module satisfies a Protocol by defining module-level functions of these names.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

if TYPE_CHECKING:
    from llmcli.catalog import Model
    from llmcli.errors import ProviderError
    from llmcli.events import Event
    from llmcli.framing import Frame
    from llmcli.providers import ProviderSpec
    from llmcli.request import EmbedRequest, ImageRequest, Request
    from llmcli.tasks import Embeddings, Images
    from llmcli.transport import Connection, HttpCall


@runtime_checkable
class ErrorDecoder(Protocol):
    """Every provider: an HTTP error body → one `ProviderError` (also says if retryable)."""

    def decode_error(self, status: int, body: bytes) -> ProviderError: ...


@runtime_checkable
class ChatProvider(ErrorDecoder, Protocol):
    """A chat or completion API: `encode` builds the call; the answer is decoded whole
    (`decode`, when `HttpCall.framing == "json"`) or as frames (`decode_stream`)."""

    def encode(self, req: Request, conn: Connection) -> HttpCall: ...

    def decode(self, body: bytes) -> Iterator[Event]: ...

    def decode_stream(self, frames: Iterable[Frame]) -> Iterator[Event]: ...

    def stream_decoder(self) -> StreamDecoder: ...


class StreamDecoder(Protocol):
    """One streamed answer, decoded push-style (no I/O): whoever reads the frames, sync
    or async, feeds them one at a time. `decode_stream` is `pushing.drive` over one.

    `feed` returns the events a frame completes; `done` turns true once no further frame
    can change the answer (the reader may stop); `end` returns the closing events (tool
    calls completed, usage, `Finish` or a `StreamError` for a cut stream). A malformed
    answer raises `DecodeError` from `feed` or `end`, after the events decoded before it.
    """

    done: bool

    def feed(self, frame: Frame) -> list[Event]: ...

    def end(self) -> list[Event]: ...


@runtime_checkable
class Embedder(ErrorDecoder, Protocol):
    def encode_embed(self, req: EmbedRequest, conn: Connection) -> HttpCall: ...

    def decode_embed(self, body: bytes) -> Embeddings: ...


@runtime_checkable
class ImageMaker(ErrorDecoder, Protocol):
    def encode_image(self, req: ImageRequest, conn: Connection) -> HttpCall: ...

    def decode_image(self, body: bytes) -> Images: ...


@runtime_checkable
class ModelLister(ErrorDecoder, Protocol):
    def encode_models(self, conn: Connection) -> HttpCall: ...

    def decode_models(self, body: bytes) -> list[Model]: ...


def load(spec: ProviderSpec) -> ChatProvider:
    """The provider module (imported now, not before); what else it provides, the spec
    says (`embeds`, `makes_images`, `lists_models`)."""
    return cast("ChatProvider", importlib.import_module(f"llmcli.providers.{spec.module}"))
