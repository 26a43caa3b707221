"""Every `interlock op propose` command the plan prints is accepted by `interlock op`'s own words
parser and resolves to the very `allow` line the plan cites it for."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from interlock.dsl.frontend import compile_file
from interlock.ir.nodes import Program
from interlock.operations.words import resolve
from interlock.plan.manual import BUILD_DIR, actions

ROOT = Path(__file__).resolve().parents[2]


def _value(program: Program, action_targets: tuple[str, ...], power_id: int) -> str:
    power = program.powers[power_id]
    lo, _ = power.within or (next(p.min for p in program.params if p.name == action_targets[0]),
                             0)
    return str(lo)


@pytest.mark.parametrize("example", ["perp_venue", "lending_market", "bridge", "amm"])
def test_plan_commands_resolve_to_their_power(example: str) -> None:
    path = ROOT / "examples" / f"{example}.guard"
    program = compile_file(str(path)).program
    assert program is not None
    proposed = 0
    for action in actions(program, path.read_text()):
        if action.kind == "cancel":
            assert action.command == "interlock op cancel QUEUED_FILE"
            continue
        prefix = f"interlock op propose {BUILD_DIR} "
        assert action.command.startswith(prefix)
        words = shlex.split(action.command.removeprefix(prefix))
        words = [_value(program, action.targets, action.power_id) if w == "VALUE" else w
                 for w in words]
        words = ["0x" + "ab" * 20 if w == "ADDRESS" else w for w in words]  # an unblock's sender
        words = ["1" if w == "HOLD_ID" else w for w in words]  # a `cancel holds`' hold
        assert "DURATION" not in words, action.command
        resolved = resolve(program, words, role=action.role)
        assert resolved.power.id == action.power_id, (action.command, resolved.power)
        proposed += 1
    assert proposed > 0
