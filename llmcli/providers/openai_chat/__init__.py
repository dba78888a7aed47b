"""The OpenAI Chat Completions shape, shared by every OpenAI-shaped provider (openai,
deepseek, openrouter, local, and any server given with --api-base).

Each of those provider modules builds on this package and adds only its differences:
- `body`: request bodies (chat and legacy completions) and the `HttpCall`;
- `features`: tools, attachments, JSON output and the refusals shared by those bodies;
- `answers`: whole answers, SSE chunks and error bodies decoded into events;
- `endpoints`: embeddings and model lists in the OpenAI shape.
"""
