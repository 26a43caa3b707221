"""The plan sidecar: typed, checked against the rules; errors at the sidecar's file:line, exit 2."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from interlock.dsl.frontend import compile_file
from interlock.plan.facts import load_facts, sidecar_path

ROOT = Path(__file__).resolve().parents[2]
VENUE = ROOT / "examples" / "perp_venue.guard"


def _venue(tmp_path: Path, sidecar: str) -> Path:
    rules = tmp_path / "perp_venue.guard"
    shutil.copy(VENUE, rules)
    sidecar_path(str(rules)).write_text(sidecar, encoding="utf-8")
    return rules


def _diags(rules: Path) -> list[str]:
    program = compile_file(str(rules)).program
    assert program is not None
    return [f"{d.span.line}:{d.span.column} {d.code} {d.message} {d.help}"
            for d in load_facts(program).diagnostics]


def test_the_examples_sidecar_is_valid() -> None:
    program = compile_file(str(VENUE)).program
    assert program is not None
    loaded = load_facts(program)
    assert loaded.diagnostics == ()
    assert loaded.facts.incidents["fund_drain"].owner == "guardian"
    assert "guardian" in loaded.facts.contacts


def test_no_sidecar_is_no_facts(tmp_path: Path) -> None:
    rules = tmp_path / "perp_venue.guard"
    shutil.copy(VENUE, rules)
    program = compile_file(str(rules)).program
    assert program is not None
    assert load_facts(program).path is None


@pytest.mark.parametrize(("sidecar", "expected"), [
    ('[contacts]\nguardain = ["#sec"]\n',
     "2:1 E0201 unknown role, entity or signer `guardain` did you mean `guardian`?"),
    ('[incidents.fund_drain]\nowner = "watcher"\n',
     "2:10 E0201 unknown role or entity `watcher` None"),
    ('[incidents.fund_drain]\nowner = "guardian"\nseverity = "SEV9"\n',
     "3:13 E0201 unknown severity level `SEV9` None"),
    ('[incidents.fund_drian]\nowner = "guardian"\n',
     "1:12 E0210 `incidents.fund_drian`: input should be 'fund_drain', 'oracle_manipulation', "
     "'key_compromise', 'governance_attack' or 'feed_outage' None"),
    ('oncall = \n', "1:10 E0101 invalid TOML: invalid value None"),
])
def test_bad_sidecars(tmp_path: Path, sidecar: str, expected: str) -> None:
    assert _diags(_venue(tmp_path, sidecar)) == [expected]


def test_cli_reports_file_line_and_exits_2(tmp_path: Path) -> None:
    rules = _venue(tmp_path, '# who decides\n[incidents.key_compromise]\nowner = "councl"\n')
    run = subprocess.run(
        [str(Path(sys.executable).parent / "interlock"), "plan", str(rules),
         "-o", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert run.returncode == 2, run.stderr
    side = sidecar_path(str(rules)).as_posix()
    assert f"{side}:3:10: error[E0201]: unknown role or entity `councl`" in run.stderr
    assert '3 | owner = "councl"' in run.stderr
    assert "did you mean `council`?" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()
