"""Drawing the soak's runs (tests/soak.py): one fault per run, from its own seeded random.

`draw(seed, number)` is deterministic: the same seed and number give the same run, so a
failure is replayed alone (`bench/soak.py --seed S --only N`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.faults import Fault
from tests.soak_shapes import KEY_PLACEHOLDER, SHAPES, Frame, Shape

WORDS = ["Hello ", "world. ", "héllo ", "日本語の ", "🙂 ", "naïve ", "line\n", "tab\t", "end."]
# Terminal control sequences: title, clear screen, OSC 52 clipboard write, colour, bidi.
CONTROLS = ["\x1b]0;pwned\x07", "\x1b[2J", "\x1b]52;c;ZXZpbA==\x07", "\x1b[31m", "\u202e", "\r"]
STATUSES = [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529]
HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\r\n"
QUICK = {"retry-after-ms": "1"}  # retries stay fast; their spacing is test_faults' business


@dataclass
class Case:
    seed: int
    number: int
    shape: Shape
    kind: str
    faults: list[Fault]
    text: str  # the answer the played stream carries
    must_have: str = ""  # text completed before the fault: must be printed and kept
    codes: frozenset[int] = frozenset({1})
    exact: bool = False  # on exit 0, the printed answer must be `text` exactly
    flags: list[str] = field(default_factory=list)
    process: bool = False

    def describe(self) -> str:
        faults = ", ".join(_fault_summary(f) for f in self.faults)
        how = "process" if self.process else "in-process"
        return (
            f"seed {self.seed} run {self.number} ({how}): {self.shape.model} {self.kind}"
            f" flags {self.flags} faults [{faults}]"
        )


def _fault_summary(fault: Fault) -> str:
    parts = [str(fault.status), f"{len(fault.body)} B"]
    for name in ("stall", "delay", "reset_after", "interrupt_after"):
        if getattr(fault, name):
            parts.append(f"{name}={getattr(fault, name)}")
    if fault.reset_before_headers:
        parts.append("reset before headers")
    return " ".join(parts)


# ---- drawing a run ---------------------------------------------------------------------


def draw(seed: int, number: int, process_every: int = 0) -> Case:
    rng = random.Random(f"{seed}:{number}")
    shape = rng.choice(SHAPES)
    words = [rng.choice(WORDS + CONTROLS) for _ in range(rng.randint(1, 12))]
    frames = shape.stream(words)
    kind = rng.choices(list(_KINDS), weights=[w for w, _ in _KINDS.values()])[0]
    case = Case(seed, number, shape, kind, [], "".join(words))
    _KINDS[kind][1](case, rng, frames)
    case.flags = _flags(case, rng)
    case.process = bool(process_every) and number % process_every == 0
    return case


def _stream(case: Case, frames: list[Frame], **how: object) -> Fault:
    body = b"".join(f.data for f in frames)
    return Fault(body=body, content_type=case.shape.content_type, **how)  # type: ignore[arg-type]


def _done_before(frames: list[Frame], offset: int) -> str:
    """The text of the frames wholly sent within `offset` bytes."""
    end, text = 0, []
    for frame in frames:
        end += len(frame.data)
        if end > offset:
            break
        text.append(frame.text)
    return "".join(text)


def _clean(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    case.faults = [_stream(case, frames, chunk=rng.choice([1, 7, 64, 4096]))]
    case.codes, case.exact, case.must_have = frozenset({0}), True, case.text


def _slow(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    case.faults = [
        _stream(case, frames, chunk=rng.randint(16, 64), delay=rng.uniform(0.001, 0.008))
    ]
    case.codes, case.exact, case.must_have = frozenset({0}), True, case.text


def _message(case: Case, rng: random.Random, size: int = 0) -> str:
    """What a server says: plain, with control sequences, echoing the key, or huge."""
    words = ["Something", "went", "wrong", *rng.sample(CONTROLS, 2), "line\nbreak"]
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), f"Incorrect API key provided: {KEY_PLACEHOLDER}.")
    text = " ".join(rng.sample(words, len(words)))
    if size:  # the key lands anywhere, also across the 500-character cut
        filler = "x" * rng.randint(0, 600)
        text = filler + text + "y" * size
    return text


def _status(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    status = rng.choice(STATUSES)
    body = rng.choices(
        [
            case.shape.error_body(status, _message(case, rng)),
            HTML,
            b"",
            b"upstream connect error or disconnect/reset before headers",
            case.shape.error_body(status, "cut")[:-5],
            json.dumps({"error": None}).encode(),
        ],
        weights=[12, 2, 1, 1, 1, 1],
    )[0]
    fault = Fault(status, body, headers=QUICK if rng.random() < 0.9 else {"retry-after": "0"})
    case.faults = [fault]
    if rng.random() < 0.5:
        case.faults.append(_stream(case, frames))  # the retry (if any) is answered
    case.codes, case.exact = frozenset({0, 1}), True


def _oversized(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    status = rng.choice([400, 413, 500])
    size = rng.randint(100_000, 2_000_000)
    case.faults = [Fault(status, case.shape.error_body(status, _message(case, rng, size)))]


def _reset_before(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    case.faults = [Fault(reset_before_headers=True)]
    if rng.random() < 0.5:
        case.faults.append(_stream(case, frames))
    case.codes, case.exact = frozenset({0, 1}), True


def _reset_after(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    body_size = sum(len(f.data) for f in frames)
    offset = rng.randint(0, body_size - 1)
    case.faults = [_stream(case, frames, reset_after=offset), _stream(case, frames)]
    case.must_have = _done_before(frames, offset)
    # Cut before any text: llmcli may retry (the second stream answers).
    case.codes, case.exact = (
        (frozenset({1}), False) if case.must_have else (frozenset({0, 1}), True)
    )


def _truncated(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    """The connection closes cleanly before the stream's terminator (or mid-frame)."""
    body = b"".join(f.data for f in frames)
    tail = sum(len(f.data) for f in frames[-case.shape.tail :])
    offset = rng.randint(0, len(body) - 1) if rng.random() < 0.5 else len(body) - tail
    case.faults = [Fault(body=body[:offset], content_type=case.shape.content_type)]
    case.must_have = _done_before(frames, offset)
    # Cut inside the terminator: some shapes already had their finish.
    case.codes = frozenset({0, 1}) if offset >= len(body) - tail else frozenset({1})


def _malformed(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    where = rng.randint(0, len(frames) - 1)
    bad = Frame(rng.choice(case.shape.garbage()))
    played = [*frames[:where], bad, *frames[where:]]
    case.faults = [_stream(case, played, chunk=rng.choice([5, 64, 4096]))]
    case.must_have = "".join(f.text for f in frames[:where])
    case.codes = frozenset({0, 1})


def _midstream_error(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    where = rng.randint(0, len(frames) - case.shape.tail)
    size = rng.choice([0, 0, 5_000])
    played = [*frames[:where], case.shape.midstream_error(_message(case, rng, size))]
    case.faults = [_stream(case, played)]
    case.must_have = "".join(f.text for f in frames[:where])


def _stall(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    """Silence longer than --timeout: before the first byte, or mid-stream."""
    if rng.random() < 0.4:
        case.faults = [_stream(case, frames, stall=0.6)]
        return
    where = rng.randint(1, len(frames) - 1)
    first = sum(len(f.data) for f in frames[:where])
    case.faults = [_stream(case, frames, chunk=first, delay=0.6)]
    case.must_have = _done_before(frames, first)


def _interrupt(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    """Ctrl-C mid-stream: what was printed must be kept (which text the client had
    shown when the signal landed is a race, so nothing more is required)."""
    where = rng.randint(1, len(frames) - case.shape.tail)
    case.faults = [_stream(case, frames, interrupt_after=sum(len(f.data) for f in frames[:where]))]
    case.codes = frozenset({130})


_Draw = Callable[[Case, random.Random, list[Frame]], None]
_KINDS: dict[str, tuple[int, _Draw]] = {
    "clean": (8, _clean),
    "slow bytes": (5, _slow),
    "status": (20, _status),
    "oversized error": (5, _oversized),
    "reset before headers": (8, _reset_before),
    "reset after headers": (14, _reset_after),
    "truncated": (10, _truncated),
    "malformed frame": (14, _malformed),
    "mid-stream error": (10, _midstream_error),
    "stall": (3, _stall),
    "interrupt": (3, _interrupt),
}


def _flags(case: Case, rng: random.Random) -> list[str]:
    flags = ["-m", case.shape.model]
    slow = case.kind == "stall"
    retries = "0" if slow else rng.choice(["0", "1", "2"])
    if case.kind == "reset before headers":
        retries = rng.choice(["0", "1"])  # each retry waits the 0.5 s backoff
    flags += ["--retries", retries, "--timeout", "0.3" if slow else "10"]
    if rng.random() < 0.3:
        flags.append("--json")
    if rng.random() < 0.1:
        flags.append("--debug")
    return flags
