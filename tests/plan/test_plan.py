"""`interlock plan`: golden plans for two examples (`INTERLOCK_UPDATE_GOLDEN=1` rewrites them),
backtest limits, and `interlock build` keeping the plan true (`--check` sees a stale plan)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from interlock.build import BuildOptions, build
from interlock.check import CheckOptions, file_report, verify_properties
from interlock.dsl.frontend import compile_file
from interlock.plan.command import plan_files

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "plan"
UPDATE = os.environ.get("INTERLOCK_UPDATE_GOLDEN") == "1"


def _plan(path: str, backtest: dict[str, object] | None = None) -> dict[str, bytes]:
    front = compile_file(path)
    assert front.program is not None
    report = file_report(front, path, CheckOptions(), verify_properties)
    return plan_files(front.program, report, backtest=backtest)


@pytest.mark.parametrize("example", ["perp_venue", "lending_market"])
def test_golden_plans(example: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for name, data in _plan(f"examples/{example}.guard").items():
        path = GOLDEN / name
        if UPDATE:
            path.write_bytes(data)
        assert path.exists(), f"missing golden file {path}; run with INTERLOCK_UPDATE_GOLDEN=1"
        assert data.decode() == path.read_text(encoding="utf-8"), name


def test_venue_plan_says_what_the_rules_say(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    md = _plan("examples/perp_venue.guard")["PerpVenue.plan.md"].decode()
    assert "when `outflow(USDC, 1h) > 10% of tvl(USDC)` → `pause withdrawals for 6h`" in md
    assert "`interlock op propose BUILD_DIR pause '*' for 3d`" in md
    assert "`interlock op propose BUILD_DIR unpause liquidations`" in md
    assert "smallest set: alice, carol (entities: foundation, auditor)" in md
    assert "2d timelock" in md
    assert "p99 23.5 ms" in md  # docs/performance.md's figure, quoted
    assert "| `withdrawals_escape` | 91 |" in md and "| proved |" in md
    assert "- guardian: Signal group `PerpVenue guardian`" in md


def test_backtest_limits(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A real backtest over Harvest (5.3% of the pool, under `drain`'s 10%): not contained."""
    from interlock.backtest.run import BacktestOptions, run_backtest

    monkeypatch.chdir(ROOT)
    out = tmp_path / "bt.json"
    code, _, err = run_backtest("examples/perp_venue.guard",
                                ["examples/traces/harvest-2020-10.jsonl.gz"],
                                BacktestOptions("json", None, out, None))
    assert code == 0, err
    md = _plan("examples/perp_venue.guard", json.loads(out.read_text()))["PerpVenue.plan.md"]
    assert b"backtest `harvest_2020_10` (examples/traces/harvest-2020-10.jsonl.gz): not " \
           b"contained; attackers took 24000000000 USDC (base units) with the rules" in md


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.evm
def test_build_writes_the_plan_and_check_sees_it_stale(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("perp_venue.guard", "perp_venue.plan.toml"):
        shutil.copy(ROOT / "examples" / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    options = BuildOptions(Path("out"), jobs=2)
    assert build(["perp_venue.guard"], options).exit_code == 0
    plan = Path("out/PerpVenue.plan.md")
    manifest = json.loads(Path("out/manifest.json").read_text())
    assert {"PerpVenue.plan.md", "PerpVenue.plan.html"} <= set(manifest["files"])
    assert manifest["protocols"][0]["plan_facts"]["path"] == "../perp_venue.plan.toml"
    check = BuildOptions(Path("out"), check=True, jobs=2)
    assert build(["perp_venue.guard"], check).exit_code == 0
    before = plan.read_text()

    _edit(Path("perp_venue.guard"), "> 10% of tvl(USDC)\n", "> 12% of tvl(USDC)\n")
    _edit(Path("perp_venue.guard"), "role guardian = 2 of", "role guardian = 3 of")
    stale = build(["perp_venue.guard"], check)
    assert stale.exit_code == 1
    assert {"PerpVenue.plan.md", "PerpVenue.plan.html"} <= set(stale.changed)
    after = stale.outputs["PerpVenue.plan.md"].decode()
    assert "`outflow(USDC, 1h) > 12% of tvl(USDC)`" in after
    assert "signers: 3 of [alice, carol, dave]; smallest set: alice, carol, dave" in after
    assert after != before and plan.read_text() == before  # --check writes nothing

    assert build(["perp_venue.guard"], options).exit_code == 0
    _edit(Path("perp_venue.plan.toml"), "Discord #perpvenue-incidents", "Discord #incidents")
    stale = build(["perp_venue.guard"], check)
    assert stale.exit_code == 1 and "PerpVenue.plan.md" in stale.changed

    _edit(Path("perp_venue.plan.toml"), 'owner = "council"', 'owner = "counsil"')
    bad = build(["perp_venue.guard"], check)
    assert bad.exit_code == 2
    sidecar = next(f for f in bad.report.files if f.path == "perp_venue.plan.toml")
    assert [d.code for d in sidecar.diagnostics] == ["E0201"]


def test_a_notional_limit_answers_fund_drains() -> None:
    from interlock.dsl.frontend import compile_file
    from interlock.plan.automated import classes_of

    bridge = compile_file(str(Path(__file__).resolve().parents[2] / "examples" / "bridge.guard"))
    assert bridge.program is not None
    assert classes_of(bridge.program, bridge.program.breaker("notional_24h")) == ("fund_drain",)
