"""`interlock drill` end to end on the SPEC §1 venue: real solc, real Anvil, the operations'
own propose/sign/submit with test keys. Fails (does not skip) without them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interlock.cli import main

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.evm


def test_drill_rehearses_every_class_of_the_venue(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(ROOT / "examples" / "perp_venue.guard", tmp_path / "perp_venue.guard")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "perp_venue.guard", "-o", "build", "--jobs", "2"]) == 0
    capsys.readouterr()
    assert main(["drill", "build"]) == 0
    out = capsys.readouterr().out
    titles = [line for line in out.splitlines() if not line.startswith(" ")]
    assert titles[:5] == ["Fund drain:", "Oracle manipulation:", "Key compromise:",
                          "Governance attack:", "Feed outage:"]
    assert "ok   breaker `drain` (flow report): fired in block" in out
    assert "ok   breaker `oracle_divergence` (poke by anyone): fired in block" in out
    assert "ok   breaker `halt` (trip by the agent): fired in block" in out
    assert ("ok   `guardian: pause * for at most 3d` (propose, sign by alice, carol, submit): "
            "executed operation 0x") in out
    # the governor's timelock: queued, the clock moved 2d, executed (3 blocks)
    assert ("ok   `governor: extend withdrawals by at most 1w` (propose, sign by alice, bob, "
            "carol, submit): executed operation") in out
    assert "FAIL" not in out
    assert out.splitlines()[-1] == "27/27 steps did what the plan says"



NOTIONAL = """protocol Bridge
signer alice 0x1111111111111111111111111111111111111111
signer bob 0x2222222222222222222222222222222222222222
role guardian = 2 of [alice, bob]
scope withdrawals
asset WETH 0x00000000000000000000000000000000000000c1 decimals 18 priced by ETH_USD
asset USDC 0x00000000000000000000000000000000000000c5 decimals 6 priced by USDC_USD
vault pool 0x00000000000000000000000000000000000000c2 holds WETH, USDC
feed ETH_USD 0x00000000000000000000000000000000000000c3 decimals 8 quote USD
feed USDC_USD 0x00000000000000000000000000000000000000c4 decimals 8 quote USD
breaker notional {
  when value(outflow(*, 24h)) > 1_000_000 USD
  then pause withdrawals for 6h
  cooldown 24h
}
allow guardian to unpause withdrawals
invariant w: withdrawals paused at most 6h
"""


def test_drill_crosses_a_notional_limit_with_a_priced_flow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`value(outflow(*, 24h))`: the drill reports a large outflow of the first priced asset
    (600k WETH at the stage's 2,000 USD), and the guard fires on the report."""
    (tmp_path / "bridge.guard").write_text(NOTIONAL)
    monkeypatch.chdir(tmp_path)
    assert main(["build", "bridge.guard", "-o", "build", "--jobs", "2"]) == 0
    capsys.readouterr()
    assert main(["drill", "build"]) == 0
    out = capsys.readouterr().out
    assert "ok   breaker `notional` (flow report): fired in block" in out
    assert "FAIL" not in out
