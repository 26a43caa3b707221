"""Every operation command has `--help` with an example, and docs/commands.md names it."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.cli import main

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [["op", "propose"], ["op", "sign"], ["op", "status"], ["op", "submit"],
            ["op", "cancel"], ["status"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_has_an_example(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    assert "Example: interlock " + " ".join(command) in " ".join(capsys.readouterr().out.split())
    docs = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert "interlock " + " ".join(command) + " " in docs
