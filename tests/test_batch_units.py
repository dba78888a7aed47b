"""The pieces of `batch run` alone: limiter, budget, progress line, output resume."""

from __future__ import annotations

import io
import json

from llmcli.batch.output import resume
from llmcli.batch.pool import Budget, Limiter
from llmcli.batch.progress import Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_limiter_halves_on_a_retry_and_climbs_back_after_successes():
    now = [0.0]
    limiter = Limiter(8, clock=lambda: now[0])
    limiter.backoff(1.0)
    limiter.backoff(1.0)  # the same pause: halved once
    assert limiter.limit == 4 and limiter.lowest == 4
    now[0] = 2.0
    for _ in range(24):  # about one step up per `limit` successes
        limiter.acquire()
        limiter.release(ok=True)
    assert 7 <= limiter.limit <= 8


def test_budget_counts_what_is_in_flight():
    budget = Budget(1.0)
    assert budget.reserve(0.4) and budget.reserve(0.4)
    assert not budget.reserve(0.4) and budget.stopped
    budget.settle(0.4, 0.1)
    assert budget.reserve(0.4)


def test_progress_draws_on_a_terminal_only():
    now = [0.0]
    tty = Tty()
    progress = Progress(tty, 10, clock=lambda: now[0])
    now[0] = 2.0
    progress.update(3, 1, 2, 1500, 0.25)
    assert "6/10 (1 failed)  2.0/s  1,500 tokens  $0.2500  ETA 2s" in tty.getvalue()
    plain = io.StringIO()
    Progress(plain, 10).update(3, 1, 2, 1500, 0.25)
    assert plain.getvalue() == ""


def test_resume_keeps_answered_ids_and_cuts_a_torn_line(tmp_path):
    out = tmp_path / "out.jsonl"
    good = json.dumps({"custom_id": "a", "result": {}, "error": None}) + "\n"
    bad = json.dumps({"custom_id": "b", "result": None, "error": {}}) + "\n"
    out.write_text(good + bad + '{"custom_id": "c", "res')
    done = resume(out, fresh=False)
    assert len(done) == 1 and "a" in done and "b" not in done and "c" not in done
    assert out.read_text() == good + bad
    assert len(resume(out, fresh=True)) == 0 and out.read_text() == ""


def test_tpm_spaces_starts_by_their_tokens():
    now = [0.0]
    limiter = Limiter(4, tpm=6000, clock=lambda: now[0])
    limiter.acquire(tokens=1000)  # 1000 of 6000 a minute: the next one 10 s later
    assert limiter.next_start == 10.0
    limiter.release(ok=True)
    now[0] = 10.0
    limiter.acquire(tokens=500)
    assert limiter.next_start == 15.0
