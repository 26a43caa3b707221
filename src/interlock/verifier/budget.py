"""Deterministic solver budgets: every Z3 call is limited by a resource count, not by time.

Z3's `rlimit` counts solver steps, so a query with the same budget gets the same answer on a
quiet laptop and on a loaded CI runner; only how long it takes changes. Budgets are written in
*nominal seconds* (the time the budget takes on the reference machine, `RLIMIT_PER_S` steps per
second) so the tuning constants stay readable.

The wall clock is only a safety net: every call also gets the time left before the property's
deadline, and running out of it raises `OutOfTime`, which the checker turns into `unknown
(timeout)` — the only result that depends on machine load, and it never turns into a different
bound, proof or counterexample.

`INTERLOCK_SOLVER_BUDGET` (a factor, default 1) scales every budget: tests use a tiny one to
show that outputs stay byte-identical whatever the budget's outcome.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

RLIMIT_PER_S = 5_000_000  # Z3 resource units per CPU second, measured on the 2-core reference


class OutOfTime(Exception):
    """The wall-clock deadline passed: the property is `unknown` (timeout)."""


def _factor() -> float:
    try:
        return max(1e-6, float(os.environ.get("INTERLOCK_SOLVER_BUDGET", "1")))
    except ValueError:
        return 1.0


@dataclass(frozen=True)
class Clock:
    """The wall-clock deadline of one property, and the budget factor."""

    deadline: float
    factor: float = 1.0

    @staticmethod
    def start(timeout_s: float) -> Clock:
        return Clock(time.monotonic() + timeout_s, _factor())

    def units(self, seconds: float) -> int:
        return max(1, int(seconds * RLIMIT_PER_S * self.factor))

    def left_ms(self) -> int:
        """Milliseconds to the deadline; raises `OutOfTime` when there are none."""
        ms = int((self.deadline - time.monotonic()) * 1000)
        if ms <= 0:
            raise OutOfTime
        return ms

    def arm(self, solver: Any, seconds: float) -> None:
        """Give a `Solver` or `Fixedpoint` a budget of `seconds` nominal seconds."""
        solver.set("rlimit", self.units(seconds))
        solver.set("timeout", self.left_ms())

    def gave_up(self, reason: str) -> None:
        """After an `unknown`: raise `OutOfTime` if the wall clock (not the budget) stopped it.

        Z3 words a spent budget as "canceled" as well as a time-out, so the clock decides."""
        if time.monotonic() >= self.deadline - 0.01:
            raise OutOfTime
