"""Import cost of the two entry points a user waits on, printed as a table.

    .venv/bin/python bench/imports.py [--runs 7] [--src OTHER/src]

1. `interlock --help` (the console script).
2. Importing a generated monitor module (`perp_venue_monitor.py`, built here from
   examples/perp_venue.guard).

Each runs under `python -X importtime`; the figure is the sum of the cumulative time of every
top-level import (interpreter start-up modules included), median of the runs. It also reports
whether z3 or `interlock.verifier` were loaded. Targets: no z3 in either; `--help` under 150 ms.
`--src` measures another checkout's `src/` (e.g. an older commit's, from `git archive`) with
this environment, for before/after figures taken under the same load.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HEADER = """\
| entry point                | median     | min        | z3  | verifier | interlock modules |
|----------------------------|------------|------------|-----|----------|-------------------|"""
HEADER = """\
| entry point                | median     | min        | z3  | verifier | interlock modules |
|----------------------------|------------|------------|-----|----------|-------------------|"""
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)$")


def import_profile(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, set[str]]:
    """Total import time in ms (top-level cumulative sum) and the names of the modules loaded."""
    done = subprocess.run([PYTHON, "-X", "importtime", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=True)
    total_us = 0
    names: set[str] = set()
    for line in done.stderr.splitlines():
        match = LINE.match(line)
        if match is None:
            continue
        _, cumulative, indent, name = match.groups()
        names.add(name)
        if indent == "":
            total_us += int(cumulative)
    return total_us / 1000, names


def loaded(names: set[str], prefix: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for name in names)


def measure(label: str, args: list[str], cwd: Path, env: dict[str, str], runs: int) -> str:
    times = []
    names: set[str] = set()
    for _ in range(runs):
        ms, names = import_profile(args, cwd, env)
        times.append(ms)
    z3 = "yes" if loaded(names, "z3") else "no"
    verifier = "yes" if loaded(names, "interlock.verifier") else "no"
    interlock = sum(1 for name in names if name.startswith("interlock"))
    return (
        f"| {label:<26} | {statistics.median(times):7.1f} ms | {min(times):7.1f} ms "
        f"| {z3:<3} | {verifier:<8} | {interlock:>17} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--src", type=Path, help="import interlock from this src/ directory")
    args = parser.parse_args()
    runs = args.runs
    env = dict(os.environ)
    if args.src is not None:
        env["PYTHONPATH"] = str(args.src.resolve())
    script = str(Path(PYTHON).parent / "interlock")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        subprocess.run(
            [script, "build", str(ROOT / "examples" / "perp_venue.guard"), "-o", str(out)],
            check=True,
            capture_output=True,
            env=env,
        )
        load = os.getloadavg()[0]
        print(f"median of {runs} runs, python -X importtime, load average {load:.1f}")
        print(HEADER)
        print(measure("interlock --help", [script, "--help"], ROOT, env, runs))
        monitor = ["-c", "import perp_venue_monitor"]
        print(measure("import generated monitor", monitor, out, env, runs))


if __name__ == "__main__":
    main()
