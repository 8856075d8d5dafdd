"""``python -m cobre_mcp`` is the ``cobre-mcp`` command."""

import sys

from cobre_mcp.cli import main

sys.exit(main())
