"""One served call as the log, the metrics and the history see it (`Call`), and its
history record, marked `serve` in the `source` column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmcli.engine import redacted_request
from llmcli.events import Result
from llmcli.policy import Policy
from llmcli.request import Message, TextPart

if TYPE_CHECKING:
    from llmcli.history import History
    from llmcli.serve.router import Deployment
    from llmcli.transport import HttpCall


@dataclass
class Call:
    """One served request, as the log, the metrics and the history see it."""

    route: str
    id: str = ""  # the x-request-id answered
    model_name: str = ""
    provider: str = ""
    model: str = ""
    deployment: str = ""
    status: int = 200
    started: float = 0.0  # time.perf_counter() when the request arrived
    latency: float = 0.0  # seconds
    ttft: float | None = None
    result: Result | None = None
    # The wire request and its deployment's policy (the keys to redact): redacted by the
    # history thread, off the event loop.
    wire: tuple[HttpCall, Policy] | None = None
    prompt: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # What the provider could not take as asked (the x-llmcli-warnings header's lines).
    warnings: list[str] = field(default_factory=list)
    model_id: str = ""  # the id the provider takes (the catalog's)

    def attempt(self, dep: Deployment, wire: HttpCall) -> None:
        """The deployment now tried (the last one is what the log and history name)."""
        self.provider, self.model, self.deployment = dep.provider, dep.full_name, dep.id
        self.model_id = dep.model
        self.wire = (wire, dep.policy)

    def failed(self, message: str) -> None:
        """An error answered after an upstream was tried (its 4xx, failover exhausted):
        recorded too, with the request sent. Nothing tried, nothing to record."""
        if self.result is None and self.wire is not None:
            self.result = Result(self.provider, self.model_id, finish_reason="error", error=message)


def write(history: History, call: Call) -> None:
    result = call.result
    if result is None:
        return
    if call.wire is not None:
        result.request = redacted_request(*call.wire)
    messages = call.extra.get("messages") or [Message(role="user", parts=[TextPart(text="")])]
    history.save(
        None,
        messages,
        result,
        model=call.model_name,
        latency_ms=round(call.latency * 1000),
        ttft_ms=round(call.ttft * 1000) if call.ttft is not None else None,
        source="serve",
        deployment=call.deployment,
        status=call.status,
    )
