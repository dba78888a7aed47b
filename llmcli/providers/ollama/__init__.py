"""Ollama's native API: `ollama/` → `POST /api/generate`, `ollama_chat/` → `POST /api/chat`.

The provider interface (see `llmcli.providers.base`): `body` builds requests (chat,
generate, embeddings, the model list), `answers` decodes NDJSON streams, whole answers
and error bodies.
"""

from llmcli.providers.ollama.answers import (
    decode,
    decode_error,
    decode_stream,
    stream_decoder,
)
from llmcli.providers.ollama.body import (
    decode_embed,
    decode_models,
    encode,
    encode_embed,
    encode_models,
    host_url,
)

__all__ = [
    "decode",
    "decode_embed",
    "decode_error",
    "decode_models",
    "decode_stream",
    "encode",
    "encode_embed",
    "encode_models",
    "host_url",
    "stream_decoder",
]
