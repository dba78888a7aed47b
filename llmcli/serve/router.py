"""Which deployment serves a model name: spread, cooldown, fallbacks.

Several config entries with one `model_name` are deployments of one model. A request
tries them in the strategy's order (simple-shuffle: random, weighted by `rpm`; least-busy:
fewest in flight), skipping cooled-down ones while any other is up; a deployment that
failed with a 429, a 5xx or a connection failure is cooled down for `cooldown` seconds.
When every deployment of a name failed, the config's `fallbacks` name the next ones.

Without a config, any `PROVIDER/MODEL` the CLI accepts is a name with one deployment,
its key and base from the server's environment, keys file and llmcli config.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llmcli.errors import LlmcliError
from llmcli.gateway.errors import GatewayError
from llmcli.policy import Policy
from llmcli.serve.config import DeploymentConfig, ServeConfig

if TYPE_CHECKING:
    from llmcli.providers import ProviderSpec
    from llmcli.providers.base import ChatProvider
    from llmcli.transport import Connection

# Without a config, the resolved PROVIDER/MODEL names kept (oldest dropped first).
OPEN_NAMES = 256
# allowed_fails counts the failures of the last minute (seconds).
FAIL_WINDOW = 60.0
# The upstream wait when the config sets none (seconds): an answer may take minutes.
DEFAULT_TIMEOUT = 600.0


@dataclass(eq=False)
class Deployment:
    name: str  # the model name clients send
    id: str
    spec: ProviderSpec
    module: ChatProvider
    model: str  # the id the provider takes
    connection: Connection
    policy: Policy
    weight: float = 1.0
    in_flight: int = 0
    cooled_until: float = 0.0
    fails: list[float] = field(default_factory=list)  # monotonic times, the last minute
    # Upstream model name as the history keeps it (PROVIDER/MODEL).
    full_name: str = field(default="")

    @property
    def provider(self) -> str:
        return self.spec.name

    def up(self, now: float) -> bool:
        return self.cooled_until <= now


def deployment(entry: DeploymentConfig, timeout: float | None = None) -> Deployment:
    """Resolve one entry now: a missing key or bad base is said at start-up."""
    from llmcli import providers
    from llmcli.config import settings
    from llmcli.connection import resolve_connection
    from llmcli.providers.base import load

    spec, model_id = providers.route(entry.model, entry.api_base)
    provider_config = settings().providers.get(spec.name)
    conn = resolve_connection(
        spec,
        api_key=entry.api_key,
        api_base=entry.api_base,
        config_base=provider_config.api_base if provider_config else None,
    )
    if not conn.base_url:
        raise LlmcliError(f"{entry.model_name}: no server to ask: set api_base")
    wait = timeout or DEFAULT_TIMEOUT
    # No retry within a deployment: the router retries on another one (and cools this
    # one down), which is what a gateway's clients want.
    policy = Policy(
        timeout=wait,
        connect_timeout=min(wait, 10.0),
        retries=0,
        secrets=tuple(s for s in (conn.api_key,) if s),
    )
    return Deployment(
        name=entry.model_name,
        id=entry.id or entry.model_name,
        spec=spec,
        module=load(spec),
        model=model_id,
        connection=conn,
        policy=policy,
        weight=entry.weight,
        full_name=f"{spec.name}/{model_id}",
    )


class Router:
    def __init__(self, config: ServeConfig | None = None) -> None:
        self.config = config or ServeConfig()
        self.groups: dict[str, list[Deployment]] = {}
        for entry in self.config.deployments:
            try:
                dep = deployment(entry, self.config.timeout)
            except LlmcliError as err:
                raise LlmcliError(f"model {entry.model_name!r}: {err}") from None
            self.groups.setdefault(entry.model_name, []).append(dep)
        self.open = not self.config.deployments  # any PROVIDER/MODEL is routable

    @property
    def names(self) -> list[str]:
        return list(self.groups)

    def group(self, name: str) -> list[Deployment]:
        """The deployments of `name`; a 404 listing the served names if it has none."""
        found = self.groups.get(name)
        if found:
            return found
        if self.open:
            return self._open_group(name)
        served = ", ".join(self.names)
        raise GatewayError(
            404, f"model {name!r} is not served here; served: {served}", "not_found", "model"
        )

    def _open_group(self, name: str) -> list[Deployment]:
        try:
            dep = deployment(DeploymentConfig(model_name=name, model=name))
        except LlmcliError as err:
            message = str(err).replace("{model}", "model").replace("{api_base}", "api_base")
            raise GatewayError(404, message, "not_found", "model") from None
        if len(self.groups) >= OPEN_NAMES:  # clients choose the names: keep the cache bounded
            self.groups.pop(next(iter(self.groups)))
        self.groups[name] = [dep]
        return self.groups[name]

    def plan(self, name: str) -> list[Deployment]:
        """Every deployment to try for `name`, in order, fallbacks' after its own."""
        order = self.order(self.group(name))
        seen = {name}
        for fallback in self.config.fallbacks.get(name, []):
            if fallback not in seen and (fallback in self.groups or self.open):
                seen.add(fallback)
                order.extend(self.order(self.group(fallback)))
        extra = self.config.num_retries - (len(order) - 1)
        if extra > 0 and order:
            # More retries than deployments: go round again (each one was cooled, so
            # the order may have changed by then; a second pass is what LiteLLM does).
            order.extend((order * (extra // len(order) + 1))[:extra])
        return order

    def order(self, group: list[Deployment]) -> list[Deployment]:
        now = time.monotonic()
        up = [d for d in group if d.up(now)]
        down = sorted((d for d in group if not d.up(now)), key=lambda d: d.cooled_until)
        if self.config.strategy == "least-busy":
            up.sort(key=lambda d: d.in_flight)
        else:
            up = _weighted_shuffle(up)
        return up + down

    def cool(self, dep: Deployment) -> None:
        """One failure of `dep`: cooled down once it failed more than `allowed_fails`
        times within a minute."""
        now = time.monotonic()
        dep.fails = [t for t in dep.fails if now - t < FAIL_WINDOW]
        dep.fails.append(now)
        if len(dep.fails) > self.config.allowed_fails:
            dep.cooled_until = now + self.config.cooldown
            dep.fails.clear()


def _weighted_shuffle(items: list[Deployment]) -> list[Deployment]:
    """Random order, heavier first more often (Efraimidis-Spirakis keys)."""
    if len(items) < 2:
        return list(items)
    return sorted(items, key=lambda d: random.random() ** (1.0 / d.weight), reverse=True)
