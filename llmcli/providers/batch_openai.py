"""OpenAI's Batch API, pure: the calls to make and what their answers say.

Flow (OpenAI API reference, "Create batch" and "Upload file"; openai-openapi `Batch`,
`BatchRequestInput`, `BatchRequestOutput`; /work/shared/research/batch-apis.md §1):
upload the JSONL to `POST /v1/files` (multipart, `purpose=batch`), then `POST
/v1/batches {input_file_id, endpoint, completion_window: "24h"}` ("Currently only 24h is
supported"). Poll `GET /v1/batches/{id}`; `POST /v1/batches/{id}/cancel`; list with
`GET /v1/batches?after=&limit=` (1..100). Results: `GET /v1/files/{id}/content` of
`output_file_id` and `error_file_id`, both in the `BatchRequestOutput` line shape.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import quote, urlencode

from llmcli.errors import DecodeError
from llmcli.headers import merged
from llmcli.providers.batch_api import BatchInfo, Limits, LineOutcome, counts_of, unix_time
from llmcli.transport import Connection, HttpCall

NAME = "openai"
# "The file can contain up to 50,000 requests, and can be up to 200 MB in size"
# (API reference, Create batch: input_file_id).
LIMITS = Limits(requests=50_000, bytes=200 * 1024 * 1024)
# Batch statuses after which nothing changes (batch-apis.md §1.3: failed, completed,
# expired, cancelled; validating, in_progress, finalizing and cancelling are not).
TERMINAL = frozenset({"failed", "completed", "expired", "cancelled"})
LIST_PAGE = 100  # `limit`: 1..100, default 20


def input_line(custom_id: str, call: HttpCall, conn: Connection) -> dict[str, Any]:
    """One `BatchRequestInput`: the live call's body, sent to its endpoint's path."""
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": endpoint(call, conn),
        "body": call.json,
    }


def endpoint(call: HttpCall, conn: Connection) -> str:
    """`/v1/chat/completions` (or `/v1/completions`): the batch `endpoint` and each
    line's `url` name the API path, not the base URL a live call goes to."""
    return "/v1" + call.url[len(conn.base_url) :]


def upload_call(conn: Connection, data: bytes, boundary: str | None = None) -> HttpCall:
    """`POST /v1/files`: form fields `purpose=batch` and `file` (the JSONL)."""
    boundary = boundary or secrets.token_hex(16)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file";'
        ' filename="batch.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n'
    )
    body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    headers = merged(conn.headers, {"content-type": f"multipart/form-data; boundary={boundary}"})
    return HttpCall("POST", conn.base_url + "/files", headers, None, "json", content=body)


def file_id(body: bytes) -> str:
    """The `id` of the File object `POST /v1/files` answers."""
    return str(_object(body)["id"])


def create_call(conn: Connection, input_file_id: str, path: str) -> HttpCall:
    body = {"input_file_id": input_file_id, "endpoint": path, "completion_window": "24h"}
    return HttpCall("POST", conn.base_url + "/batches", _headers(conn), body, "json")


def retrieve_call(conn: Connection, batch_id: str) -> HttpCall:
    return HttpCall(
        "GET", f"{conn.base_url}/batches/{quote(batch_id, safe='')}", _headers(conn), None, "json"
    )


def cancel_call(conn: Connection, batch_id: str) -> HttpCall:
    url = f"{conn.base_url}/batches/{quote(batch_id, safe='')}/cancel"
    return HttpCall("POST", url, _headers(conn), None, "json")


def list_call(conn: Connection, after: str | None = None) -> HttpCall:
    query = {"limit": LIST_PAGE, **({"after": after} if after else {})}
    return HttpCall(
        "GET", f"{conn.base_url}/batches?{urlencode(query)}", _headers(conn), None, "json"
    )


def results_calls(conn: Connection, info: BatchInfo) -> list[HttpCall]:
    """The output file, then the error file (either may be absent)."""
    return [
        HttpCall(
            "GET",
            f"{conn.base_url}/files/{quote(f, safe='')}/content",
            conn.headers,
            None,
            "ndjson",
        )
        for f in info.sources
    ]


def batch_info(body: bytes | dict[str, Any]) -> BatchInfo:
    data = _object(body) if isinstance(body, bytes) else body
    errors = (data.get("errors") or {}).get("data") or []
    return BatchInfo(
        id=str(data["id"]),
        provider=NAME,
        state=str(data.get("status")),
        ended=data.get("status") in TERMINAL,
        counts=counts_of(data.get("request_counts")),
        created_at=unix_time(data.get("created_at")),
        expires_at=unix_time(data.get("expires_at")),
        sources=[f for f in (data.get("output_file_id"), data.get("error_file_id")) if f],
        errors=[f"{e.get('code')}: {e.get('message')}" for e in errors if isinstance(e, dict)],
    )


def list_page(body: bytes) -> tuple[list[BatchInfo], str | None]:
    """One page of `GET /v1/batches` and the `after` of the next (None: the last)."""
    data = _object(body)
    batches = [batch_info(b) for b in data.get("data") or [] if isinstance(b, dict)]
    more = data.get("has_more") and batches
    return batches, (batches[-1].id if more else None)


def result_line(text: str) -> LineOutcome:
    """One `BatchRequestOutput`: `response` ({status_code, body}) when the call was made
    (an HTTP error too: it is in the error file with its status), else `error` ({code,
    message}: batch_expired, batch_cancelled, request_timeout)."""
    data = _object(text.encode())
    outcome = LineOutcome(str(data.get("custom_id")))
    response = data.get("response")
    if isinstance(response, dict):
        outcome.status = int(response.get("status_code") or 0)
        outcome.body = json.dumps(response.get("body")).encode()
        return outcome
    error = data.get("error") or {}
    outcome.kind = str(error.get("code") or "batch_error")
    outcome.message = str(error.get("message") or "")
    return outcome


def _headers(conn: Connection) -> dict[str, str]:
    return merged({"content-type": "application/json"}, conn.headers)


def _object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DecodeError("openai: a batch answer that is not a JSON object")
    return data
