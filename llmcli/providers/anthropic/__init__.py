"""Anthropic Messages API: `POST {base}/v1/messages` (also Claude on Azure Foundry).

The provider interface (see `llmcli.providers.base`); the work is split by seam:
- `body`: the request body, headers and URL;
- `tools`: tools, tool choice, hosted tools, betas, caching and the JSON-output choice;
- `answers`: whole answers, SSE events and error bodies decoded into events.
"""

from llmcli.providers.anthropic.answers import (
    decode,
    decode_error,
    decode_stream,
    stream_decoder,
)
from llmcli.providers.anthropic.body import encode

__all__ = ["decode", "decode_error", "decode_stream", "encode", "stream_decoder"]
