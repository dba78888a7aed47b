"""A bounded randomized soak (tests/soak.py): 150 seeded runs of `llmcli complete`
against drawn faults in every provider's wire shape, a few of them as real processes.

`bench/soak.py --runs 1000` is the full soak; this one keeps the same zero counts in the
suite. A failure names the seed and the run: `python bench/soak.py --seed S --only N`
replays it alone.
"""

from __future__ import annotations

from pathlib import Path

from tests.soak import soak

SEED = 11
RUNS = 150


def test_soak_has_no_traceback_no_leaked_key_and_loses_no_answer(tmp_path: Path) -> None:
    tally = soak(RUNS, SEED, tmp_path, process_every=25)
    report = "\n".join(tally.failures[:10])
    assert tally.runs == RUNS
    assert tally.tracebacks == 0, report
    assert tally.keys_found == 0, report
    assert tally.answers_lost == 0, report
    assert tally.unexpected_codes == 0, report
    assert tally.bad_error_lines == 0, report
    assert not tally.failures, report
    # The draw reaches every kind of exit a fault can cause.
    assert {0, 1, 130} <= set(tally.codes), tally.codes
