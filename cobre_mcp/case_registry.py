"""Loaded cases behind opaque, server-minted ``case_id`` handles.

``load-case`` validates and loads a case directory once and hands back a ``case_id``; later tools
take that id instead of re-reading the directory. The id -> directory map is kept in
``<state_dir>/cases.json`` so ids survive a restart; loaded cases are cached in memory (a few,
least recently used first out) and reloaded on demand. Loading the same directory again returns
the same id and refreshes the cache (the files may have changed).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
from collections import OrderedDict
from pathlib import Path

from cobre_core.loader import load_case
from cobre_core.results.atomic import write_json_atomic
from cobre_core.system.case import Case
from cobre_mcp.errors import ServerErrorKind, tool_failure
from cobre_mcp.sandbox import PathGuard

CACHE_SIZE = 8


class CaseRegistry:
    """Maps case ids to directories and keeps recently used cases loaded."""

    def __init__(self, guard: PathGuard, state_dir: Path | None) -> None:
        self.guard = guard
        self._file = state_dir / "cases.json" if state_dir is not None else None
        self._lock = threading.RLock()
        self._cache: OrderedDict[str, Case] = OrderedDict()
        self._paths: dict[str, str] = self._read_file()

    def _read_file(self) -> dict[str, str]:
        if self._file is None or not self._file.is_file():
            return {}
        try:
            return {str(k): str(v) for k, v in json.loads(self._file.read_text()).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    def _save(self) -> None:
        """Merge with the file (another server may share the state directory), then write."""
        if self._file is not None:
            self._paths = {**self._read_file(), **self._paths}
            with contextlib.suppress(OSError):  # ids still work in this process
                write_json_atomic(self._file, self._paths)

    def load(self, case_dir: Path) -> tuple[str, Case]:
        """Validate and load ``case_dir`` (already sandbox-checked); returns (case_id, case)."""
        case = load_case(case_dir)
        key = str(case_dir)
        with self._lock:
            self._paths = {**self._read_file(), **self._paths}
            case_id = next((cid for cid, p in self._paths.items() if p == key), None)
            if case_id is None:
                case_id = f"case_{secrets.token_hex(8)}"
                self._paths[case_id] = key
                self._save()
            self._remember(case_id, case)
        return case_id, case

    def _remember(self, case_id: str, case: Case) -> None:
        self._cache[case_id] = case
        self._cache.move_to_end(case_id)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    def directory(self, case_id: str) -> Path:
        """The directory behind ``case_id`` (re-checked against the sandbox), or CaseNotFound."""
        with self._lock:
            raw = self._paths.get(case_id) or self._read_file().get(case_id)
        if raw is None:
            raise tool_failure(
                ServerErrorKind.CASE_NOT_FOUND,
                f"no case with id {case_id!r}",
                "Call load-case with the case directory to get a case_id, or pass case_dir.",
                case_id=case_id,
            )
        return self.guard.resolve(raw, "case_id")

    def get(self, case_id: str) -> Case:
        """The loaded case for ``case_id`` (from the cache, else loaded again)."""
        with self._lock:
            case = self._cache.get(case_id)
            if case is not None:
                self._cache.move_to_end(case_id)
                return case
        _, case = self.load(self.directory(case_id))
        return case

    def resolve(self, case_id: str, case_dir: str) -> tuple[Path, str | None]:
        """Directory and id from exactly one of ``case_id`` / ``case_dir`` (both flat strings)."""
        if bool(case_id) == bool(case_dir):
            raise tool_failure(
                ServerErrorKind.INVALID_ARGUMENT,
                "pass exactly one of case_id and case_dir",
                "Use the case_id returned by load-case, or a case directory path.",
                case_id=case_id or None,
                case_dir=case_dir or None,
            )
        if case_id:
            return self.directory(case_id), case_id
        return self.guard.resolve(case_dir, "case_dir"), None

    def case_for(self, case_id: str, case_dir: str) -> tuple[str, Case]:
        """Loaded case from either argument; a directory is registered on the way."""
        path, cid = self.resolve(case_id, case_dir)
        if cid is not None:
            return cid, self.get(cid)
        return self.load(path)
