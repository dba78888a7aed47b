"""MCP servers that llmcli itself runs (stdio) or calls (streamable HTTP), whose tools it
offers to any provider through the same tool loop as `--tool-exec`.

`servers` reads their declarations (config `[mcp.servers.NAME]`, `--mcp-server`);
`names` turns their tools into `Tool`s within each provider's name limits; `client`
runs the async `mcp` SDK on a private event-loop thread; `results` maps a tool's result
to a `ToolResultPart`; `approval` decides which calls run. The SDK (extra `mcp`) is
imported only by `client`, and only when a server is used.
"""
