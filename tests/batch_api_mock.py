"""A loopback mock of the providers' Batch APIs: OpenAI files + batches, Anthropic message
batches. No recording of these APIs exists in the corpus: the shapes are built from their
documentation (OpenAI API reference "Create batch", "Upload file", `Batch`,
`BatchRequestOutput`; Claude API reference "Message Batches": create, retrieve, list,
cancel, results; /work/shared/research/batch-apis.md), not from captured traffic.

Each retrieve moves a batch one step along its documented lifecycle (OpenAI `validating →
in_progress → finalizing → completed`; Anthropic `in_progress → ended`), so polling ends.
Requests are answered as tests/batch_mock.py's live mock answers them (`echo: <prompt>`,
400 for a prompt starting with `bad`); a prompt starting with `expire` is never run (the
batch expired first), and `cancel` ends a batch with the unrun requests canceled.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.batch_mock import answer
from tests.servers import LoopbackServer

OPENAI_STEPS = ("validating", "in_progress", "finalizing", "completed")
CREATED = 1_780_000_000  # a fixed clock: Unix seconds (OpenAI), RFC 3339 (Anthropic)


def _prompt(body: dict[str, Any]) -> str:
    text = body["messages"][-1]["content"]
    return text if isinstance(text, str) else "".join(b["text"] for b in text)


class BatchApiMock(LoopbackServer):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, bytes] = {}  # id → content
        self.uploads: list[dict[str, Any]] = []  # {purpose, filename, lines}
        self.creates: list[dict[str, Any]] = []  # create bodies as received
        self.calls: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers
        self.openai: dict[str, dict[str, Any]] = {}
        self.anthropic: dict[str, dict[str, Any]] = {}
        self.requests: dict[str, list[dict[str, Any]]] = {}  # batch id → [{custom_id, body}]
        self.cut_results_after: int | None = None  # drop the connection mid-results once
        self.frozen = False  # True: a retrieve does not move the batch along
        # OpenAI's validation refusing the input whole: the batch goes `failed` with
        # these as `errors.data[]` ({code, line, message, param}: OpenAI's `Batch` object).
        self.refuse: list[dict[str, Any]] = []
        self._listen(self._handler())
        self.start()

    # ---- OpenAI ------------------------------------------------------------------------

    def upload(self, content_type: str, data: bytes) -> tuple[int, Any]:
        boundary = content_type.split("boundary=")[1].encode()
        fields: dict[str, Any] = {}
        for chunk in data.split(b"--" + boundary)[1:-1]:
            head, _, value = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
            name = head.split(b'name="')[1].split(b'"')[0].decode()
            fields[name] = value
            if b"filename=" in head:
                fields["filename"] = head.split(b'filename="')[1].split(b'"')[0].decode()
        with self.lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = fields["file"]
            lines = [json.loads(x) for x in fields["file"].splitlines() if x.strip()]
            self.uploads.append(
                {
                    "purpose": fields["purpose"].decode(),
                    "filename": fields.get("filename"),
                    "lines": lines,
                }
            )
        return 200, {
            "id": file_id,
            "object": "file",
            "bytes": len(fields["file"]),
            "created_at": CREATED,
            "filename": fields.get("filename"),
            "purpose": "batch",
        }

    def openai_create(self, body: dict[str, Any]) -> tuple[int, Any]:
        with self.lock:
            self.creates.append(body)
            if (
                body.get("input_file_id") not in self.files
                or body.get("completion_window") != "24h"
            ):
                return 400, {"error": {"type": "invalid_request_error", "message": "bad batch"}}
            batch_id = f"batch_{len(self.openai) + 1}"
            lines = [
                json.loads(x) for x in self.files[body["input_file_id"]].splitlines() if x.strip()
            ]
            self.requests[batch_id] = lines
            self.openai[batch_id] = {
                "id": batch_id,
                "object": "batch",
                "endpoint": body["endpoint"],
                "errors": None,
                "input_file_id": body["input_file_id"],
                "completion_window": "24h",
                "status": "validating",
                "output_file_id": None,
                "error_file_id": None,
                "created_at": CREATED,
                "expires_at": CREATED + 86400,
                "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                "metadata": None,
            }
            return 200, dict(self.openai[batch_id])

    def openai_step(self, batch_id: str, cancel: bool = False) -> tuple[int, Any]:
        with self.lock:
            batch = self.openai.get(batch_id)
            if batch is None:
                return 404, {"error": {"type": "invalid_request_error", "message": "no such batch"}}
            if cancel:
                if batch["status"] in ("validating", "in_progress"):
                    batch["status"] = "cancelling"
            elif self.frozen:
                pass
            elif batch["status"] == "cancelling":
                self._openai_results(batch, ran=False)
                batch["status"] = "cancelled"
            elif batch["status"] == "validating" and self.refuse:
                batch["status"] = "failed"
                batch["errors"] = {"object": "list", "data": self.refuse}
                batch["request_counts"] = {"total": 0, "completed": 0, "failed": 0}
            elif batch["status"] in OPENAI_STEPS[:-1]:
                batch["status"] = OPENAI_STEPS[OPENAI_STEPS.index(batch["status"]) + 1]
                if batch["status"] == "completed":
                    self._openai_results(batch, ran=True)
            return 200, dict(batch)

    def _openai_results(self, batch: dict[str, Any], ran: bool) -> None:
        out, errors = [], []
        for number, line in enumerate(self.requests[batch["id"]]):
            record: dict[str, Any] = {"id": f"batch_req_{number}", "custom_id": line["custom_id"]}
            if not ran or _prompt(line["body"]).startswith("expire"):
                code = "batch_expired" if ran else "batch_cancelled"
                record.update(
                    response=None, error={"code": code, "message": f"{code} before it ran"}
                )
                errors.append(record)
                continue
            status, body = answer("openai", line["body"])
            record.update(
                response={"status_code": status, "request_id": f"req_{number}", "body": body},
                error=None,
            )
            (out if status == 200 else errors).append(record)
        # Results are not in input order: "do not rely on it" (batch-apis.md §1).
        for records, key in ((out[::-1], "output_file_id"), (errors, "error_file_id")):
            if records:
                file_id = f"file-{len(self.files) + 1}"
                self.files[file_id] = "".join(json.dumps(r) + "\n" for r in records).encode()
                batch[key] = file_id
        batch["request_counts"].update(completed=len(out), failed=len(errors))

    def openai_list(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        with self.lock:
            batches = [dict(b) for b in reversed(self.openai.values())]
        after = query.get("after", [None])[0]
        if after:
            batches = batches[[b["id"] for b in batches].index(after) + 1 :]
        limit = int(query.get("limit", ["20"])[0])
        page = batches[:limit]
        return 200, {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(batches) > limit,
        }

    # ---- Anthropic -----------------------------------------------------------------------

    def anthropic_create(self, body: dict[str, Any]) -> tuple[int, Any]:
        with self.lock:
            self.creates.append(body)
            batch_id = f"msgbatch_{len(self.anthropic) + 1:03d}"
            self.requests[batch_id] = [
                {"custom_id": r["custom_id"], "body": r["params"]} for r in body["requests"]
            ]
            self.anthropic[batch_id] = {
                "id": batch_id,
                "type": "message_batch",
                "processing_status": "in_progress",
                "request_counts": {
                    "processing": len(body["requests"]),
                    "succeeded": 0,
                    "errored": 0,
                    "canceled": 0,
                    "expired": 0,
                },
                "ended_at": None,
                "created_at": "2026-05-28T20:26:40Z",
                "expires_at": "2026-05-29T20:26:40Z",
                "archived_at": None,
                "cancel_initiated_at": None,
                "results_url": None,
            }
            return 200, dict(self.anthropic[batch_id])

    def anthropic_step(self, batch_id: str, cancel: bool = False) -> tuple[int, Any]:
        with self.lock:
            batch = self.anthropic.get(batch_id)
            if batch is None:
                return 404, {
                    "type": "error",
                    "error": {"type": "not_found_error", "message": "no such batch"},
                }
            if cancel:
                if batch["processing_status"] == "in_progress":
                    batch["processing_status"] = "canceling"
                    batch["cancel_initiated_at"] = "2026-05-28T20:30:00Z"
            elif not self.frozen and batch["processing_status"] in ("in_progress", "canceling"):
                self._anthropic_end(batch, ran=batch["processing_status"] == "in_progress")
            return 200, dict(batch)

    def _anthropic_end(self, batch: dict[str, Any], ran: bool) -> None:
        counts = dict.fromkeys(("processing", "succeeded", "errored", "canceled", "expired"), 0)
        results = []
        for line in self.requests[batch["id"]]:
            if not ran:
                result: dict[str, Any] = {"type": "canceled"}
            elif _prompt(line["body"]).startswith("expire"):
                result = {"type": "expired"}
            else:
                status, body = answer("anthropic", line["body"])
                if status == 200:
                    result = {"type": "succeeded", "message": body}
                else:
                    error = {"type": "error", "error": body["error"], "request_id": "req_1"}
                    result = {"type": "errored", "error": error}
            counts[result["type"]] += 1
            results.append({"custom_id": line["custom_id"], "result": result})
        # "Results are not guaranteed to be in the same order as requests."
        file_id = f"results-{batch['id']}"
        self.files[file_id] = "".join(json.dumps(r) + "\n" for r in results[::-1]).encode()
        batch.update(
            processing_status="ended",
            request_counts=counts,
            ended_at="2026-05-28T21:00:00Z",
            results_url=f"{self.url}/v1/messages/batches/{batch['id']}/results",
        )

    def anthropic_list(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        with self.lock:
            batches = [dict(b) for b in reversed(self.anthropic.values())]
        after = query.get("after_id", [None])[0]
        if after:
            batches = batches[[b["id"] for b in batches].index(after) + 1 :]
        limit = int(query.get("limit", ["20"])[0])
        page = batches[:limit]
        return 200, {
            "data": page,
            "has_more": len(batches) > limit,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
        }

    # ---- routing -------------------------------------------------------------------------

    def route(
        self, method: str, path: str, headers: dict[str, str], data: bytes
    ) -> tuple[int, Any]:
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        p = parts.path.rstrip("/").split("/")[1:]  # e.g. ["v1", "batches", "batch_1", "cancel"]
        with self.lock:
            self.calls.append((method, parts.path, headers))
        if p[:2] == ["v1", "files"]:
            if method == "POST":
                return self.upload(headers["content-type"], data)
            return 200, self.files[p[2]]
        if p[:2] == ["v1", "batches"]:
            if len(p) == 2:
                return (
                    self.openai_create(json.loads(data))
                    if method == "POST"
                    else self.openai_list(query)
                )
            return self.openai_step(p[2], cancel=len(p) > 3 and p[3] == "cancel")
        if p[:3] == ["v1", "messages", "batches"]:
            if len(p) == 3:
                return (
                    self.anthropic_create(json.loads(data))
                    if method == "POST"
                    else self.anthropic_list(query)
                )
            if len(p) > 4 and p[4] == "results":
                return 200, self.files[f"results-{p[3]}"]
            return self.anthropic_step(p[3], cancel=len(p) > 4 and p[4] == "cancel")
        return 404, {"error": {"type": "not_found", "message": path}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                data = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, reply = mock.route(method, self.path, headers, data)
                raw = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                cut = isinstance(reply, bytes) and mock.cut_results_after is not None
                self.send_response(status)
                self.send_header(
                    "content-type",
                    "application/octet-stream" if isinstance(reply, bytes) else "application/json",
                )
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                if cut:
                    # A download cut short: the first lines, then the connection drops.
                    lines = raw.splitlines(keepends=True)
                    self.wfile.write(b"".join(lines[: mock.cut_results_after]))
                    mock.cut_results_after = None
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(raw)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler
