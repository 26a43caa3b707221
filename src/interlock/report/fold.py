"""Folding a counterexample's repetition: one line for a loop unrolled a hundred times.

A `paused at most 30d` counterexample that re-fires a breaker every 6h has 240 steps that say
the same thing. `repeated_run` finds the longest stretch of steps that is one block of steps
repeated (identical steps: same waits, same breaker, same inputs), and `folded_lines` prints
it as one line per step of the block:

    +6h … +30d  breaker drain  fires every 6h, 120 times (each: pause withdrawals for 6h)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from interlock.semantics.trace import Step
from interlock.verifier.describe import fmt_duration, fmt_offset
from interlock.verifier.result import TimelineEntry

MIN_ROUNDS = 3
MAX_PERIOD = 8
_UNTIL = re.compile(r"until \+(\d+[wdhms](?: \d+[wdhms])*)")
_UNIT = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}


@dataclass(frozen=True)
class Run:
    start: int  # index of the first step of the first round
    period: int  # steps per round
    rounds: int


def repeated_run(steps: Sequence[Step]) -> Run | None:
    """The longest run of at least `MIN_ROUNDS` identical rounds of at most `MAX_PERIOD` steps."""
    best: Run | None = None
    n = len(steps)
    for p in range(1, min(MAX_PERIOD, n // MIN_ROUNDS) + 1):
        j = 0
        while j + p < n:
            k = j
            while k + p < n and steps[k] == steps[k + p]:
                k += 1
            rounds = (k - j + p) // p
            if rounds >= MIN_ROUNDS and (best is None or rounds * p > best.rounds * best.period):
                best = Run(j, p, rounds)
            j = max(k, j + 1)
    return best


def _seconds(text: str) -> int:
    return sum(int(n) * _UNIT[u] for n, u in re.findall(r"(\d+)([wdhms])", text))


def _each(entry: TimelineEntry) -> str:
    """The row's action with absolute ends (`until +12h`) turned into lengths (`for 6h`)."""
    return _UNTIL.sub(lambda m: f"for {fmt_duration(_seconds(m.group(1)) - entry.time)}",
                      entry.action).strip()


def folded_lines(rows: Sequence[TimelineEntry], run: Run) -> list[tuple[str, str, str]]:
    """`(times, actor, action)` for each acting row of the run's first round."""
    first = rows[run.start : run.start + run.period]
    span = sum(_seconds(r.action) for r in first if r.actor == "time")
    last_round = run.start + (run.rounds - 1) * run.period
    out = []
    for i, entry in enumerate(first):
        if entry.actor == "time":
            continue
        last = rows[last_round + i].time
        times = f"{fmt_offset(entry.time)} … {fmt_offset(last)}"
        every = f"every {fmt_duration(span)}, " if span else ""
        verb, _, rest = _each(entry).partition(": ")
        what = f"{verb} {every}{run.rounds} times" + (f" (each: {rest})" if rest else "")
        out.append((times, entry.actor, what))
    return out
