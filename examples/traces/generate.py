"""Regenerate the trace library in this directory (deterministic: the same bytes every time).

    .venv/bin/python examples/traces/generate.py
"""

from __future__ import annotations

from pathlib import Path

from interlock.backtest.library.benign import BENIGN, write_benign
from interlock.backtest.library.build import write_incident
from interlock.backtest.library.incidents import INCIDENTS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

if __name__ == "__main__":
    for spec in INCIDENTS:
        print(write_incident(spec, HERE, ROOT).relative_to(ROOT))
    for benign in BENIGN:
        print(write_benign(benign, HERE, ROOT).relative_to(ROOT))
