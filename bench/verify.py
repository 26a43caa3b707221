"""Time `interlock check`'s verification on the examples and on generated rule files.

    .venv/bin/python bench/verify.py [--jobs N] [--timeout S] [--repeat R] [--quick] [--issue18]

For each file: front end, findings, then `verify` (every property in its own worker process),
and a table of wall-clock times with the count of each status. Targets (docs/performance.md):
every example fully checked in under 2 s; the 200-breaker file in under 30 s. `--issue18` runs
issue 18's cases instead (`bench/issue_cases.py`): long counterexamples (7d, 30d, 90d limits;
1h and 6h pauses), breakers taking turns, 500 and 1,000 breakers over 4 and 20 scopes, and a
5,000-line file without invariants; targets in CPU seconds: a violated duration property < 2 s,
1,000 breakers over 4 scopes < 30 s, the 5,000-line file < 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from genrules import generate  # noqa: E402
from issue_cases import retrigger, staggered, wide  # noqa: E402

from interlock.dsl.frontend import compile_text  # noqa: E402
from interlock.verifier.engine import verify  # noqa: E402
from interlock.verifier.findings import find  # noqa: E402

STATUSES = ("proved", "violated", "unknown")


@dataclass(frozen=True)
class Row:
    name: str
    breakers: int
    scopes: int
    invariants: int
    front_s: float
    findings_s: float
    verify_s: float
    slowest: str
    statuses: str
    cpu_s: float  # CPU time of this process and its workers: less sensitive to other load

    @property
    def total_s(self) -> float:
        return self.front_s + self.findings_s + self.verify_s


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def measure(name: str, text: str, jobs: int, timeout_s: float) -> Row:
    c0 = _cpu()
    t0 = time.perf_counter()
    front = compile_text(text, name)
    t1 = time.perf_counter()
    program = front.program
    if program is None:
        raise SystemExit(f"{name}: front end errors: {[d.message for d in front.diagnostics]}")
    find(program)
    t2 = time.perf_counter()
    results = verify(program, timeout_s=timeout_s, jobs=jobs)
    t3 = time.perf_counter()
    cpu = _cpu() - c0
    for r in results:
        if r.status != "proved":
            print(f"  {name}: {r.name} {r.status} ({r.method}): {r.reason}", file=sys.stderr)
    counts = Counter(r.status for r in results)
    slow = max(results, key=lambda r: r.seconds, default=None)
    return Row(
        name=name,
        breakers=len(program.breakers),
        scopes=len(program.scopes),
        invariants=len(program.invariants),
        front_s=t1 - t0,
        findings_s=t2 - t1,
        verify_s=t3 - t2,
        slowest="-" if slow is None else f"{slow.name} {slow.seconds:.2f}s",
        statuses=" ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]),
        cpu_s=cpu,
    )


def table(rows: list[Row]) -> str:
    head = ("file", "breakers", "scopes", "props", "front", "findings", "verify", "total",
            "cpu", "slowest property", "results")
    body = [
        (r.name, str(r.breakers), str(r.scopes), str(r.invariants), f"{r.front_s:.2f}s",
         f"{r.findings_s:.2f}s", f"{r.verify_s:.2f}s", f"{r.total_s:.2f}s", f"{r.cpu_s:.2f}s",
         r.slowest, r.statuses)
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), sep, *(line(b) for b in body)])


def best_of(repeat: int, name: str, text: str, jobs: int, timeout_s: float) -> Row:
    """The fastest of `repeat` runs (the least disturbed by other load on the machine)."""
    rows = [measure(name, text, jobs, timeout_s) for _ in range(max(1, repeat))]
    print(f"measured {name}", file=sys.stderr)
    return min(rows, key=lambda r: r.total_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per file; the fastest counts")
    parser.add_argument("--quick", action="store_true", help="examples and 10 breakers only")
    parser.add_argument("--issue18", action="store_true", help="issue 18's cases only")
    args = parser.parse_args()
    rows: list[Row] = []
    if args.issue18:
        for name, text in issue18_cases():
            rows.append(best_of(args.repeat, name, text, args.jobs, args.timeout))
        _print(args, rows)
        return
    for path in sorted((ROOT / "examples").glob("*.guard")):
        rel = str(path.relative_to(ROOT))
        rows.append(best_of(args.repeat, rel, path.read_text(), args.jobs, args.timeout))
    sizes = [10] if args.quick else [10, 50, 200]
    for breakers in sizes:
        for scopes in (4, 20):
            name = f"generated {breakers}b/{scopes}s"
            text = generate(breakers, scopes)
            rows.append(best_of(args.repeat, name, text, args.jobs, args.timeout))
    _print(args, rows)


def issue18_cases() -> list[tuple[str, str]]:
    cases = [(f"retrigger {limit} ({pause} pauses)", retrigger(limit, pause))
             for limit in ("7d", "30d", "90d") for pause in ("1h", "6h")]
    cases += [(f"{n} staggered breakers", staggered(n)) for n in (3, 4, 5, 10)]
    cases += [(f"generated {b}b/{s}s", generate(b, s)) for b in (500, 1000) for s in (4, 20)]
    cases.append(("5,000 lines, no invariants", wide(5000)))
    return cases


def _print(args: argparse.Namespace, rows: list[Row]) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"jobs={args.jobs}, timeout={args.timeout:g}s per property, best of {args.repeat} runs, "
          f"{os.cpu_count()} cores, load average {load:.1f} at the end")
    print(table(rows))


if __name__ == "__main__":
    main()
