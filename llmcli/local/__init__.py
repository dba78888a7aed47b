"""Local models: a catalog (data), pulling GGUF files, and llama.cpp servers run by llmcli.

Layout:
- `catalog`: the models llmcli knows by name (`local/smollm2`), with sizes and SHA-256.
- `models`: where models live (`models_dir`) and NAME → file (`resolve`, `ensure`).
- `download` / `pull`: resumable HTTP(S) downloads, and the PyPI wheel route.
- `server`: one llama.cpp server in a child process (`LocalServer`); `worker` is that child.
- `serving`: the servers of this process, started on demand and stopped at the end.

Only `serving.base_url(...)` is needed by a command that wants a running server,
e.g. `serving.base_url("smollm2", embeddings=True)` → `"http://127.0.0.1:PORT/v1"`.
Nothing here is imported by `llmcli --help`.
"""

from __future__ import annotations

PROVIDER = "local"
DEFAULT_NAME = "smollm2"
DEFAULT_MODEL = f"{PROVIDER}/{DEFAULT_NAME}"
