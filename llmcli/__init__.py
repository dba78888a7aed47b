"""llmcli: one fast command line for many LLM providers."""

__version__ = "0.1.0"
