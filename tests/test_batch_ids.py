"""The custom_id store of `batch run`/`submit`/`fetch`: a few bytes an id, and exact even
when two ids share a digest (the digest is forced to collide here)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from llmcli.batch import ids, lines, logbook, output
from llmcli.batch.ids import IdTable, digest


def test_an_id_costs_a_few_bytes_however_many():
    """A `set[str]` of 100,000 ids costs some 10 MB; the table stays under 25 bytes an
    id (8-byte digests, at most 2/3 full, doubling)."""
    table = IdTable()
    for n in range(100_000):
        assert table.add(digest(f"request-{n}"))
    assert len(table) == 100_000
    assert table.nbytes / len(table) <= 25
    assert all(digest(f"request-{n}") in table for n in range(0, 100_000, 997))
    assert digest("request-100000") not in table
    assert not table.add(digest("request-5"))  # already there


def test_values_survive_growth():
    table = IdTable(values=True, capacity=8)
    for n in range(1000):
        table.add(digest(str(n)), n * 10)
    assert [table.get(digest(str(n))) for n in (0, 1, 999)] == [0, 10, 9990]
    assert table.get(digest("x")) is None


@pytest.fixture
def colliding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every id whose text starts with `x` shares one digest: a collision made certain."""
    real = ids.digest

    def fake(custom_id: str) -> int:
        return 42 if custom_id.startswith("x") else real(custom_id)

    for module in (ids, lines, logbook, output):
        monkeypatch.setattr(module, "digest", fake)


def _input(*rows: dict[str, object]) -> io.StringIO:
    return io.StringIO("".join(json.dumps(r) + "\n" for r in rows))


def test_a_digest_collision_is_not_a_repeat(colliding: None):
    data = _input(
        {"custom_id": "x1", "prompt": "a"},
        {"custom_id": "x2", "prompt": "b"},
        {"custom_id": "y", "prompt": "c"},
        {"custom_id": "x1", "prompt": "d"},
    )
    problems, valid, skip = lines.check_all(data, frozenset())
    assert problems == ["line 4: custom_id 'x1' repeats line 1"]
    assert valid == 3 and skip == {4}
    assert [i.custom_id for i in lines.items(data, frozenset(), skip)] == ["x1", "x2", "y"]


def test_repeats_are_reported_in_line_order_with_other_problems():
    data = _input(
        {"custom_id": "a", "prompt": "1"},
        {"custom_id": "a", "prompt": "2"},
        {"custom_id": "b"},
        {"custom_id": "a", "prompt": "3"},
    )
    problems, valid, skip = lines.check_all(data, frozenset())
    assert problems == [
        "line 2: custom_id 'a' repeats line 1",
        'line 3: no prompt: give "prompt" or "messages"',
        "line 4: custom_id 'a' repeats line 1",
    ]
    assert valid == 1 and skip == {2, 3, 4}


def test_resume_confirms_a_digest_hit_against_the_line(colliding: None, tmp_path: Path):
    out = tmp_path / "out.jsonl"
    rows = [
        {"custom_id": "x1", "result": {}, "error": None},
        {"custom_id": "x2", "result": {}, "error": None},
    ]
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = output.resume(out, fresh=False)
    assert "x1" in done and "x2" in done  # x2's digest points at x1's line: found anyway
    assert "x3" not in done  # same digest, never answered: it is sent, not skipped
    assert "y" not in done


def test_the_input_index_finds_each_line_despite_a_shared_digest(colliding: None, tmp_path: Path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(
            json.dumps(r) + "\n"
            for r in (
                {"custom_id": "x1", "prompt": "first"},
                {"prompt": "no id: line 2"},
                {"custom_id": "x2", "prompt": "second"},
            )
        )
    )
    index = logbook.InputIndex(src, frozenset())
    assert index.messages("x1")[0].text == "first"
    assert index.messages("x2")[0].text == "second"
    assert index.messages("2")[0].text == "no id: line 2"
    assert "not found" in index.messages("x3")[0].text


def _peak(run: Callable[[], None]) -> int:
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _check_and_send(count: int, tmp_path: Path) -> Callable[[], None]:
    """What `batch run` keeps across the input: the check, the items, the resume."""
    src, out = tmp_path / f"in{count}.jsonl", tmp_path / f"out{count}.jsonl"
    with src.open("w") as file:
        for n in range(count):
            file.write(json.dumps({"custom_id": f"request-{n:06}", "prompt": "p"}) + "\n")
    with out.open("w") as file:  # the first half already answered
        for n in range(count // 2):
            file.write(json.dumps({"custom_id": f"request-{n:06}", "result": {}}) + "\n")

    def run() -> None:
        with src.open() as data:
            _, _, skip = lines.check_all(data, frozenset())
            done = output.resume(out, fresh=False)
            items = lines.items(data, frozenset(), skip)
            sent = sum(1 for item in items if item.custom_id not in done)
            assert sent == count - count // 2

    return run


def test_memory_is_flat_in_the_number_of_lines(tmp_path: Path):
    """20,000 lines may hold at most 40 bytes a line more than 2,000 (the digests); ids
    kept as strings in sets and dicts took some 200 bytes a line."""
    small = _peak(_check_and_send(2_000, tmp_path))
    large = _peak(_check_and_send(20_000, tmp_path))
    assert (large - small) / 18_000 <= 40, (small, large)
