"""EIP-170: `interlock build` refuses a guard whose runtime code no chain would deploy, and names
the rules that cost the most bytes (compiler/codesize.py). Real solc."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from interlock import cli
from interlock.compiler.codesize import EIP170_LIMIT, instructions
from interlock.ir.codes import BUILD_TITLES, TOO_LARGE
from tests.compiler.market_gen import market

pytestmark = pytest.mark.evm


def test_source_map_entries_follow_instructions_and_push_data() -> None:
    # PUSH2 0x0102, PUSH1 0x00, ADD: three instructions, the first two carrying data
    got = list(instructions("0x61010260000" + "1", "5:3:0;;9:1:1"))
    assert got == [(3, 5, 0), (2, 5, 0), (1, 9, 1)]


def test_a_20_reserve_market_fails_the_build_naming_its_costliest_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "market.guard").write_text(market(20))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["build", "market.guard", "-o", "out"]) == 2
    err = capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written
    head = re.search(r"market\.guard:\d+:1: error\[E0601\]: `Market20Guard` is ([\d,]+) bytes "
                     r"of runtime code, over EIP-170's 24,576", err)
    assert head is not None, err
    assert int(head.group(1).replace(",", "")) > EIP170_LIMIT
    notes = re.findall(r"= note: `([^`]+)`: ([\d,]+) bytes at market\.guard:(\d+):", err)
    assert len(notes) == 5, err
    sizes = [int(n.replace(",", "")) for _, n, _ in notes]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 50
    assert all(label.startswith(("breaker ", "allow ", "scope ")) for label, _, _ in notes)
    lines = (tmp_path / "market.guard").read_text().splitlines()
    for label, _, line in notes:  # each note points at its rule's declaration
        assert label.split()[1] in lines[int(line) - 1], (label, line)
    assert "bytes by kind: breakers" in err and "costliest scopes with their rules: `reserve" in err
    assert "nothing was built" in err


def test_the_code_has_a_title() -> None:
    assert "EIP-170" in BUILD_TITLES[TOO_LARGE]
    doc = (Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md").read_text()
    assert f"### {TOO_LARGE}: {BUILD_TITLES[TOO_LARGE]}" in doc



def test_fewer_optimizer_runs_give_smaller_code_by_about_one_percent(tmp_path: Path) -> None:
    """`build --optimizer-runs` reaches solc, and E0601's help ("`--optimizer-runs 1` trims
    only about 1%") and docs/language.md's figures hold."""
    rules = tmp_path / "market.guard"
    rules.write_text(market(5))
    sizes = {}
    for runs in (1, 200):
        out = tmp_path / f"out{runs}"
        assert cli.main(["build", str(rules), "-o", str(out), "--optimizer-runs", str(runs)]) == 0
        code = json.loads((out / "Market5Guard.json").read_text())["deployedBytecode"]
        sizes[runs] = (len(code) - 2) // 2
    assert 0.005 < 1 - sizes[1] / sizes[200] < 0.03, sizes
