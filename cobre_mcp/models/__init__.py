"""Tool output models: each generates its tool's ``outputSchema`` and validates its result.

Inputs are flat function parameters (primitives, enums, defaults) declared on the tools
themselves; outputs may nest. Every output carries a one-line ``summary`` because some hosts show
the model only ``structuredContent``.
"""
