"""The MCP tools, one module per group; each module has ``register(app)``."""
