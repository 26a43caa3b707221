"""Time `interlock diff` on the examples and on generated rule files, for three kinds of edit.

    .venv/bin/python bench/diff.py [--timeout S] [--quick]

For each file: the file against itself (matching only), against a copy with the first breaker's
threshold raised (Z3 implications both ways, and the pause bounds of the scopes whose cone of
influence it touches), and against a copy with every breaker cooldown of 24h removed (the
pause bounds of most scopes). Prints wall-clock seconds, the number of changes and of
weakenings. No target is set; docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from genrules import generate  # noqa: E402

from interlock.dsl.frontend import compile_text  # noqa: E402
from interlock.verifier.diff.compare import compare  # noqa: E402
from interlock.verifier.diff.model import WEAKENING  # noqa: E402
from interlock.verifier.diff.sides import Side  # noqa: E402

THRESHOLD = re.compile(r"(breaker \w+ \{\s*when [^\n]*?> )(\d+)%")


def edits(text: str) -> dict[str, str]:
    return {
        "itself": text,
        "threshold": THRESHOLD.sub(lambda m: f"{m[1]}{int(m[2]) + 1}%", text, count=1),
        "cooldowns": text.replace("  cooldown 24h\n", ""),
    }


def measure(name: str, text: str, timeout_s: float) -> list[str]:
    old = compile_text(text, name).program
    assert old is not None, name
    cells = [name, str(len(old.breakers)), str(len(old.scopes))]
    for edited in edits(text).values():
        new = compile_text(edited, name).program
        assert new is not None, name
        t0 = time.perf_counter()
        changes = compare(Side(old, text), Side(new, edited), timeout_s)
        seconds = time.perf_counter() - t0
        weak = sum(c.verdict in WEAKENING for c in changes)
        cells.append(f"{seconds:.2f}s ({len(changes)}, {weak} weak)")
    print(f"measured {name}", file=sys.stderr)
    return cells


def table(rows: list[list[str]]) -> str:
    head = ["file", "breakers", "scopes", *(f"vs {k}" for k in edits(""))]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), sep, *(line(r) for r in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="examples and 10 breakers only")
    args = parser.parse_args()
    rows = [measure(str(p.relative_to(ROOT)), p.read_text(), args.timeout)
            for p in sorted((ROOT / "examples").glob("*.guard"))]
    for n in (10,) if args.quick else (10, 50, 200):
        rows.append(measure(f"generated {n}", generate(n, 4), args.timeout))
    print(table(rows))
    print("cells: wall-clock seconds (changes found, of which weaken or incomparable)")


if __name__ == "__main__":
    main()
