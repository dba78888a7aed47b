"""Whatever JSON a client sends, the gateway answers a Request or a GatewayError (a 4xx
naming a field), never another exception: the server must not answer 500 for bad input."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcli.gateway.anthropic_in import messages_call
from llmcli.gateway.errors import GatewayError
from llmcli.gateway.openai_in import chat_call, embed_request, image_request

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5000), st.floats(allow_nan=False), st.text(max_size=8)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)

# Bodies near the valid ones: known keys with random values, so the walk goes deep.
OPENAI_KEYS = [
    "messages",
    "tools",
    "tool_choice",
    "response_format",
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "reasoning_effort",
    "stream",
    "stream_options",
    "n",
    "user",
    "seed",
]
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant", "tool", "x"])},
    optional={
        "content": JSON
        | st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["text", "image_url", "file", "x"])},
                optional={"text": JSON, "image_url": JSON, "file": JSON},
            ),
            max_size=2,
        ),
        "tool_calls": JSON,
        "tool_call_id": JSON,
        "thinking_blocks": JSON,
    },
)
OPENAI_BODY = st.fixed_dictionaries(
    {"messages": st.lists(MESSAGE, max_size=3)}, optional={k: JSON for k in OPENAI_KEYS[1:]}
)
ANTHROPIC_KEYS = [
    "system",
    "tools",
    "tool_choice",
    "thinking",
    "output_config",
    "stop_sequences",
    "metadata",
    "temperature",
    "top_k",
    "mcp_servers",
    "stream",
]
BLOCK = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "text",
                "image",
                "document",
                "tool_use",
                "tool_result",
                "thinking",
                "redacted_thinking",
                "server_tool_use",
                "x",
            ]
        )
    },
    optional={
        "text": JSON,
        "source": JSON,
        "id": JSON,
        "name": JSON,
        "input": JSON,
        "tool_use_id": JSON,
        "content": JSON,
        "data": JSON,
        "cache_control": JSON,
    },
)
ANTHROPIC_BODY = st.fixed_dictionaries(
    {
        "max_tokens": st.integers(-1, 9000),
        "messages": st.lists(
            st.fixed_dictionaries(
                {
                    "role": st.sampled_from(["user", "assistant", "system"]),
                    "content": JSON | st.lists(BLOCK, max_size=3),
                }
            ),
            max_size=3,
        ),
    },
    optional={k: JSON for k in ANTHROPIC_KEYS},
)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ok_or_gateway_error(fn: Any, body: Any, **kwargs: Any) -> None:
    try:
        fn(body, **kwargs)
    except GatewayError as err:
        assert 400 <= err.status < 500 and err.message


@FAST
@given(st.one_of(JSON, OPENAI_BODY), st.sampled_from(["openai", "anthropic", "ollama"]))
def test_any_openai_body(body: Any, provider: str) -> None:
    _ok_or_gateway_error(chat_call, body, provider=provider, model="m", model_name="m")


@FAST
@given(st.one_of(JSON, ANTHROPIC_BODY), st.sampled_from(["openai", "anthropic"]))
def test_any_anthropic_body(body: Any, provider: str) -> None:
    _ok_or_gateway_error(messages_call, body, provider=provider, model="m", model_name="m")


@FAST
@given(
    JSON
    | st.fixed_dictionaries(
        {},
        optional={
            "input": JSON,
            "prompt": JSON,
            "n": JSON,
            "size": JSON,
            "dimensions": JSON,
            "encoding_format": JSON,
            "response_format": JSON,
        },
    )
)
def test_any_embeddings_or_images_body(body: Any) -> None:
    _ok_or_gateway_error(embed_request, body, provider="openai", model="m")
    _ok_or_gateway_error(image_request, body, provider="openai", model="m")
