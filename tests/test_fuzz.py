"""Fuzzing the answer decoders with Hypothesis, seeded with the recorded bodies.

Every provider's `decode_stream` (through the SSE / NDJSON framing, as the engine
feeds it) and `decode`, under: random splits, harmless lines (SSE comments and unknown
fields, blank lines), garbage lines, truncation, invalid UTF-8 and odd JSON shapes
(a recorded frame or body with a part replaced by any JSON value). The contract:

- a harmless change gives exactly the events of the unchanged body;
- anything else gives events (of the documented types) or raises `DecodeError`,
  the project's own error that the CLI prints as one line: never another exception;
- `decode_error` always returns a `ProviderError`.

The default runs are small (the file takes seconds); each property also has a
`slow` variant with 10,000 examples: `LLMCLI_SLOW=1 pytest tests/test_fuzz.py` or
`pytest -m slow tests/test_fuzz.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcli.errors import DecodeError, ProviderError
from llmcli.events import (
    Citation,
    Event,
    Finish,
    ImageOut,
    ReasoningDelta,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStart,
    Usage,
)
from llmcli.framing import Frame, frames_of, parser_for
from llmcli.providers import anthropic, deepseek, ollama, openai, openrouter

FIXTURES = Path(__file__).parent / "fixtures"
DECODERS: dict[str, ModuleType] = {
    "anthropic": anthropic,
    "openai": openai,
    "deepseek": deepseek,
    "openrouter": openrouter,
    "ollama": ollama,
}
SLOW_EXAMPLES = 10_000


@dataclass(frozen=True)
class Seed:
    provider: str
    name: str
    framing: str  # "sse", "ndjson" or "json"
    status: int
    body: bytes

    def __repr__(self) -> str:  # short, for Hypothesis' falsifying examples
        return f"Seed({self.provider}/{self.name})"


@cache
def seeds() -> tuple[Seed, ...]:
    """Every recorded response body in tests/fixtures."""
    out = []
    for meta_file in sorted(FIXTURES.glob("*/*/meta.json")):
        meta = json.loads(meta_file.read_text())
        response = meta_file.parent / meta["response_file"]
        framing = {".sse": "sse", ".ndjson": "ndjson"}.get(response.suffix, "json")
        provider = meta_file.parent.parent.name
        out.append(
            Seed(provider, meta_file.parent.name, framing, meta["status"], response.read_bytes())
        )
    return tuple(out)


def streams() -> list[Seed]:
    return [s for s in seeds() if s.framing != "json"]


def answers() -> list[Seed]:
    return [s for s in seeds() if s.framing == "json" and s.status < 400]


def error_bodies() -> list[Seed]:
    return [s for s in seeds() if s.status >= 400]


# ---- running a decoder ---------------------------------------------------------------------


def feed(body: bytes, framing: str, cuts: Sequence[int] = ()) -> Iterator[Frame]:
    """Frames as the engine makes them: fed in pieces, lazily, then closed."""
    parser = parser_for(framing)
    start = 0
    for cut in sorted(set(cuts)):
        yield from parser.feed(body[start:cut])
        start = cut
    yield from parser.feed(body[start:])
    yield from parser.close()


def decode_stream(provider: str, frames: Iterator[Frame] | list[Frame]) -> list[Event]:
    return checked(list(DECODERS[provider].decode_stream(iter(frames))))


def decode(provider: str, body: bytes) -> list[Event]:
    return checked(list(DECODERS[provider].decode(body)))


def outcome(run: Callable[[], list[Event]]) -> list[Event] | DecodeError:
    """The events, or the DecodeError raised; any other exception fails the test."""
    try:
        return run()
    except DecodeError as err:
        assert str(err) and "\n" not in str(err), repr(err)
        return err


def _opt(value: Any, kind: type | tuple[type, ...]) -> bool:
    return value is None or (isinstance(value, kind) and not isinstance(value, bool))


def checked(events: list[Event]) -> list[Event]:
    """Each event's fields have the types the renderers and the store rely on, and all
    its text can be written out as UTF-8."""
    for event in events:
        for value in (getattr(event, f.name) for f in fields(event)):
            json.dumps(value, ensure_ascii=False).encode()  # no lone surrogates
        ok = True
        if isinstance(event, TextDelta):
            ok = isinstance(event.text, str)
        elif isinstance(event, ReasoningDelta):
            ok = (
                isinstance(event.text, str)
                and _opt(event.signature, str)
                and _opt(event.redacted, str)
            )
        elif isinstance(event, ToolCallStart):
            ok = isinstance(event.id, str) and isinstance(event.name, str)
        elif isinstance(event, ToolCallDelta):
            ok = isinstance(event.id, str) and isinstance(event.arguments_fragment, str)
        elif isinstance(event, ToolCallDone):
            ok = isinstance(event.id, str) and isinstance(event.name, str)
            json.dumps(event.arguments)  # stored and printed as JSON
        elif isinstance(event, Citation):
            ok = (
                isinstance(event.kind, str)
                and all(_opt(v, str) for v in (event.cited_text, event.title, event.url))
                and all(_opt(v, int) for v in (event.document_index, event.start, event.end))
            )
        elif isinstance(event, ImageOut):
            ok = isinstance(event.url, str) and _opt(event.mime, str)
        elif isinstance(event, Usage):
            counts = [getattr(event, k) for k in event.as_dict() if k != "cost"]
            ok = all(_opt(v, int) for v in counts) and _opt(event.cost, (int, float))
        elif isinstance(event, Finish):
            ok = isinstance(event.reason, str) and _opt(event.model, str)
        elif isinstance(event, StreamError):
            ok = (
                isinstance(event.message, str)
                and _opt(event.error_type, str)
                and _opt(event.status, int)
            )
        else:
            ok = False
        assert ok, f"ill-typed event: {event!r}"
    return events


@cache
def reference(seed: Seed) -> tuple[Event, ...]:
    """The events of the recording exactly as recorded, fed in one piece."""
    return tuple(decode_stream(seed.provider, feed(seed.body, seed.framing)))


@cache
def reference_frames(seed: Seed) -> tuple[Frame, ...]:
    return tuple(frames_of(seed.body, seed.framing))


# ---- the strategies -------------------------------------------------------------------------

# JSON text may hold lone surrogates (`"\ud83d"`: half an emoji), which print nowhere.
json_strings = st.text(max_size=12) | st.sampled_from(["\ud83d", "a\udc00b", "\ud83d\ude00"])
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | json_strings,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
line_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=30
)
# Lines every SSE client must skip: comments and fields other than data/event.
harmless_sse_line = st.one_of(
    line_text.map(lambda t: ":" + t),
    st.sampled_from(["id", "retry", "foo", "Data", "DATA"]).flatmap(
        lambda name: line_text.map(lambda t: f"{name}: {t}")
    ),
    st.just(":"),
)
harmless_ndjson_line = st.sampled_from(["", " ", "\t", "  \t "])
garbage_line = st.one_of(
    line_text,
    line_text.map(lambda t: "data: " + t),
    line_text.map(lambda t: "event: " + t),
    json_values.map(lambda v: "data: " + json.dumps(v)),
    json_values.map(json.dumps),
    st.sampled_from(["data: [DONE]", "data: {}", "data: null", "{}", "[]", "null", '"x"', "0"]),
)
# Byte sequences that are never valid UTF-8, wherever they land.
invalid_utf8 = st.sampled_from([b"\xff", b"\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80"])


def cuts_of(body: bytes) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, len(body)), max_size=40)


def lines_of(body: bytes) -> list[bytes]:
    return body.splitlines(keepends=True)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON document: the root, each key of an object, each list item."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


@cache
def vocabulary() -> tuple[str, ...]:
    """Every object key of every recording: odd values get put under real names."""
    keys: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            keys.update(value)
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for seed in seeds():
        for doc in documents(seed):
            collect(doc)
    return tuple(sorted(keys))


def documents(seed: Seed) -> list[Any]:
    if seed.framing == "json":
        return [json.loads(seed.body)]
    return [json.loads(f.data) for f in reference_frames(seed) if f.data != "[DONE]"]


def mutate(doc: Any, data: st.DataObject) -> Any:
    """`doc` with one place replaced by any JSON value, deleted, or given an odd key."""
    doc = json.loads(json.dumps(doc))
    path = data.draw(st.sampled_from(list(paths(doc))), label="path")
    action = data.draw(st.sampled_from(["replace", "delete", "add"]), label="action")
    if not path:
        return data.draw(json_values, label="root")
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent[last], dict):
        key = data.draw(st.sampled_from(vocabulary()), label="key")
        parent[last][key] = data.draw(json_values, label="value")
    else:
        parent[last] = data.draw(json_values, label="value")
    return doc


def fuzz(
    examples: int, **strategies: st.SearchStrategy[Any]
) -> Callable[[Callable[..., None]], Any]:
    """A property test run with `examples` examples (see `slow_variant` for the long run)."""

    def wrap(prop: Callable[..., None]) -> Any:
        test = settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )(given(**strategies)(prop))
        test.prop, test.strategies = prop, strategies
        return test

    return wrap


def slow_variant(test: Any) -> Any:
    """The same property with SLOW_EXAMPLES examples, marked `slow`."""
    slow = settings(
        max_examples=SLOW_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )(given(**test.strategies)(test.prop))
    return pytest.mark.slow(slow)


# ---- streams: harmless changes give the same events ------------------------------------------


@fuzz(120, seed=st.sampled_from(streams()), data=st.data())
def test_splits_and_harmless_lines_give_the_same_events(seed: Seed, data: st.DataObject) -> None:
    lines = lines_of(seed.body)
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"  # a last line end more is harmless too
    if seed.framing == "sse":
        # Blank lines only where an event has ended (elsewhere they would split it).
        between = [i for i in range(len(lines) + 1) if i == 0 or lines[i - 1] == b"\n"]
        harmless = st.one_of(
            st.tuples(st.integers(0, len(lines)), harmless_sse_line),
            st.tuples(st.sampled_from(between), st.just("")),
        )
    else:
        harmless = st.tuples(st.integers(0, len(lines)), harmless_ndjson_line)
    inserts = data.draw(st.lists(harmless, max_size=8), label="inserts")
    for at, line in sorted(inserts, key=lambda pair: pair[0], reverse=True):
        lines.insert(at, line.encode() + b"\n")
    body = b"".join(lines)
    cuts = data.draw(cuts_of(body), label="cuts")
    assert decode_stream(seed.provider, feed(body, seed.framing, cuts)) == list(reference(seed))


test_splits_and_harmless_lines_give_the_same_events_slow = slow_variant(
    test_splits_and_harmless_lines_give_the_same_events
)


def test_reference_streams_decode() -> None:
    """The seeds themselves: every recorded stream decodes to an answer that ends."""
    assert len(streams()) >= 20
    for seed in streams():
        events = reference(seed)
        assert isinstance(events[-1], (Finish, StreamError)), seed


# ---- streams: anything else is events or a DecodeError ---------------------------------------


@fuzz(150, seed=st.sampled_from(streams()), data=st.data())
def test_garbage_lines_give_events_or_a_decode_error(seed: Seed, data: st.DataObject) -> None:
    lines = lines_of(seed.body)
    inserts = data.draw(
        st.lists(st.tuples(st.integers(0, len(lines)), garbage_line), min_size=1, max_size=5),
        label="inserts",
    )
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"
    for at, line in sorted(inserts, key=lambda pair: pair[0], reverse=True):
        lines.insert(at, line.encode() + b"\n" + (b"\n" if seed.framing == "sse" else b""))
    body = b"".join(lines)
    provider = data.draw(st.sampled_from([seed.provider, *DECODERS]), label="decoder")
    outcome(lambda: decode_stream(provider, feed(body, seed.framing, data.draw(cuts_of(body)))))


test_garbage_lines_give_events_or_a_decode_error_slow = slow_variant(
    test_garbage_lines_give_events_or_a_decode_error
)


# Providers whose streams end with an explicit last frame the decoders wait for.
TERMINAL = {
    "anthropic": lambda f: '"message_stop"' in f.data,
    "ollama": lambda f: '"done":true' in f.data.replace(" ", ""),
}


@fuzz(150, seed=st.sampled_from(streams()), data=st.data())
def test_truncated_streams_give_events_or_a_decode_error(seed: Seed, data: st.DataObject) -> None:
    body = seed.body[: data.draw(st.integers(0, len(seed.body)), label="cut")]
    got = outcome(
        lambda: decode_stream(seed.provider, feed(body, seed.framing, data.draw(cuts_of(body))))
    )
    terminal = TERMINAL.get(seed.provider)
    if isinstance(got, list) and got and isinstance(got[-1], Finish) and terminal:
        # An answer that broke off never looks finished.
        assert any(terminal(f) for f in frames_of(body, seed.framing)), got[-1]


test_truncated_streams_give_events_or_a_decode_error_slow = slow_variant(
    test_truncated_streams_give_events_or_a_decode_error
)


@fuzz(100, seed=st.sampled_from(streams()), bad=invalid_utf8, data=st.data())
def test_invalid_utf8_is_a_decode_error(seed: Seed, bad: bytes, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(seed.body)), label="at")
    body = seed.body[:at] + bad + seed.body[at:]
    got = outcome(
        lambda: decode_stream(seed.provider, feed(body, seed.framing, data.draw(cuts_of(body))))
    )
    if isinstance(got, list):
        # Only when the decoder had finished before reading that far (anything after the
        # last frame is never read).
        assert got == list(reference(seed)) or isinstance(got[-1], StreamError)
    else:
        assert "UTF-8" in str(got) or "JSON" in str(got)


test_invalid_utf8_is_a_decode_error_slow = slow_variant(test_invalid_utf8_is_a_decode_error)


@fuzz(300, seed=st.sampled_from(streams()), data=st.data())
def test_odd_json_shapes_in_frames(seed: Seed, data: st.DataObject) -> None:
    frames = list(reference_frames(seed))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        index = data.draw(st.integers(0, len(frames) - 1), label="frame")
        if frames[index].data == "[DONE]":
            continue
        doc = mutate(json.loads(frames[index].data), data)
        frames[index] = Frame(frames[index].event, json.dumps(doc))
    provider = data.draw(st.sampled_from([seed.provider, *DECODERS]), label="decoder")
    outcome(lambda: decode_stream(provider, frames))


test_odd_json_shapes_in_frames_slow = slow_variant(test_odd_json_shapes_in_frames)


@pytest.mark.parametrize("provider", DECODERS)
def test_every_recording_through_every_decoder(provider: str) -> None:
    """Another provider's stream or body is odd JSON too: events or a DecodeError."""
    for seed in seeds():
        if seed.framing == "json":
            outcome(lambda s=seed: decode(provider, s.body))
        else:
            outcome(lambda s=seed: decode_stream(provider, feed(s.body, s.framing)))


# ---- non-streaming answers -------------------------------------------------------------------


@fuzz(100, seed=st.sampled_from(answers()), indent=st.none() | st.integers(0, 3), data=st.data())
def test_reformatted_answers_give_the_same_events(
    seed: Seed, indent: int | None, data: st.DataObject
) -> None:
    doc = json.loads(seed.body)
    body = json.dumps(doc, indent=indent, sort_keys=data.draw(st.booleans()), ensure_ascii=False)
    padding = data.draw(st.sampled_from(["", " ", "\n", "\n\n  "]), label="padding")
    expected = decode(seed.provider, seed.body)
    assert decode(seed.provider, (padding + body + padding).encode()) == expected


test_reformatted_answers_give_the_same_events_slow = slow_variant(
    test_reformatted_answers_give_the_same_events
)


@fuzz(300, seed=st.sampled_from(answers()), data=st.data())
def test_odd_json_shapes_in_answers(seed: Seed, data: st.DataObject) -> None:
    doc = json.loads(seed.body)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        doc = mutate(doc, data)
    provider = data.draw(st.sampled_from([seed.provider, *DECODERS]), label="decoder")
    outcome(lambda: decode(provider, json.dumps(doc).encode()))


test_odd_json_shapes_in_answers_slow = slow_variant(test_odd_json_shapes_in_answers)


@fuzz(100, seed=st.sampled_from(answers()), bad=st.none() | invalid_utf8, data=st.data())
def test_truncated_or_invalid_answers_are_a_decode_error(
    seed: Seed, bad: bytes | None, data: st.DataObject
) -> None:
    body = seed.body.rstrip()
    at = data.draw(st.integers(0, len(body) - 1), label="at")
    body = body[:at] + bad + body[at:] if bad else body[:at]
    with pytest.raises(DecodeError):
        decode(seed.provider, body)


test_truncated_or_invalid_answers_are_a_decode_error_slow = slow_variant(
    test_truncated_or_invalid_answers_are_a_decode_error
)


# ---- error bodies ----------------------------------------------------------------------------


@fuzz(
    200,
    seed=st.sampled_from(error_bodies() + answers()),
    status=st.sampled_from([400, 401, 403, 404, 408, 429, 500, 502, 503, 529]),
    data=st.data(),
)
def test_decode_error_always_gives_a_provider_error(
    seed: Seed, status: int, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(["mutated", "truncated", "bytes"]), label="kind")
    if kind == "mutated":
        body = json.dumps(mutate(json.loads(seed.body), data)).encode()
    elif kind == "truncated":
        body = seed.body[: data.draw(st.integers(0, len(seed.body)))]
    else:
        body = data.draw(st.binary(max_size=200), label="body")
    for module in DECODERS.values():
        err = module.decode_error(status, body)
        assert isinstance(err, ProviderError)
        assert err.status == status and isinstance(err.provider_message, str)
        assert "\n" not in str(err)


test_decode_error_always_gives_a_provider_error_slow = slow_variant(
    test_decode_error_always_gives_a_provider_error
)
