"""The surfaces in process and on the command line: the SDK wrapper (`sdk`), the MCP
server (`mcp`), the `headroom` command (`cli`, `cli_*`) and its evaluation (`evaluate`).
The HTTP server is `headroom.server`."""
