"""SSE and NDJSON framing: any split of a body into chunks gives the same frames.

The bodies are real provider recordings (tests/fixtures). Each is also tried with
every line end turned into CRLF and into a bare CR, which SSE allows and which
proxies produce. Chunk boundaries are drawn by hypothesis, with extra weight on
the places that break naive parsers: inside a multi-byte UTF-8 character and
between the CR and LF of one line end.
"""

from __future__ import annotations

import json
from functools import cache
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcli.errors import DecodeError
from llmcli.events import Event
from llmcli.framing import Frame, NDJSONParser, SSEParser, frames_of, parser_for
from llmcli.providers import anthropic, deepseek, ollama, openai, openrouter
from tests.servers import load_case

DECODERS: dict[str, ModuleType] = {
    "anthropic": anthropic,
    "openai": openai,
    "openrouter": openrouter,
    "deepseek": deepseek,
    "ollama": ollama,
}

SSE_CASES = [
    ("anthropic", "stream-text-basic"),
    ("anthropic", "stream-thinking"),
    ("anthropic", "stream-redacted-thinking"),
    ("anthropic", "stream-tool-use-parallel"),
    ("anthropic", "stream-tool-result-turn2"),  # "🦅" (4-byte UTF-8)
    ("anthropic", "stream-web-search-citations"),  # dashes, curly quotes, "·" (2 and 3 bytes)
    ("openai", "stream-text-usage"),
    ("openai", "stream-tool-calls"),
    ("openrouter", "stream-text-processing-comments"),  # ": OPENROUTER PROCESSING"
    ("openrouter", "stream-midstream-error"),
    ("openrouter", "stream-reasoning-anthropic"),
    ("deepseek", "reasoner-stream"),  # "😊" (4-byte UTF-8)
]
NDJSON_CASES = [
    ("ollama", "chat-stream"),
    ("ollama", "generate-stream"),
    ("ollama", "chat-thinking-stream"),
    ("ollama", "chat-format-schema"),
    ("ollama", "built-non-ascii"),  # see _built_ollama_stream
]
ENDINGS = ("lf", "crlf", "cr")


def _built_ollama_stream() -> bytes:
    """The recorded Ollama answer "… **72 °F** …" re-sent as an NDJSON stream.

    No recorded Ollama stream has non-ASCII text, so the words of a recorded
    non-streaming answer are streamed in the shape of the recorded chat streams.
    """
    answer = json.loads(load_case("ollama", "chat-tool-result-turn2").response)
    text = answer["message"]["content"]
    words = [w + " " for w in text.split(" ")]
    words[-1] = words[-1].rstrip()
    lines = [
        {
            "model": answer["model"],
            "created_at": answer["created_at"],
            "message": {"role": "assistant", "content": word},
            "done": False,
        }
        for word in words
    ]
    lines.append({**answer, "message": {"role": "assistant", "content": ""}})
    return b"".join(
        json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        for line in lines
    )


@cache
def body(provider: str, name: str, ending: str) -> bytes:
    raw = (
        _built_ollama_stream() if name == "built-non-ascii" else load_case(provider, name).response
    )
    assert b"\r" not in raw  # the recordings use LF; the variants below are made from it
    if ending == "crlf":
        return raw.replace(b"\n", b"\r\n")
    if ending == "cr":
        return raw.replace(b"\n", b"\r")
    return raw


@cache
def risky_offsets(data: bytes) -> tuple[int, ...]:
    """Cut points inside a UTF-8 sequence, between CR and LF, and next to line ends."""
    out: set[int] = set()
    for i in range(1, len(data)):
        if 0x80 <= data[i] <= 0xBF or data[i - 1 : i + 1] == b"\r\n":
            out.add(i)
        if data[i] in b"\r\n":
            out.update((i, i + 1))
    return tuple(sorted(out)) or (0,)


def feed_in_pieces(data: bytes, framing: str, cuts: list[int]) -> list[Frame]:
    parser = parser_for(framing)
    frames: list[Frame] = []
    start = 0
    for cut in sorted(set(cuts)):
        frames.extend(parser.feed(data[start:cut]))
        start = cut
    frames.extend(parser.feed(data[start:]))
    frames.extend(parser.close())
    return frames


def decoded(provider: str, frames: list[Frame]) -> list[Event]:
    return list(DECODERS[provider].decode_stream(iter(frames)))


@cache
def reference(provider: str, name: str, framing: str) -> tuple[list[Frame], list[Event]]:
    """Frames and events of the recording exactly as recorded, fed in one piece."""
    frames = frames_of(body(provider, name, "lf"), framing)
    return frames, decoded(provider, frames)


def cut_points(data: bytes) -> st.SearchStrategy[list[int]]:
    anywhere = st.integers(0, len(data))
    risky = st.sampled_from(risky_offsets(data))
    return st.lists(st.one_of(anywhere, risky, risky), max_size=80)


# ---- the recordings have what these tests rely on ----------------------------------------


def test_fixtures_hold_multibyte_utf8() -> None:
    for provider, name in [
        ("anthropic", "stream-tool-result-turn2"),
        ("deepseek", "reasoner-stream"),
        ("anthropic", "stream-web-search-citations"),
        ("ollama", "built-non-ascii"),
    ]:
        text = body(provider, name, "lf").decode()
        assert any(ord(c) > 127 for c in text), name
    assert "🦅" in body("anthropic", "stream-tool-result-turn2", "lf").decode()
    assert "😊" in body("deepseek", "reasoner-stream", "lf").decode()
    assert "°F" in body("ollama", "built-non-ascii", "lf").decode()


@pytest.mark.parametrize(("provider", "name"), SSE_CASES + NDJSON_CASES)
def test_reference_decodes_to_a_complete_answer(provider: str, name: str) -> None:
    framing = "ndjson" if provider == "ollama" else "sse"
    frames, events = reference(provider, name, framing)
    assert frames
    last = type(events[-1]).__name__
    # The OpenRouter case is a recorded mid-stream error; all others end normally.
    assert last == ("StreamError" if name == "stream-midstream-error" else "Finish")


# ---- any split, any line end: the same frames and the same events ------------------------


@pytest.mark.parametrize("ending", ENDINGS)
@pytest.mark.parametrize(("provider", "name"), SSE_CASES + NDJSON_CASES)
def test_one_byte_at_a_time(provider: str, name: str, ending: str) -> None:
    framing = "ndjson" if provider == "ollama" else "sse"
    frames, events = reference(provider, name, framing)
    data = body(provider, name, ending)
    assert frames_of(data, framing) == frames
    one_by_one = frames_of(data, framing, chunk_size=1)
    assert one_by_one == frames
    assert decoded(provider, one_by_one) == events


@settings(deadline=None, max_examples=250)
@given(case=st.sampled_from(SSE_CASES), ending=st.sampled_from(ENDINGS), data=st.data())
def test_sse_any_split_same_frames_and_events(
    case: tuple[str, str], ending: str, data: st.DataObject
) -> None:
    provider, name = case
    frames, events = reference(provider, name, "sse")
    raw = body(provider, name, ending)
    got = feed_in_pieces(raw, "sse", data.draw(cut_points(raw), label="cuts"))
    assert got == frames
    assert decoded(provider, got) == events


@settings(deadline=None, max_examples=200)
@given(case=st.sampled_from(NDJSON_CASES), ending=st.sampled_from(ENDINGS), data=st.data())
def test_ndjson_any_split_same_frames_and_events(
    case: tuple[str, str], ending: str, data: st.DataObject
) -> None:
    provider, name = case
    frames, events = reference(provider, name, "ndjson")
    raw = body(provider, name, ending)
    got = feed_in_pieces(raw, "ndjson", data.draw(cut_points(raw), label="cuts"))
    assert got == frames
    assert decoded(provider, got) == events


def test_every_split_inside_each_multibyte_character() -> None:
    """Exhaustive two-piece splits at every byte inside every non-ASCII character."""
    for provider, name in [
        ("anthropic", "stream-tool-result-turn2"),
        ("deepseek", "reasoner-stream"),
        ("ollama", "built-non-ascii"),
    ]:
        framing = "ndjson" if provider == "ollama" else "sse"
        frames, _ = reference(provider, name, framing)
        for ending in ENDINGS:
            raw = body(provider, name, ending)
            inside = [i for i in range(len(raw)) if 0x80 <= raw[i] <= 0xBF]
            assert inside
            for cut in inside:
                assert feed_in_pieces(raw, framing, [cut]) == frames, (name, ending, cut)


# ---- generated streams: arbitrary text, line ends mixed line by line ---------------------

_LINE_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=12
)
_EVENT = st.tuples(st.none() | _LINE_TEXT, st.lists(_LINE_TEXT, min_size=1, max_size=4))


@settings(deadline=None, max_examples=200)
@given(
    events=st.lists(_EVENT, max_size=6),
    comments=st.lists(_LINE_TEXT, max_size=3),
    data=st.data(),
)
def test_generated_sse(
    events: list[tuple[str | None, list[str]]], comments: list[str], data: st.DataObject
) -> None:
    """Unicode that str.splitlines() would split (U+2028, U+0085, \\x0b, \\x1c) stays in."""
    lines: list[str] = [":" + c for c in comments]
    for name, datas in events:
        if name is not None:
            lines.append("event: " + name)
        lines.extend("data: " + d for d in datas)
        lines.append("")
    ends = data.draw(
        st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines))
    )
    for i in range(1, len(lines)):
        if ends[i - 1] == "\r" and not lines[i] and ends[i] == "\n":
            ends[i] = "\r\n"  # CR then LF would be one line end: the blank line would vanish
    raw = "".join(line + end for line, end in zip(lines, ends, strict=True)).encode()
    expected = [Frame(name, "\n".join(datas)) for name, datas in events]
    assert feed_in_pieces(raw, "sse", data.draw(cut_points(raw), label="cuts")) == expected


@settings(deadline=None, max_examples=150)
@given(
    values=st.lists(st.dictionaries(_LINE_TEXT, _LINE_TEXT, max_size=3), max_size=6),
    data=st.data(),
)
def test_generated_ndjson(values: list[dict[str, str]], data: st.DataObject) -> None:
    lines = [json.dumps(v, ensure_ascii=False) for v in values]
    ends = data.draw(
        st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines))
    )
    raw = "".join(line + end for line, end in zip(lines, ends, strict=True)).encode()
    got = feed_in_pieces(raw, "ndjson", data.draw(cut_points(raw), label="cuts"))
    assert [json.loads(f.data) for f in got] == values


# ---- examples ------------------------------------------------------------------------------


def sse(text: bytes) -> list[Frame]:
    return frames_of(text, "sse")


def test_comments_are_skipped() -> None:
    assert sse(b": hello\ndata: x\n: between\n\n:\n\n") == [Frame(None, "x")]
    # The recorded OpenRouter stream: keep-alive comments, then chunks and [DONE].
    raw = body("openrouter", "stream-text-processing-comments", "lf")
    assert b": OPENROUTER PROCESSING" in raw
    frames = sse(raw)
    assert len(frames) == raw.count(b"\ndata: ") + raw.startswith(b"data: ")
    assert frames[-1] == Frame(None, "[DONE]")
    assert not any("OPENROUTER" in f.data for f in frames)


def test_multi_line_data_is_joined_with_newline() -> None:
    assert sse(b"data: a\ndata: b\ndata:\ndata: c\n\n") == [Frame(None, "a\nb\n\nc")]


def test_only_one_space_after_the_colon_is_dropped() -> None:
    assert sse(b"data:x\n\ndata:  y\n\n") == [Frame(None, "x"), Frame(None, " y")]


def test_a_field_without_colon_has_an_empty_value() -> None:
    assert sse(b"data\n\n") == [Frame(None, "")]


def test_event_names_are_kept_and_reset_after_each_event() -> None:
    assert sse(b"event: ping\ndata: {}\n\ndata: 1\n\n") == [
        Frame("ping", "{}"),
        Frame(None, "1"),
    ]
    frames = sse(body("anthropic", "stream-text-basic", "lf"))
    assert [f.event for f in frames] == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


def test_unknown_fields_id_and_retry_are_ignored() -> None:
    assert sse(b"id: 7\nretry: 100\nfoo: bar\ndata: x\n\n") == [Frame(None, "x")]


def test_an_event_without_data_is_not_delivered() -> None:
    assert sse(b"event: ping\n\n") == []


def test_last_event_without_trailing_blank_line_is_delivered() -> None:
    assert sse(b"data: a\n\nevent: last\ndata: b") == [Frame(None, "a"), Frame("last", "b")]
    assert sse(b"data: a\n") == [Frame(None, "a")]
    assert sse(b"data: a\r") == [Frame(None, "a")]
    assert frames_of(b'{"a":1}\n{"b":2}', "ndjson") == [
        Frame(None, '{"a":1}'),
        Frame(None, '{"b":2}'),
    ]


def test_line_ends_split_across_chunks() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\n") == []  # CR and LF are one line end, not two
    assert parser.feed(b"\r") == []
    assert parser.feed(b"\n") == [Frame(None, "a")]
    assert parser.feed(b"data: b\r") == []
    assert parser.feed(b"\r") == []  # two CRs: the second may still be followed by LF
    assert parser.close() == [Frame(None, "b")]


def test_ndjson_skips_blank_lines() -> None:
    assert frames_of(b'\n{"a":1}\n\n  \r\n{"b":2}\n\n', "ndjson") == [
        Frame(None, '{"a":1}'),
        Frame(None, '{"b":2}'),
    ]


def test_a_leading_byte_order_mark_is_dropped() -> None:
    for cut in range(5):
        raw = "\ufeffdata: x\n\n".encode()
        assert feed_in_pieces(raw, "sse", [cut]) == [Frame(None, "x")]
        raw = '\ufeff{"a":1}\n'.encode()
        assert feed_in_pieces(raw, "ndjson", [cut]) == [Frame(None, '{"a":1}')]
    # Only at the very start: elsewhere U+FEFF is text.
    assert sse("data: \ufeffx\n\n".encode()) == [Frame(None, "\ufeffx")]


@pytest.mark.parametrize("parser_type", [SSEParser, NDJSONParser])
@pytest.mark.parametrize(
    "raw",
    [
        b"data: \xff\n\n",  # never valid in UTF-8
        b"data: \xc3\x28\n\n",  # a lead byte without its continuation
        b"data: \xed\xa0\x80\n\n",  # an encoded surrogate
        b"data: \xf0\x9f\xa6",  # the body ends inside a character
    ],
)
def test_invalid_utf8_raises_decode_error(parser_type: type, raw: bytes) -> None:
    parser = parser_type()
    with pytest.raises(DecodeError, match="not valid UTF-8"):
        parser.feed(raw)
        parser.close()
