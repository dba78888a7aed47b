"""A small MCP server for the tests, built with the SDK's MCPServer (FastMCP in mcp 1.x).

`python tests/mcp_fixture_server.py stdio` serves over stdio; `... http PORT` serves
streamable HTTP on 127.0.0.1:PORT/mcp. Tools: `shout` (text), `picture` (an image),
`doze` (sleeps: for --tool-timeout), `die` (exits mid-call), `rpc_error` (a JSON-RPC
error), `broken` (an error result).
"""

from __future__ import annotations

import base64
import os
import sys
import time

from mcp.server.mcpserver import Image, MCPServer
from mcp.shared.exceptions import MCPError

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

server = MCPServer("fixture")


@server.tool()
def shout(text: str) -> str:
    """The text in capitals."""
    return text.upper()


@server.tool()
def picture() -> Image:
    """A one-pixel PNG."""
    return Image(data=PNG, format="png")


@server.tool()
def doze(seconds: float) -> str:
    """Sleep, then say so."""
    time.sleep(seconds)
    return "awake"


@server.tool()
def environ(name: str) -> str:
    """The value of an environment variable of the server ("" when unset)."""
    return os.environ.get(name, "")


@server.tool()
def die() -> str:
    """Ends the server process mid-call."""
    print("fixture server dying", file=sys.stderr, flush=True)
    os._exit(1)


@server.tool()
def rpc_error() -> str:
    """Answers with a JSON-RPC error instead of a result."""
    raise MCPError(code=-32602, message="bad params from the fixture")


@server.tool()
def broken() -> str:
    """Always fails."""
    raise ValueError("the broken tool broke")


if __name__ == "__main__":
    print("fixture server starting", file=sys.stderr)
    if sys.argv[1] == "http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
