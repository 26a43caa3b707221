"""`interlock build` gives byte-identical outputs whatever the machine load: every solver call
is budgeted in solver steps, not seconds (`interlock.verifier.budget`). Each pair of builds
below runs once on a quiet process and once next to busy loops on every core; with a tiny
solver budget too, where many searches give up — they must give up at the same point."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from interlock.build import BuildOptions, build

ROOT = Path(__file__).resolve().parents[1]
RULES = [ROOT / "examples" / "bridge.guard"]

pytestmark = pytest.mark.evm


@contextmanager
def cpu_load() -> Iterator[None]:
    """Busy loops on every core until the block ends (stopped by pid)."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 2)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def build_twice(tmp_path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    paths = [str(p) for p in RULES]
    quiet = build(paths, BuildOptions(out_dir=tmp_path / "quiet", force=True))
    with cpu_load():
        loaded = build(paths, BuildOptions(out_dir=tmp_path / "loaded", force=True))
    assert quiet.exit_code == loaded.exit_code == 0, (quiet.notes, loaded.notes)
    check = build(paths, BuildOptions(out_dir=tmp_path / "loaded", check=True))
    assert check.exit_code == 0, check.notes
    return outputs(tmp_path / "quiet"), outputs(tmp_path / "loaded")


def test_build_is_byte_identical_under_cpu_load(tmp_path: Path) -> None:
    quiet, loaded = build_twice(tmp_path)
    assert quiet == loaded
    assert b'"bound": 93600' in quiet["HarborBridge.proofs.json"]  # deposits_unlock: 26h, tightest


def test_build_is_byte_identical_with_a_tiny_solver_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERLOCK_SOLVER_BUDGET", "0.02")
    quiet, loaded = build_twice(tmp_path)
    assert quiet == loaded
