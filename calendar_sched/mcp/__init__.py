"""The MCP server: the library functions the commands call, as tools for AI clients."""
