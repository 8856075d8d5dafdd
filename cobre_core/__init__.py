"""cobre_core: the Cobre SDDP engine in Python (case model, validation, stage LPs, training, outputs).

This package knows nothing about MCP; ``cobre_mcp`` is a thin adapter over it.
"""

from cobre_core.errors import CaseValidationError, CobreError, ErrorKind, ErrorRecord

__all__ = ["CaseValidationError", "CobreError", "ErrorKind", "ErrorRecord"]
__version__ = "0.1.0"
