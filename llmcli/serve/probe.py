"""`GET /health?probe=1`: one tiny call per configured deployment, each one's status and
latency. Opt-in, behind the master key, and never part of a plain liveness check.

LiteLLM's proxy does this on `GET /health` itself (https://docs.litellm.ai/docs/proxy/
health: "makes actual API calls", needs the key; `?model=NAME` probes one model); here
`/health` stays the free liveness check the issue asks for, so the probe is asked for
with `probe=1` (or LiteLLM's `model=NAME`). The answer has LiteLLM's keys:
`healthy_endpoints`, `unhealthy_endpoints`, `healthy_count`, `unhealthy_count`.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, cast

from llmcli.errors import LlmcliError
from llmcli.gateway import openai_in
from llmcli.request import EmbedRequest

if TYPE_CHECKING:
    from llmcli.atransport import AsyncTransport
    from llmcli.providers.base import Embedder
    from llmcli.serve.router import Deployment, Router
    from llmcli.transport import HttpCall

# One probe may not hold the answer longer than this (LiteLLM's HEALTH_CHECK_TIMEOUT_SECONDS
# is 60; a probe that slow is an answer in itself).
PROBE_TIMEOUT = 20.0
PROMPT = "ping"


def wanted(params: Any) -> tuple[bool, str | None]:
    """(probe?, only this model name) from the query string."""
    only = params.get("model") or None
    return bool(only) or params.get("probe") in ("1", "true", "yes"), only


def targets(router: Router, only: str | None) -> list[Deployment]:
    """Every configured deployment, or those of one name (a 404 for a name not served);
    with no config only a name asked for (any PROVIDER/MODEL is routable: none is
    configured to probe)."""
    if only is not None:
        return list(router.group(only))
    return [] if router.open else [dep for name in router.names for dep in router.groups[name]]


async def probe_all(transport: AsyncTransport, deps: list[Deployment]) -> dict[str, Any]:
    found = await asyncio.gather(*(probe_one(transport, dep) for dep in deps))
    healthy = [f for f in found if "error" not in f]
    unhealthy = [f for f in found if "error" in f]
    return {
        "healthy_endpoints": healthy,
        "unhealthy_endpoints": unhealthy,
        "healthy_count": len(healthy),
        "unhealthy_count": len(unhealthy),
    }


async def probe_one(transport: AsyncTransport, dep: Deployment) -> dict[str, Any]:
    """One call outside the router: no failover, no cooldown, no history record."""
    entry: dict[str, Any] = {
        "model": dep.name,
        "deployment": dep.id,
        "provider": dep.provider,
        "upstream_model": dep.model,
    }
    started = time.perf_counter()
    try:
        status = await asyncio.wait_for(_call(transport, dep), PROBE_TIMEOUT)
        if status >= 400:
            entry["error"] = f"HTTP {status}"
        entry["status"] = status
    except TimeoutError:
        entry["error"] = f"no answer within {PROBE_TIMEOUT:.0f} s"
    except (LlmcliError, OSError) as err:
        entry["error"] = _clean(str(err), dep)
    entry["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return entry


async def _call(transport: AsyncTransport, dep: Deployment) -> int:
    call = _encoded(dep)
    async with transport.open(call, dep.policy, retryable=lambda _status, _body: False) as answer:
        await answer.read()
        return answer.status_code


def _encoded(dep: Deployment) -> HttpCall:
    """An embedding model gets one input embedded; any other a one-token chat answer.
    Image models are asked for text too: an image would cost far more than a probe."""
    from llmcli.catalog import lookup

    entry = lookup(dep.provider, dep.model)
    if entry is not None and entry.capabilities == frozenset({"embeddings"}) and dep.spec.embeds:
        embedder = cast("Embedder", dep.module)
        asked = EmbedRequest(dep.provider, dep.model, [PROMPT])
        return embedder.encode_embed(asked, dep.connection)
    # Read as a client's body is (llmcli.gateway.openai_in), so the probe is what a
    # served request would be for this deployment.
    body = {
        "model": dep.name,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_completion_tokens": 1,
    }
    req = openai_in.chat_call(body, provider=dep.provider, model=dep.model, model_name=dep.name)
    return dep.module.encode(req.request, dep.connection)


def _clean(message: str, dep: Deployment) -> str:
    """No key in the answer, whatever an error quoted."""
    from llmcli.redact import redact_text

    return " ".join(redact_text(message, dep.policy.secrets).split())[:300]
