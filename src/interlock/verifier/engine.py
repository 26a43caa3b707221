"""The verification engine: one worker process per property, a time limit, parallel jobs.

`verify(program)` dispatches every invariant of a checked `Program` to its checker —
coalition properties to `interlock.verifier.coalition`, the temporal ones (`always`,
`paused at most`, `never locked forever`) to `interlock.verifier.temporal` — and returns one
`PropertyResult` per invariant, in declaration order.

Each property runs in its own worker process (forked, so it starts in milliseconds and shares
the already-imported Z3), at most `jobs` at a time. A checker receives the time limit and
should answer `unknown` by itself when it runs out; a worker that has not answered
`KILL_GRACE_S` after its limit is killed and its property reported `unknown` (timeout), so a
Z3 call that never returns cannot hang `interlock check`.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Literal

from interlock.ir.nodes import (
    BlockedAtMostProp,
    Invariant,
    MinCoalitionProp,
    NoUnilateralProp,
    Program,
)
from interlock.verifier.coalition import check_coalition
from interlock.verifier.explain import describe_violation
from interlock.verifier.result import PropertyResult

DEFAULT_TIMEOUT_S = 60.0
KILL_GRACE_S = 2.0


@dataclass(frozen=True)
class Progress:
    """A progress event: a property started, or finished with `result`."""

    event: Literal["start", "done"]
    name: str
    index: int  # position among the program's invariants, from 0
    total: int
    result: PropertyResult | None = None


ProgressCallback = Callable[[Progress], None]


def check_property(program: Program, invariant: Invariant, timeout_s: float) -> PropertyResult:
    """Decide one invariant in this process (no isolation, no time limit enforcement)."""
    if isinstance(invariant.prop, NoUnilateralProp | MinCoalitionProp):
        return check_coalition(program, invariant)
    if isinstance(invariant.prop, BlockedAtMostProp):
        from interlock.verifier.blocks import check_blocked

        return check_blocked(program, invariant, timeout_s)
    from interlock.verifier.temporal import check_temporal

    return check_temporal(program, invariant, timeout_s)


def _unknown(invariant: Invariant, reason: str, seconds: float, method: str) -> PropertyResult:
    return PropertyResult(
        name=invariant.name,
        status="unknown",
        method=method,
        seconds=seconds,
        reason=reason,
        span=invariant.span,
    )


def _with_breaks(program: Program, invariant: Invariant, result: PropertyResult) -> PropertyResult:
    """Add the words for the breaking state of a violation (left out if the replay fails)."""
    if result.status != "violated" or result.breaks is not None:
        return result
    try:
        breaks = describe_violation(program, invariant, result)
    except Exception:  # the description is a courtesy; the result stands without it
        return result
    return result.model_copy(update={"breaks": breaks})


def _guarded(program: Program, invariant: Invariant, timeout_s: float) -> PropertyResult:
    """`check_property`, with an internal error turned into an `unknown` that says so."""
    start = time.perf_counter()
    try:
        result = check_property(program, invariant, timeout_s)
    except Exception as exc:  # a bug in a checker must not pass as a result
        last = traceback.format_exception_only(exc)[-1].strip()
        return _unknown(invariant, f"internal error: {last}", time.perf_counter() - start, "error")
    return _with_breaks(program, invariant, result)


def _worker(conn: Connection, program: Program, invariant: Invariant, timeout_s: float) -> None:
    try:
        conn.send(_guarded(program, invariant, timeout_s).model_dump_json())
    finally:
        conn.close()


@dataclass
class _Running:
    index: int
    process: BaseProcess
    conn: Connection
    started: float


def _context() -> mp.context.DefaultContext:
    methods = mp.get_all_start_methods()
    ctx: mp.context.DefaultContext = mp.get_context("fork" if "fork" in methods else "spawn")  # type: ignore[assignment]
    return ctx


class _Scheduler:
    def __init__(
        self, program: Program, timeout_s: float, jobs: int, on_progress: ProgressCallback | None
    ) -> None:
        self.program = program
        self.timeout_s = timeout_s
        self.jobs = max(1, jobs)
        self.notify = on_progress or (lambda _event: None)
        self.invariants = program.invariants
        self.results: dict[int, PropertyResult] = {}
        self.running: dict[Connection, _Running] = {}
        self.ctx = _context()

    def _start(self, index: int) -> None:
        invariant = self.invariants[index]
        self.notify(Progress("start", invariant.name, index, len(self.invariants)))
        parent, child = self.ctx.Pipe(duplex=False)
        process = self.ctx.Process(
            target=_worker, args=(child, self.program, invariant, self.timeout_s), daemon=True
        )
        process.start()
        child.close()
        self.running[parent] = _Running(index, process, parent, time.perf_counter())

    def _finish(self, job: _Running, result: PropertyResult) -> None:
        del self.running[job.conn]
        job.conn.close()
        job.process.join(timeout=5)
        self.results[job.index] = result
        name = self.invariants[job.index].name
        self.notify(Progress("done", name, job.index, len(self.invariants), result))

    def _collect(self, job: _Running) -> None:
        invariant = self.invariants[job.index]
        elapsed = time.perf_counter() - job.started
        try:
            result = PropertyResult.model_validate_json(job.conn.recv())
        except EOFError:
            job.process.join(timeout=5)
            code = job.process.exitcode
            reason = f"internal error: worker exited ({code})"
            result = _unknown(invariant, reason, elapsed, "error")
        self._finish(job, result)

    def _expire(self, now: float) -> None:
        limit = self.timeout_s + KILL_GRACE_S
        for job in [j for j in self.running.values() if now - j.started >= limit]:
            job.process.kill()
            job.process.join(timeout=5)
            invariant = self.invariants[job.index]
            reason = f"timeout: no answer within {self.timeout_s:g}s"
            self._finish(job, _unknown(invariant, reason, now - job.started, "timeout"))

    def run(self) -> tuple[PropertyResult, ...]:
        pending = deque(range(len(self.invariants)))
        try:
            while pending or self.running:
                while pending and len(self.running) < self.jobs:
                    self._start(pending.popleft())
                limit = self.timeout_s + KILL_GRACE_S
                nearest = min(j.started for j in self.running.values()) + limit
                ready = wait(list(self.running), timeout=max(0.0, nearest - time.perf_counter()))
                for conn in ready:
                    assert isinstance(conn, Connection)
                    self._collect(self.running[conn])
                self._expire(time.perf_counter())
        finally:
            for job in list(self.running.values()):
                job.process.kill()
                job.process.join(timeout=5)
        return tuple(self.results[i] for i in range(len(self.invariants)))


def verify(
    program: Program,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    jobs: int = 1,
    on_progress: ProgressCallback | None = None,
    isolate: bool = True,
) -> tuple[PropertyResult, ...]:
    """Decide every invariant of `program`; one result per invariant, in declaration order.

    `isolate=False` runs the checkers in this process (no kill on timeout): for debugging and
    for profiling only.
    """
    if isolate:
        return _Scheduler(program, timeout_s, jobs, on_progress).run()
    notify = on_progress or (lambda _event: None)
    total = len(program.invariants)
    results = []
    for index, invariant in enumerate(program.invariants):
        notify(Progress("start", invariant.name, index, total))
        result = _guarded(program, invariant, timeout_s)
        notify(Progress("done", invariant.name, index, total, result))
        results.append(result)
    return tuple(results)
