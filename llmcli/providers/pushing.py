"""Push-style stream decoding: frames are fed one at a time, events come back as lists.

A stream decoder holds no I/O (sans-IO, as h11 does for HTTP): whoever reads the frames
feeds them, so the sync engine (a generator over frames) and the async server (an
`async for` over frames) drive the very same decoder. `drive` is the one generator
the sync side uses.

A decoder that meets an answer of an unexpected shape returns the events decoded before
the fault, sets `done`, and raises the `DecodeError` at its next `feed` or `end` call:
so nothing decoded is lost, as with a generator that yields and then raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from llmcli.errors import DecodeError
from llmcli.events import Event, TextDelta
from llmcli.framing import Frame
from llmcli.providers._common import SHAPE_ERRORS, shape_error, well_typed


class Pushed:
    """Base of the stream decoders: fault deferral and event checking.

    Subclasses implement `_feed(frame, out)` and `_end(out)`, appending events to `out`.
    """

    done: bool = False  # no further frame can change the answer: stop reading
    _fault: DecodeError | None = None

    def feed(self, frame: Frame) -> list[Event]:
        if self._fault is not None:
            raise self._fault
        out: list[Event] = []
        try:
            self._feed(frame, out)
        except SHAPE_ERRORS as err:
            self._defer(shape_error(err))
        except DecodeError as err:
            self._defer(err)
        return self._checked(out)

    def end(self) -> list[Event]:
        if self._fault is not None:
            raise self._fault
        out: list[Event] = []
        try:
            self._end(out)
        except SHAPE_ERRORS as err:
            raise shape_error(err) from err
        checked = self._checked(out)
        if self._fault is not None:
            raise self._fault
        return checked

    def _feed(self, frame: Frame, out: list[Event]) -> None:
        raise NotImplementedError

    def _end(self, out: list[Event]) -> None:
        raise NotImplementedError

    def _defer(self, err: DecodeError) -> None:
        self._fault = err
        self.done = True

    def _checked(self, out: list[Event]) -> list[Event]:
        """Each event well typed (plain ASCII text, nearly every event, without a call);
        at the first bad one, the events before it are kept and the fault deferred."""
        for i, event in enumerate(out):
            if type(event) is TextDelta and type(event.text) is str and event.text.isascii():
                continue
            try:
                well_typed(event)
            except DecodeError as err:
                self._defer(err)
                del out[i:]
                break
        return out


def drive(decoder: Pushed, frames: Iterable[Frame]) -> Iterator[Event]:
    """The generic `decode_stream`: feed every frame, yield what comes back, then end."""
    feed = decoder.feed
    for frame in frames:
        events = feed(frame)
        if events:
            yield from events
        if decoder.done:
            break
    yield from decoder.end()
