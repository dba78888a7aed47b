"""Start-up and shutdown: config and keys checked before listening, one line saying
where and what is served, N worker processes, SIGINT/SIGTERM drain then exit 0."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from llmcli.errors import UsageError

# In-flight requests get this long to finish after SIGINT/SIGTERM (seconds).
DRAIN = 30
_OPTIONS_ENV = "LLMCLI_SERVE_OPTIONS"  # how worker processes get the options


@dataclass
class Options:
    host: str = "127.0.0.1"
    port: int = 4000
    config: Path | None = None
    workers: int = 1
    master_key: str | None = None
    no_auth: bool = False
    allow_origins: list[str] = field(default_factory=list)
    record: bool = True
    quiet: bool = False


def build(options: Options) -> Any:
    """The ASGI app for `options` (checks everything: raises UsageError)."""
    from llmcli.serve import config as config_file
    from llmcli.serve.app import Gateway, create_app
    from llmcli.serve.guard import origin_of
    from llmcli.serve.observe import AccessLog
    from llmcli.serve.router import Router

    config = config_file.load(options.config) if options.config else None
    key = options.master_key or (config.master_key if config else None)
    origins = [*options.allow_origins, *(config.allow_origins if config else [])]
    gw = Gateway(
        router=Router(config),
        master_key=key or None,
        log=AccessLog(options.quiet),
        record=options.record,
        allow_origins=tuple(dict.fromkeys(origin_of(o) for o in origins)),
        loopback=_loopback(options.host),
    )
    return create_app(gw), gw


def app_factory() -> Any:
    """For worker processes (`--workers N`): the options come in the environment."""
    raw = json.loads(os.environ[_OPTIONS_ENV])
    raw["config"] = Path(raw["config"]) if raw["config"] else None
    app, _ = build(Options(**raw))
    return app


def run(options: Options) -> None:
    app, gw = build(options)
    if not gw.master_key and not options.no_auth and not _loopback(options.host):
        raise UsageError(
            f"refusing to serve {options.host} without a key: pass --master-key KEY"
            " (or LLMCLI_MASTER_KEY), or --no-auth to serve it open"
        )
    config = gw.router.config
    if config.ignored:
        sys.stderr.write(f"llmcli serve: ignored config keys: {', '.join(config.ignored)}\n")
    names = ", ".join(gw.router.names) or "any PROVIDER/MODEL"
    host = f"[{options.host}]" if ":" in options.host else options.host
    sys.stderr.write(f"llmcli serve: http://{host}:{options.port}/v1 serving {names}\n")
    sys.stderr.flush()
    settings: dict[str, Any] = {
        "host": options.host,
        "port": options.port,
        "log_level": "warning",
        "access_log": False,
        "timeout_graceful_shutdown": DRAIN,
        "lifespan": "on",
    }
    if options.workers > 1:
        env = {**asdict(options), "config": str(options.config) if options.config else None}
        env["master_key"] = gw.master_key
        os.environ[_OPTIONS_ENV] = json.dumps(env)
        uvicorn.run(
            "llmcli.serve.run:app_factory", factory=True, workers=options.workers, **settings
        )
        return
    server = _Server(uvicorn.Config(app, **settings))
    server.run()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Server(uvicorn.Server):
    """uvicorn's server, but a signal drains and returns (exit 0): uvicorn re-raises
    the signal it caught once it has shut down, which would end the process with it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
