"""The llama.cpp servers of this llmcli process: started on demand, reused, stopped at
the end (by the command, and by `atexit` should it forget).

`complete` starts one for its request; `chat` keeps the same one for the whole
session (the pool returns the running server for every turn). A command that needs
embeddings (e.g. `embed`) asks for `base_url(name, embeddings=True)`; such a server
also answers chat requests.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable

from llmcli.local.models import ensure
from llmcli.local.server import LocalServer, default_threads

_servers: list[LocalServer] = []
_registered = False


def server_for(
    name: str,
    *,
    threads: int | None = None,
    embeddings: bool = False,
    debug: Callable[[str], None] | None = None,
) -> LocalServer:
    """A running server for model `name` (pulled first when missing)."""
    model = ensure(name)
    threads = threads or default_threads()
    for server in list(_servers):
        if not server.running:
            _servers.remove(server)
            continue
        if (
            server.model.path == model.path
            and server.threads == threads
            and (server.embeddings or not embeddings)
        ):
            return server
    server = LocalServer(model, threads=threads, embeddings=embeddings, debug=debug).start()
    _remember(server)
    return server


def base_url(
    name: str,
    *,
    threads: int | None = None,
    embeddings: bool = False,
    debug: Callable[[str], None] | None = None,
) -> str:
    """The OpenAI-compatible base URL (`http://127.0.0.1:PORT/v1`) of a running server."""
    return server_for(name, threads=threads, embeddings=embeddings, debug=debug).base_url


def running() -> list[LocalServer]:
    return [s for s in _servers if s.running]


def stop_all() -> None:
    while _servers:
        _servers.pop().stop()


def _remember(server: LocalServer) -> None:
    global _registered
    _servers.append(server)
    if not _registered:
        atexit.register(stop_all)
        _registered = True
