"""The pure Batch API module of a provider (`batch_openai`, `batch_anthropic`)."""

from __future__ import annotations

from types import ModuleType


def module_for(provider: str) -> ModuleType:
    """The pure batch module of `provider` (one of `batch_api.PROVIDERS`)."""
    if provider == "openai":
        from llmcli.providers import batch_openai

        return batch_openai
    from llmcli.providers import batch_anthropic

    return batch_anthropic
