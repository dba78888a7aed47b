"""The pure Batch API modules (providers/batch_openai.py, batch_anthropic.py) and the
submit planner, on shapes taken from the providers' documentation (batch-apis.md)."""

from __future__ import annotations

import email.parser
import email.policy
import json

from llmcli.batch.collect import output_line
from llmcli.batch.submit import Encoded, Problems, plan
from llmcli.providers import anthropic, batch_anthropic, batch_openai
from llmcli.providers import openai as openai_chat
from llmcli.providers.batch_api import Limits
from llmcli.transport import Connection, HttpCall

OPENAI = Connection(base_url="https://api.openai.com/v1", headers={"Authorization": "Bearer k"})
ANTHROPIC = Connection(base_url="https://api.anthropic.com", headers={"x-api-key": "k"})


def test_openai_upload_is_a_multipart_form_with_purpose_batch():
    call = batch_openai.upload_call(OPENAI, b'{"custom_id": "a"}\n')
    assert (call.method, call.url, call.json) == ("POST", "https://api.openai.com/v1/files", None)
    head = f"Content-Type: {call.headers['content-type']}\r\n\r\n".encode()
    form = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + call.content)
    fields = {
        part.get_param("name", header="content-disposition"): part for part in form.iter_parts()
    }
    assert fields["purpose"].get_content() == "batch"
    assert fields["file"].get_filename() == "batch.jsonl"
    assert fields["file"].get_payload(decode=True) == b'{"custom_id": "a"}\n'
    assert call.headers["Authorization"] == "Bearer k"


def test_openai_batch_object_and_result_lines():
    info = batch_openai.batch_info(
        {
            "id": "batch_1", "status": "completed", "created_at": 1714508499,
            "expires_at": 1714536634, "output_file_id": "file-o", "error_file_id": None,
            "request_counts": {"total": 3, "completed": 2, "failed": 1},
        }
    )  # fmt: skip
    assert (info.ended, info.sources, info.finished, info.total) == (True, ["file-o"], 3, 3)
    assert info.expires_at == 1714536634.0
    ok = batch_openai.result_line(
        '{"id": "batch_req_1", "custom_id": "a", "response": {"status_code": 200,'
        ' "request_id": "r", "body": {"choices": []}}, "error": null}'
    )
    assert (ok.custom_id, ok.status, json.loads(ok.body or b"")) == ("a", 200, {"choices": []})
    late = batch_openai.result_line(
        '{"custom_id": "b", "response": null, "error": {"code": "batch_expired", "message": "x"}}'
    )
    assert (late.kind, late.body) == ("batch_expired", None)


def test_anthropic_result_lines_of_every_type():
    lines = {
        "ok": {"type": "succeeded", "message": {"content": []}},
        "err": {
            "type": "errored",
            "error": {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
        },
        "odd": {"type": "errored", "error": {"type": "error", "error": {"type": "new_kind"}}},
        "gone": {"type": "expired"},
    }
    got = {
        k: batch_anthropic.result_line(json.dumps({"custom_id": k, "result": v}))
        for k, v in lines.items()
    }
    assert got["ok"].status == 200
    assert got["err"].status == 529  # overloaded_error, as the errors page numbers it
    assert got["odd"].status == 0
    assert got["gone"].kind == "expired"
    # Decoded by the live decoder: the error line names its type, no status when unknown.
    line, _ = output_line(got["odd"], anthropic, "anthropic", "claude-sonnet-4-5")
    assert line["error"]["status"] is None and line["error"]["type"] == "new_kind"
    line, _ = output_line(got["gone"], anthropic, "anthropic", "claude-sonnet-4-5")
    assert line["error"] == {
        "type": "expired",
        "status": None,
        "message": "anthropic: the batch expired before this request ran",
    }


def test_anthropic_batch_urls_and_rfc3339_times():
    info = batch_anthropic.batch_info(
        {
            "id": "msgbatch_1", "processing_status": "in_progress",
            "created_at": "2024-09-24T18:37:24.100435Z", "expires_at": "2024-09-25T18:37:24Z",
            "request_counts": {"processing": 4, "succeeded": 0, "errored": 0,
                               "canceled": 0, "expired": 0},
            "results_url": None,
        }
    )  # fmt: skip
    assert (info.ended, info.total, info.finished, info.sources) == (False, 4, 0, [])
    assert info.expires_at is not None and info.created_at is not None
    assert info.expires_at - info.created_at > 86399
    cancel = batch_anthropic.cancel_call(ANTHROPIC, "msgbatch_1")
    assert cancel.url == "https://api.anthropic.com/v1/messages/batches/msgbatch_1/cancel"
    listing = batch_anthropic.list_call(ANTHROPIC, "msgbatch_0")
    assert listing.url.endswith("/v1/messages/batches?limit=100&after_id=msgbatch_0")


def _encoded(n: int, text: str = "hi", model: str = "gpt-4o-mini") -> Encoded:
    call = HttpCall(
        "POST", OPENAI.base_url + "/chat/completions", {}, {"model": model, "m": text}, "json"
    )
    return Encoded(f"t{n}", n, "openai", model, call, OPENAI)


def test_plan_cuts_at_the_byte_limit_and_refuses_a_line_too_big_alone():
    lines = [_encoded(n) for n in range(1, 6)]
    size = len(json.dumps(batch_openai.input_line("t1", lines[0].call, OPENAI))) + 1
    built = plan(lines, Limits(requests=100, bytes=2 * size + 64))
    try:
        assert [p.count for p in built.parts] == [2, 2, 1]
        assert built.endpoint == "/v1/chat/completions"
        first = [json.loads(x) for x in built.parts[0].data().splitlines()]
        assert [x["custom_id"] for x in first] == ["t1", "t2"]
    finally:
        built.close()
    try:
        plan([*lines, _encoded(6, "x" * 500)], Limits(requests=100, bytes=2 * size + 64))
    except Problems as err:
        assert len(err.problems) == 1 and err.problems[0].startswith("line 6:")
    else:
        raise AssertionError("not refused")


def test_openai_chat_decoder_reads_a_batch_body():
    body = {"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}], "usage": {}}
    outcome = batch_openai.result_line(
        json.dumps({"custom_id": "a", "response": {"status_code": 200, "body": body}})
    )
    line, result = output_line(outcome, openai_chat, "openai", "gpt-4o-mini")
    assert result is not None and line["result"]["content"] == "hi"
