"""The GitHub Action (`action.yml`) and the pre-commit hooks: their shell steps run here with
the real `interlock`, as a runner would run them (inputs through the environment,
`$GITHUB_OUTPUT` a file), and the SARIF they produce validates against the shipped schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
SCHEMA = json.loads((ROOT / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def step(name: str) -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


def run_step(name: str, env: dict[str, str], tmp_path: Path) -> tuple[int, str, dict[str, str]]:
    output = tmp_path / "github_output"
    output.touch()
    bin_dir = str(Path(sys.executable).parent)
    full_env = {
        **os.environ,
        **env,
        "GITHUB_OUTPUT": str(output),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
    }
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step(name)["run"]],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return proc.returncode, proc.stdout + proc.stderr, outputs


def check_env(files: str, sarif: Path) -> dict[str, str]:
    return {"INPUT_FILES": files, "INPUT_ARGS": "--jobs 2", "SARIF_FILE": str(sarif)}


def test_the_action_is_composite_and_uploads_sarif_even_on_failure() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"files", "fail-on-unknown", "args", "upload-sarif", "sarif-file"} <= set(
        ACTION["inputs"]
    )
    upload = step("Upload SARIF to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["if"].startswith("always()")
    assert step("Fail on violated, invalid or unknown")["if"] == "always()"
    for s in ACTION["runs"]["steps"]:  # inputs reach scripts through env, never `${{ }}`
        assert "${{" not in s.get("run", "")


def test_check_step_on_proved_rules(tmp_path: Path) -> None:
    sarif = tmp_path / "out.sarif"
    code, log, outputs = run_step(
        "Check rule files", check_env("examples/perp_venue.guard", sarif), tmp_path
    )
    assert code == 0, log
    assert outputs["exit-code"] == "0"
    data = json.loads(sarif.read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["runs"][0]["results"] == []


def test_check_step_on_a_violation_reports_and_annotates(tmp_path: Path) -> None:
    sarif = tmp_path / "out.sarif"
    code, log, outputs = run_step(
        "Check rule files", check_env("examples/broken/*.guard", sarif), tmp_path
    )
    assert code == 0, log  # the step itself succeeds so that the upload runs
    assert outputs["exit-code"] == "1"
    data = json.loads(sarif.read_text())
    jsonschema.validate(data, SCHEMA)
    rules = [r["ruleId"] for r in data["runs"][0]["results"]]
    assert "interlock/violated" in rules
    assert "::error file=examples/broken/perp_venue_unbounded.guard,line=" in log


def test_check_step_without_matching_files(tmp_path: Path) -> None:
    code, log, outputs = run_step(
        "Check rule files", check_env("nothing/**/*.guard", tmp_path / "x.sarif"), tmp_path
    )
    assert code == 0
    assert outputs["exit-code"] == "2"
    assert "::error title=Interlock::no rule file matches" in log


@pytest.mark.parametrize(
    ("code", "fail_on_unknown", "expected"),
    [
        ("0", "true", 0),
        ("1", "true", 1),
        ("2", "true", 1),
        ("3", "true", 1),
        ("3", "false", 0),
        ("4", "false", 1),
        ("", "true", 1),
    ],
)
def test_fail_step_maps_exit_codes(
    code: str, fail_on_unknown: str, expected: int, tmp_path: Path
) -> None:
    result, _, _ = run_step(
        "Fail on violated, invalid or unknown",
        {"CODE": code, "FAIL_ON_UNKNOWN": fail_on_unknown},
        tmp_path,
    )
    assert result == expected


def test_pre_commit_hooks_run_interlock_on_guard_files() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {h["id"]: h for h in hooks}
    assert by_id["interlock-check"]["entry"] == "interlock check"
    assert by_id["interlock-fmt"]["entry"] == "interlock fmt --check"
    for hook in hooks:
        assert hook["language"] == "python"
        assert hook["files"] == r"\.guard$"
