"""`llmcli serve`: the gateway (see `llmcli.serve`). Checks the extra and the flags,
then hands over to `llmcli.serve.run`."""

from __future__ import annotations

import importlib
from pathlib import Path

from llmcli.cli import spec, spec_serve
from llmcli.errors import UsageError


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


INSTALL = "llmcli serve needs the serve extra: pip install 'llmcli[serve]'"


@spec.signature(spec_serve.SERVE)
def serve(
    host: str,
    port: int,
    config: Path | None,
    workers: int,
    master_key: str | None,
    no_auth: bool,
    allow_origin: list[str] | None,
    no_log: bool,
    quiet: bool,
) -> None:
    """Serve every provider behind one OpenAI- and Anthropic-compatible HTTP API."""
    missing = [m for m in ("starlette", "uvicorn", "yaml") if not _importable(m)]
    if missing:
        raise UsageError(f"{INSTALL} (missing: {', '.join(missing)})")
    from llmcli.serve.run import Options, run

    run(
        Options(
            host=host,
            port=port,
            config=config,
            workers=workers,
            master_key=master_key,
            no_auth=no_auth,
            allow_origins=list(allow_origin or []),
            record=not no_log,
            quiet=quiet,
        )
    )
