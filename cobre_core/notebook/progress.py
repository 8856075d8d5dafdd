"""Progress reporting for ``Study.train`` / ``Study.simulate``: a tqdm bar or plain lines.

``progress=True`` in a Study run asks for :func:`progress_reporter`: a tqdm bar (``tqdm.auto``, so
a widget in Jupyter) when tqdm is installed (``pip install cobre-mcp[notebook]``), else
:class:`LinePrinter`, which writes short lines to stderr. A callable passed as ``progress`` is
called directly instead (see ``Study.train`` for its argument).
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Protocol, TextIO


class Reporter(Protocol):
    """What a Study run drives: one ``step`` per iteration or scenario, then ``close``."""

    def step(self, postfix: str = "") -> None:
        """One more unit done; ``postfix`` is a short status (bounds, cost)."""

    def close(self) -> None:
        """The run ended (normally or not)."""


class LinePrinter:
    """Plain-text progress: one line per step for short runs, about 20 lines for long ones.

    Used when tqdm is not installed, or on request (``prefer_tqdm=False``). Thread-safe.
    """

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self._every = max(1, (total or 0) // 20)
        self._lock = threading.Lock()

    def step(self, postfix: str = "") -> None:
        with self._lock:
            self.done += 1
            last = self.total is not None and self.done >= self.total
            if self.done % self._every and not last:
                return
            of = f"/{self.total}" if self.total else ""
            tail = f"  {postfix}" if postfix else ""
            print(f"{self.label} {self.done}{of}{tail}", file=self.stream, flush=True)

    def close(self) -> None:
        """Nothing to release; lines are flushed as written."""


class TqdmReporter:
    """A ``tqdm.auto`` bar; the postfix goes to the bar's right-hand side."""

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None) -> None:
        from tqdm.auto import tqdm

        self.bar: Any = tqdm(total=total, desc=label, file=stream, leave=True)

    def step(self, postfix: str = "") -> None:
        if postfix:
            self.bar.set_postfix_str(postfix, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def tqdm_available() -> bool:
    """Whether tqdm can be imported (the ``notebook`` extra)."""
    try:
        import tqdm.auto  # noqa: F401
    except ImportError:
        return False
    return True


def progress_reporter(
    total: int | None,
    label: str,
    *,
    prefer_tqdm: bool = True,
    stream: TextIO | None = None,
) -> Reporter:
    """A tqdm bar when available and preferred, else a :class:`LinePrinter`."""
    if prefer_tqdm and tqdm_available():
        return TqdmReporter(total, label, stream)
    return LinePrinter(total, label, stream)


__all__ = ["LinePrinter", "Reporter", "TqdmReporter", "progress_reporter", "tqdm_available"]
