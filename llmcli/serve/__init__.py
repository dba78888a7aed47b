"""`llmcli serve`: an OpenAI- and Anthropic-compatible gateway in front of every provider.

- `config`: LiteLLM's proxy config.yaml (or the same in TOML) → model names and deployments;
- `router`: which deployment serves a name (shuffle or least busy), cooldown, fallbacks;
- `upstream`: one call through the async transport and the provider's pure codec;
- `app`: the ASGI app (routes, auth, limits, errors in each endpoint's shape);
- `chat`: the chat endpoints (OpenAI chat completions and Anthropic messages);
- `observe`: access log, Prometheus metrics, history recording;
- `run`: start-up, workers and shutdown.

The wire translation (bodies in, answers out, error shapes) is `llmcli.gateway`'s.
"""
