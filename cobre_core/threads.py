"""The default worker-thread count of :class:`cobre_core.Study` runs.

``set_default_threads(4)`` once at the top of a notebook makes every later ``Study.train`` and
``Study.simulate`` use four threads unless a call passes ``threads=`` itself. Results do not depend
on the thread count (work is split in fixed lanes), only the wall time does. The lower-level
``cobre_core.train`` / ``simulate`` functions do not read this default: they use the count they are
given (1 when omitted).
"""

from __future__ import annotations

import threading

DEFAULT_THREADS = 1
"""The count used until :func:`set_default_threads` is called."""

_lock = threading.Lock()
_default = DEFAULT_THREADS


def set_default_threads(n: int | None) -> None:
    """Set the default thread count (``None`` restores :data:`DEFAULT_THREADS`).

    Raises ``ValueError`` unless ``n`` is a positive integer. More threads than cores only adds
    overhead; the lanes cap useful parallelism at a handful of threads anyway.
    """
    global _default
    if n is None:
        value = DEFAULT_THREADS
    elif isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a positive integer, not {n!r}")
    else:
        value = n
    with _lock:
        _default = value


def get_default_threads() -> int:
    """The thread count a Study run uses when none is given."""
    with _lock:
        return _default


def resolve_threads(threads: int | None) -> int:
    """``threads`` when given (validated like :func:`set_default_threads`), else the default."""
    if threads is None:
        return get_default_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, not {threads!r}")
    return threads


__all__ = ["DEFAULT_THREADS", "get_default_threads", "resolve_threads", "set_default_threads"]
