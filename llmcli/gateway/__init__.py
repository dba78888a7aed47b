"""The gateway's pure translation layer: OpenAI and Anthropic wire bodies ↔ llmcli's
Request, events and Result. No I/O, no clock, no randomness: the server (llmcli.serve)
passes ids and timestamps in."""
