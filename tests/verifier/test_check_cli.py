"""`interlock check` end to end with the verifier plugged in: exit codes, --strict, --explain,
--format json, progress on stderr."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from interlock.cli import main

ROOT = Path(__file__).resolve().parents[2]
VENUE = str(ROOT / "examples" / "perp_venue.guard")
BROKEN = str(ROOT / "examples" / "broken" / "perp_venue_unbounded.guard")

UNUSED_SCORE = """protocol T
signer alice 0x1111111111111111111111111111111111111111
signer bob   0x2222222222222222222222222222222222222222
role ops = 2 of [alice, bob]
scope s
feed ETH 0x5f4ec3df9cbd43714fe2740f5e3616155c5b8419 decimals 8
  reference 0x8888888888888888888888888888888888888888
score risk {
  40 when deviation(ETH) > 2%
}
allow ops to pause s for at most 1h
allow ops to unpause s
invariant two_keys: no unilateral signer
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_example_all_proved(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, VENUE, "--jobs", "2")
    assert code == 0, out
    assert out.rstrip().endswith("6 proved, 0 violated, 0 unknown, 0 error(s)")
    assert "[6/6]" in err or "6/6" in err  # progress went to stderr
    # every power's smallest coalitions, once per file
    assert out.count("smallest coalitions per power:") == 1
    assert "power #3 governor: set max_leverage" in out
    assert "power #0 guardian: pause * for at most 3d — fewest signers: 2 signers {" in out
    assert "; fewest entities (a separate witness): 2 entities {" in out


def test_violation_exits_1_with_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, BROKEN)
    assert code == 1
    assert "violated withdrawals_escape" in out
    block = out.split("violated withdrawals_escape", 1)[1]
    assert re.search(r"\n +\+\d+[smhdw]", block)  # timeline rows at offsets like +6h


def test_findings_warn_and_fail_under_strict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "t.guard"
    path.write_text(UNUSED_SCORE)
    code, out, _ = run(capsys, str(path))
    assert code == 0
    assert "t.guard:8:1: warning[W0804]: score `risk` is not used by any breaker" in out
    code, out, _ = run(capsys, str(path), "--strict")
    assert code == 1
    assert "error[W0804]" in out


def test_json_format_is_clean_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "t.guard"
    path.write_text(UNUSED_SCORE)
    code, out, _ = run(capsys, str(path), BROKEN, "--format", "json")
    assert code == 1
    obj = json.loads(out)
    assert obj["summary"] == {"proved": 6, "violated": 1, "unknown": 0, "errors": 0}
    assert obj["files"][0]["diagnostics"][0]["code"] == "W0804"
    broken = {p["name"]: p for p in obj["files"][1]["properties"]}
    steps = broken["withdrawals_escape"]["counterexample"]["steps"]
    assert steps and all(set(s) == {"time", "actor", "action"} for s in steps)


def test_explain_prints_the_certificate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, VENUE, "--explain", "no_single_org")
    assert code == 0
    assert "no_single_org: proved by exhaustive" in out
    assert "power #0 guardian: pause * for at most 3d — fewest signers: 2 signers" in out
    code, out, _ = run(capsys, VENUE, "--explain", "withdrawals_escape")
    assert "certificate:" in out or "no certificate" in out
    code, _, err = run(capsys, VENUE, "--explain", "nope")
    assert code == 2 and "no checked invariant is named `nope`" in err


def test_invalid_input_is_not_verified(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.guard"
    path.write_text(UNUSED_SCORE.replace("2 of [alice, bob]", "2 of [alice, bobb]"))
    code, out, err = run(capsys, str(path))
    assert code == 2
    assert "error[E0201]" in out + err
    assert "[1/1]" not in err  # no property was run


def test_tiny_timeout_gives_unknown_and_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    lending = str(ROOT / "examples" / "lending_market.guard")
    code, out, _ = run(capsys, lending, "--timeout", "0.01", "--format", "json")
    assert code == 3
    obj = json.loads(out)
    statuses = {p["name"]: p["status"] for p in obj["files"][0]["properties"]}
    assert statuses["no_single_key"] == "proved"  # exact coalition checks are instant
    assert "unknown" in statuses.values() and "violated" not in statuses.values()
