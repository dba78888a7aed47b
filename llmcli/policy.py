"""How patiently to deliver a request: timeouts and retries.

Kept apart from `transport` (which imports httpx) so that the CLI's flag spec can take
its defaults from here while `--help` stays light.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass
class Policy:
    timeout: float = 600.0
    connect_timeout: float = 10.0
    retries: int = 2
    debug: Callable[[str], None] | None = None
    secrets: tuple[str, ...] = ()
    # Header names (lower case) whose values are never shown: the -H headers.
    private_headers: frozenset[str] = frozenset()
    sleep: Callable[[float], None] = time.sleep
    # Shown each answer's response headers (`batch run` reads the rate-limit headers).
    on_headers: Callable[[Mapping[str, str]], None] | None = None
