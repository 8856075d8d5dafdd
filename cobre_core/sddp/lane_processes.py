"""Lanes in worker processes: real parallel HiGHS solves, with the same results as threads.

HiGHS solves run in threads of one Python process scale poorly here (two threads gave 1.1-1.3x
on 2 cores), while two processes run side by side at close to 2x. With ``workers`` workers,
:class:`ProcessLanes` runs the lanes ``lane % workers == 0`` in this process and starts
``workers - 1`` fresh interpreters for the others (``python -m cobre_core.sddp.lane_processes``,
talking over two pipes: safe from threaded hosts such as the MCP server, and scripts need no
``__main__`` guard). Worker ``w`` builds its own :class:`Problem` of the case with the same lanes
and the same loaded cuts, keeps the LPs of its lanes ``lane % workers == w`` only, and runs them
(:mod:`cobre_core.sddp.lanes` kernels). This process keeps the cut pools, aggregates cuts and
broadcasts them, so every lane's LP holds the same rows in the same order as with threads and the
results are bit-for-bit those of :class:`ThreadLanes`.

Running a worker's share here instead of in one more process spares a start-up and keeps two busy
processes on two cores, not three: 4ree's full run took 27.4 s against 29.5 s on average over five
interleaved pairs.

Not for short runs: starting a worker costs about a second (imports and LP building). Lanes use
the case's configured training sampler (:func:`sampler_for`), so a custom sampler object given to
the trainer needs thread lanes.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import traceback
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cobre_core.errors import CobreError, ErrorKind, ErrorRecord, SolverError, record
from cobre_core.sddp.lanes import (
    LaneStats,
    allocate,
    cumulative_discounts,
    lane_stats,
    owned,
    run_kernel,
)
from cobre_core.sddp.problem import Problem

FloatArray = NDArray[np.float64]

SPIN_SECONDS = 0.002
"""How long an idle worker polls for its next message before it blocks. Work arrives within a
few milliseconds during training, and a blocked worker's core may have gone to sleep: measured
here, a round trip to a worker took 92 us blocked against 31 us polling (163 against 62 us after
a 0.5 ms pause of the main process)."""

_SNAPSHOT = tuple[list[tuple[FloatArray, FloatArray, NDArray[np.int64]]], bool]


def snapshot_cuts(problem: Problem) -> _SNAPSHOT:
    """The cuts a fresh problem needs to match ``problem`` row for row, and whether the last
    stage's are boundary cuts (theta opened)."""
    cuts = []
    for pool in problem.cuts:
        alpha, pi = pool.arrays()
        cuts.append((alpha, pi, np.array(pool.activity.target, dtype=np.int64)))
    last = problem.cuts[-1]
    return cuts, len(last) > 0


def _replay_cuts(problem: Problem, snapshot: _SNAPSHOT) -> None:
    cuts, boundary = snapshot
    for t, (alpha, pi, targets) in enumerate(cuts):
        if not alpha.size:
            continue
        if t == problem.num_stages - 1 and boundary:
            problem.add_boundary_cuts(alpha, pi)
        else:
            problem.add_cuts(t, alpha, pi, 0, targets if problem.multi_cut else None)


def _worker(conn: _Duplex) -> None:
    """Worker main loop: build the problem from the first message, then serve until ``stop``.

    Every later message is a list of operations, done in order; ``run`` and ``stats`` answer.
    After a failed operation the worker reports it and skips the rest of that message, so the
    main process gets exactly one answer where it waits for one.
    """
    try:
        from cobre_core.stochastic.sampling_schemes import sampler_for

        try:
            case, lanes, mine, multi_cut, snap = conn.recv()
        except EOFError:  # started ahead (:class:`Launch`) and not needed after all
            return
        problem = Problem(case, lanes=lanes, multi_cut=multi_cut)
        problem.keep_lanes(mine)
        _replay_cuts(problem, snap)
        sampler = sampler_for(problem, "training")
        cumulative = cumulative_discounts(problem)
        conn.send(("ready", None))
    except BaseException as exc:  # report, then exit
        conn.send(("error", _error_payload(exc)))
        return
    while True:
        try:
            ops = conn.recv_soon(SPIN_SECONDS)
        except EOFError:
            return
        try:
            for op in ops:
                if op[0] == "stop":
                    return
                _serve(conn, problem, sampler, cumulative, mine, op)
        except BaseException as exc:
            conn.send(("error", _error_payload(exc)))


def _serve(
    conn: _Duplex,
    problem: Problem,
    sampler: Any,
    cumulative: FloatArray,
    mine: list[int],
    op: tuple[Any, ...],
) -> None:
    """Do one operation of a worker message."""
    if op[0] == "run":
        _, kind, args = op
        out = allocate(problem, kind, args)
        for lane in mine:
            run_kernel(problem, sampler, cumulative, kind, lane, args, out)
        picks = owned(kind, mine, problem.num_lanes, out)
        parts = tuple(o[i] for o, i in zip(out, picks, strict=True))
        conn.send(("ok", (parts, time.monotonic())))
    elif op[0] == "add_cuts":
        problem.add_cuts(*op[1:])
    elif op[0] == "remove_cuts":
        problem.remove_cuts(*op[1:])
    elif op[0] == "stats":
        conn.send(("ok", lane_stats(problem)))
    else:
        raise ValueError(f"unknown worker operation {op[0]!r}")


def _error_payload(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, CobreError):
        return {"records": [r.to_dict() for r in exc.records]}
    return {"text": "".join(traceback.format_exception(exc))[-4000:]}


def _raise(payload: dict[str, Any]) -> None:
    if "records" in payload:
        raise CobreError.from_records([ErrorRecord.model_validate(r) for r in payload["records"]])
    raise SolverError(
        record(
            ErrorKind.SOLVER_FAILURE,
            "a solver worker process failed",
            "Retry with parallel='threads'; report the detail if it persists.",
            detail=payload.get("text", ""),
        )
    )


def _worker_died() -> SolverError:
    return SolverError(
        record(
            ErrorKind.SOLVER_FAILURE,
            "a solver worker process exited unexpectedly",
            "Retry with parallel='threads'; the machine may be short of memory.",
        )
    )


class _Duplex:
    """A send end and a receive end (two OS pipes) used as one connection."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._r = Connection(read_fd, readable=True, writable=False)
        self._w = Connection(write_fd, readable=False, writable=True)

    def send(self, obj: Any) -> None:
        self._w.send(obj)

    def send_bytes(self, data: bytes) -> None:
        """Send an object pickled beforehand (``ForkingPickler.dumps``): :meth:`recv` at the
        other end gets the object, and a broadcast is pickled once for every worker."""
        self._w.send_bytes(data)

    def recv(self) -> Any:
        return self._r.recv()

    def recv_soon(self, spin_seconds: float) -> Any:
        """:meth:`recv`, polling (and yielding the CPU) for up to ``spin_seconds`` before
        blocking: a message expected soon then arrives without a sleeping core's wake-up."""
        poll = self._r.poll
        deadline = time.perf_counter() + spin_seconds
        while not poll(0):
            if time.perf_counter() > deadline:
                break
            os.sched_yield()
        return self._r.recv()

    def close(self) -> None:
        self._r.close()
        self._w.close()


def _spawn() -> tuple[subprocess.Popen[bytes], _Duplex]:
    """Start one worker interpreter; returns it and the parent's end of its pipes."""
    to_child_r, to_child_w = os.pipe()
    to_parent_r, to_parent_w = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", __name__, str(to_child_r), str(to_parent_w)],
        pass_fds=(to_child_r, to_parent_w),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # never the host's stdout (an MCP stdio channel)
    )
    os.close(to_child_r)
    os.close(to_parent_w)
    return proc, _Duplex(to_parent_r, to_child_w)


class Launch:
    """Worker interpreters started ahead of their work, so that their start-up (imports, about
    half a second here) overlaps this process loading the case.

    :class:`ProcessLanes` takes them (:meth:`take`); :meth:`close` stops any that were not taken.
    Close it once the lanes exist (or it is a context manager), so that an invalid case or a run
    that ends up on threads leaves no worker behind.
    """

    def __init__(self, count: int) -> None:
        self._started: list[tuple[subprocess.Popen[bytes], _Duplex]] = []
        try:
            for _ in range(max(0, int(count))):
                self._started.append(_spawn())
        except BaseException:
            self.close()
            raise

    def __len__(self) -> int:
        return len(self._started)

    def take(self, count: int) -> list[tuple[subprocess.Popen[bytes], _Duplex]]:
        """``count`` started workers, or none when fewer were started."""
        if count > len(self._started):
            return []
        taken, self._started = self._started[:count], self._started[count:]
        return taken

    def close(self) -> None:
        """Stop the workers not taken. They hold nothing yet, and may still be importing, so
        they are killed rather than waited for."""
        for proc, conn in self._started:
            proc.kill()
            proc.wait()
            conn.close()
        self._started = []

    def __enter__(self) -> Launch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProcessLanes:
    """Lanes of ``problem`` run by ``workers`` processes (see the module docstring): this one,
    which runs the first worker's lanes itself between its messages, and ``workers - 1``
    spawned ones."""

    def __init__(self, problem: Problem, workers: int, launch: Launch | None = None) -> None:
        """``launch`` holds workers started ahead of time, taken when there are enough of
        them; otherwise the workers start here."""
        from cobre_core.stochastic.sampling_schemes import sampler_for

        self.p = problem
        self.lanes = problem.num_lanes
        n = max(1, min(int(workers), self.lanes))
        local, *remote = [list(range(w, self.lanes, n)) for w in range(n)]
        self.local: list[int] = local  # lanes this process runs
        self.owned: list[list[int]] = remote  # lanes of each spawned worker, in order
        self.sampler = sampler_for(problem, "training")
        self.cumulative = cumulative_discounts(problem)
        snap = snapshot_cuts(problem)
        self._final_stats = LaneStats(0, 0.0, 0.0)
        self._wait_seconds = 0.0
        self._broken = False
        self._closed = False
        self._pending: list[tuple[Any, ...]] = []  # cut updates not yet sent to the workers
        started = launch.take(len(self.owned)) if launch is not None else []
        self.procs: list[subprocess.Popen[bytes]] = [proc for proc, _ in started]
        self.conns: list[_Duplex] = [conn for _, conn in started]
        try:
            for w, mine in enumerate(self.owned):
                if w == len(self.conns):  # not started ahead: start it now
                    proc, conn = _spawn()  # it starts up while this process goes on
                    self.procs.append(proc)
                    self.conns.append(conn)
                msg = (problem.case, self.lanes, mine, problem.multi_cut, snap)
                self._send(self.conns[w], msg)
            for conn in self.conns:
                self._reply(conn)
            problem.keep_lanes(local)  # the other lanes live in the workers now
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _send(conn: _Duplex, msg: tuple[Any, ...]) -> None:
        try:
            conn.send(msg)
        except OSError as exc:
            raise _worker_died() from exc

    def _reply(self, conn: _Duplex) -> Any:
        try:
            status, payload = conn.recv()
        except (EOFError, OSError) as exc:
            raise _worker_died() from exc
        if status == "error":
            _raise(payload)
        return payload

    def run(self, kind: str, *args: Any) -> tuple[FloatArray, ...]:
        self._flush(("run", kind, args))
        out = allocate(self.p, kind, args)
        try:
            for lane in self.local:
                run_kernel(self.p, self.sampler, self.cumulative, kind, lane, args, out)
            finished = [time.monotonic()]  # system-wide clock: comparable with the workers'
            for conn, mine in zip(self.conns, self.owned, strict=True):
                part, at = self._reply(conn)
                finished.append(at)
                picks = owned(kind, mine, self.lanes, out)
                for dst, src, idx in zip(out, part, picks, strict=True):
                    dst[idx] = src
        except BaseException:
            self._broken = True  # answers may be left unread: ask the workers nothing more
            raise
        self._wait_seconds += max(finished) - min(finished)  # the first done waits for the last
        return out

    def add_cuts(
        self,
        t: int,
        alphas: FloatArray,
        pis: FloatArray,
        iteration: int,
        openings: NDArray[np.int64] | None,
    ) -> None:
        self._pending.append(("add_cuts", t, alphas, pis, iteration, openings))
        self._flush()  # the workers add the rows to their LPs while this process does
        self.p.add_cuts(t, alphas, pis, iteration, openings)

    def remove_cuts(self, t: int, keep: NDArray[np.bool_]) -> int:
        removed = self.p.remove_cuts(t, keep)
        if removed:
            self._pending.append(("remove_cuts", t, keep))
        return removed

    def _flush(self, *ops: tuple[Any, ...]) -> None:
        """Send the cut updates not sent yet (removals wait for the next message) and ``ops``
        to every worker as one message, pickled once for all of them."""
        data = bytes(ForkingPickler.dumps([*self._pending, *ops]))
        self._pending = []
        for conn in self.conns:
            try:
                conn.send_bytes(data)
            except OSError as exc:
                raise _worker_died() from exc

    def stats(self) -> LaneStats:
        """LP solves and seconds inside HiGHS summed over the workers (kept after close)."""
        if self._closed or self._broken:
            return self._final_stats
        self._flush(("stats",))
        parts = [lane_stats(self.p), *(self._reply(conn) for conn in self.conns)]
        solves, run_s, call_s, _, cold = (sum(column) for column in zip(*parts, strict=True))
        return LaneStats(solves, run_s, call_s, self._wait_seconds, cold)

    def close(self) -> None:
        if not self._closed and not self._broken:
            with contextlib.suppress(CobreError, OSError, ValueError):
                self._final_stats = self.stats()
        self._closed = True
        for conn in self.conns:
            with contextlib.suppress(OSError, ValueError):
                conn.send([("stop",)])
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for conn in self.conns:
            conn.close()
        self.conns, self.procs = [], []


if __name__ == "__main__":
    _worker(_Duplex(int(sys.argv[1]), int(sys.argv[2])))
    # Nothing is left to write or release that the OS does not take back: skip the
    # interpreter's teardown, which the main process would wait for (0.165 s on 4ree).
    sys.stderr.flush()
    os._exit(0)
