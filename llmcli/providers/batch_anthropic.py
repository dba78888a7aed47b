"""Anthropic's Message Batches API, pure: the calls to make and what their answers say.

Claude API reference, "Create a Message Batch" (`POST /v1/messages/batches` with
`requests: [{custom_id, params}]`, at most 100,000 requests, `custom_id` matching
`^[a-zA-Z0-9_-]{1,64}$`), "Retrieve a Message Batch" (`GET …/{id}`, idempotent, for
polling; results at its `results_url` once `processing_status` is `ended`), "Cancel"
(`POST …/{id}/cancel`), "List" (`GET …?limit=&after_id=`), "Retrieve Message Batch
results" (JSONL, not in request order; `result.type` ∈ succeeded, errored, canceled,
expired); the batch processing guide (256 MB per create request). Collected in
/work/shared/research/batch-apis.md §2.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode

from llmcli.errors import DecodeError
from llmcli.providers.anthropic.body import encode_headers, messages_url
from llmcli.providers.batch_api import BatchInfo, Limits, LineOutcome, counts_of, unix_time
from llmcli.transport import Connection, HttpCall

NAME = "anthropic"
# 100,000 requests per batch (API reference); 256 MB per request (batch processing
# guide; above it the API answers 413 request_too_large): counted in decimal MB, the
# stricter reading.
LIMITS = Limits(requests=100_000, bytes=256 * 1000 * 1000)
CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
LIST_PAGE = 100  # `limit`: 1..1000, default 20
# The HTTP status of each error type (Claude API reference, "Errors"): a batch's errored
# result carries the error body but not the status a live call would have had.
STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def request_entry(custom_id: str, call: HttpCall) -> dict[str, Any]:
    """One entry of `requests`: the live call's body as `params`."""
    return {"custom_id": custom_id, "params": call.json}


def betas(call: HttpCall) -> list[str]:
    """The betas a live call asks for in its header: a batch sends them once, on create."""
    value = call.headers.get("anthropic-beta", "")
    return [b for b in value.split(",") if b]


def create_call(conn: Connection, entries: bytes, beta: list[str]) -> HttpCall:
    """`entries`: the JSON of each request entry, joined with commas (built line by line,
    so a 256 MB batch is not held twice)."""
    body = b'{"requests":[' + entries + b"]}"
    return HttpCall("POST", _batches(conn), encode_headers(conn, beta), None, "json", content=body)


def retrieve_call(conn: Connection, batch_id: str) -> HttpCall:
    return HttpCall(
        "GET", f"{_batches(conn)}/{quote(batch_id, safe='')}", _headers(conn), None, "json"
    )


def cancel_call(conn: Connection, batch_id: str) -> HttpCall:
    url = f"{_batches(conn)}/{quote(batch_id, safe='')}/cancel"
    return HttpCall("POST", url, _headers(conn), None, "json")


def list_call(conn: Connection, after: str | None = None) -> HttpCall:
    query = {"limit": LIST_PAGE, **({"after_id": after} if after else {})}
    return HttpCall("GET", f"{_batches(conn)}?{urlencode(query)}", _headers(conn), None, "json")


def results_calls(conn: Connection, info: BatchInfo) -> list[HttpCall]:
    """`results_url`, with the same headers ("do not assume the path": it is followed)."""
    return [HttpCall("GET", url, _headers(conn), None, "ndjson") for url in info.sources]


def batch_info(body: bytes | dict[str, Any]) -> BatchInfo:
    data = _object(body) if isinstance(body, bytes) else body
    return BatchInfo(
        id=str(data["id"]),
        provider=NAME,
        state=str(data.get("processing_status")),
        ended=data.get("processing_status") == "ended",
        counts=counts_of(data.get("request_counts")),
        created_at=unix_time(data.get("created_at")),
        expires_at=unix_time(data.get("expires_at")),
        sources=[data["results_url"]] if data.get("results_url") else [],
    )


def list_page(body: bytes) -> tuple[list[BatchInfo], str | None]:
    """One page of the list and the `after_id` of the next (None: the last)."""
    data = _object(body)
    batches = [batch_info(b) for b in data.get("data") or [] if isinstance(b, dict)]
    last = data.get("last_id")
    return batches, (str(last) if data.get("has_more") and last else None)


def result_line(text: str) -> LineOutcome:
    """`{custom_id, result: {type, message | error}}`; an errored result's `error` is a
    whole error response (`{"type": "error", "error": {type, message}}`)."""
    data = _object(text.encode())
    outcome = LineOutcome(str(data.get("custom_id")))
    result = data.get("result") or {}
    kind = result.get("type")
    if kind == "succeeded":
        outcome.status, outcome.body = 200, json.dumps(result.get("message")).encode()
    elif kind == "errored":
        error = result.get("error") or {}
        inner = error.get("error")
        kind = inner.get("type") if isinstance(inner, dict) else None
        outcome.status = STATUS.get(str(kind), 0)
        outcome.body = json.dumps(error).encode()
    else:  # canceled, expired
        outcome.kind = str(kind)
    return outcome


def _batches(conn: Connection) -> str:
    return messages_url(conn.base_url) + "/batches"


def _headers(conn: Connection) -> dict[str, str]:
    return encode_headers(conn, [])


def _object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DecodeError("anthropic: a batch answer that is not a JSON object")
    return data
