"""The child process that runs one llama.cpp server (xllamacpp runs it in-process).

Started by `LocalServer` as `python -m llmcli.local.worker CONFIG_JSON`. It prints one
JSON line on stdout, `{"ready": "http://127.0.0.1:PORT"}` or `{"error": KIND, ...}`,
then serves until its stdin closes (the parent stopped it, or died) or it is killed.
llama.cpp's own log goes to stderr, which the parent keeps for error messages.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any


def main(argv: list[str]) -> int:
    config: dict[str, Any] = json.loads(argv[0])
    try:
        import xllamacpp
    except ImportError as err:
        _say({"error": "missing", "detail": str(err)})
        return 3
    params = xllamacpp.CommonParams()
    params.model.path = config["model"]
    params.model_alias = {config["alias"]}
    params.n_ctx = config["context"]
    params.n_parallel = 1
    params.cpuparams.n_threads = config["threads"]
    params.cpuparams_batch.n_threads = config["threads"]
    params.hostnames = [config["host"]]
    params.port = config["port"]
    if config["embeddings"]:
        params.embedding = True
        pooling = config.get("pooling", "mean").upper()
        params.pooling_type = getattr(xllamacpp.llama_pooling_type, f"LLAMA_POOLING_TYPE_{pooling}")
    try:
        server = xllamacpp.Server(params)
    except Exception as err:  # the reason is in llama.cpp's log on stderr
        _say({"error": "start", "detail": str(err)})
        return 1
    _say({"ready": server.listening_address, "pid": os.getpid()})
    with contextlib.suppress(KeyboardInterrupt, OSError):
        sys.stdin.buffer.read()  # returns at EOF: the parent is done with us
    # Skip llama.cpp's orderly shutdown: the process ends and the OS frees everything.
    os._exit(0)


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
