"""`batch run` reads the rate-limit headers: an exhausted limit holds new requests
until its reset (batch-apis.md §3)."""

from __future__ import annotations

import datetime as dt
import json
import re

from llmcli.batch.ratelimit import pause_for
from tests.batch_mock import ChatMock

NOW = dt.datetime(2025, 8, 21, 12, 40, 0, tzinfo=dt.timezone.utc)


def test_openai_reset_is_a_duration_of_the_exhausted_limit():
    headers = {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "0m2.5s",
        "x-ratelimit-remaining-tokens": "100",
        "x-ratelimit-reset-tokens": "6m0s",  # not exhausted: not waited for
    }
    assert pause_for(headers) == 2.5
    assert (
        pause_for({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "12ms"})
        == 0.012
    )


def test_anthropic_reset_is_an_instant_and_the_longest_exhausted_wins():
    headers = {
        "anthropic-ratelimit-input-tokens-remaining": "0",
        "anthropic-ratelimit-input-tokens-reset": "2025-08-21T12:40:05Z",
        "anthropic-ratelimit-output-tokens-remaining": "0",
        "anthropic-ratelimit-output-tokens-reset": "2025-08-21T12:40:09Z",
        "anthropic-ratelimit-requests-remaining": "49",
        "anthropic-ratelimit-requests-reset": "2025-08-21T12:40:30Z",
    }
    assert pause_for(headers, NOW) == 9.0


def test_nothing_exhausted_or_unreadable_means_no_pause():
    assert pause_for({}) == 0
    assert (
        pause_for({"x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-requests": "9s"}) == 0
    )
    assert (
        pause_for({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "soon"})
        == 0
    )
    assert (
        pause_for(
            {
                "anthropic-ratelimit-requests-remaining": "0",
                "anthropic-ratelimit-requests-reset": "2000-01-01T00:00:00Z",
            }
        )
        == 0
    )
    assert (
        pause_for({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2h"}) == 60
    )


def test_an_exhausted_limit_holds_the_next_requests(llmcli, tmp_path):
    mock = ChatMock()
    mock.success_headers = {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "400ms",
    }
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"prompt": f"r{n}"}) + "\n" for n in range(3)))
    try:
        run = llmcli(
            "batch",
            "run",
            str(src),
            "--output",
            str(tmp_path / "out.jsonl"),
            "-m",
            "openai/gpt-4o-mini",
            "--api-base",
            mock.url + "/v1",
            "-j",
            "1",
        )
    finally:
        mock.stop()
    assert run.code == 0, run.stderr
    # Each answer says the limit is spent for 400 ms: one at a time, three requests wait twice.
    seconds = float(re.search(r"\$[\d.]+, ([\d.]+)s", run.stderr).group(1))
    assert seconds >= 0.75
    assert "3 done, 0 failed" in run.stderr
