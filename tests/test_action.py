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

from tests.verifier.diff.rules import scratch_repo

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
SCHEMA = json.loads((ROOT / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def step(name: str) -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


def run_step(
    name: str, env: dict[str, str], tmp_path: Path, cwd: Path = ROOT
) -> tuple[int, str, dict[str, str]]:
    output = tmp_path / "github_output"
    output.touch()
    bin_dir = str(Path(sys.executable).parent)
    full_env = {
        **os.environ,
        **env,
        "GITHUB_OUTPUT": str(output),
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', os.environ['PATH'])}",
    }
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step(name)["run"]],
        cwd=cwd,
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
    results = data["runs"][0]["results"]
    # only the accepted W0806 (the example's chosen `gap`), carried as an in-source suppression
    assert [r["ruleId"] for r in results] == ["W0806"]
    assert results[0]["suppressions"][0]["kind"] == "inSource"


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


@pytest.mark.parametrize(
    ("diff_code", "fail_on_weaken", "expected"),
    [("", "true", 0), ("0", "true", 0), ("1", "true", 1), ("1", "false", 0), ("2", "false", 1)],
)
def test_fail_step_maps_diff_exit_codes(
    diff_code: str, fail_on_weaken: str, expected: int, tmp_path: Path
) -> None:
    env = {"CODE": "0", "FAIL_ON_UNKNOWN": "true", "DIFF_CODE": diff_code,
           "FAIL_ON_WEAKEN": fail_on_weaken}
    result, _, _ = run_step("Fail on violated, invalid or unknown", env, tmp_path)
    assert result == expected


def test_diff_step_on_a_scratch_repository_with_two_commits(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path)
    summary = tmp_path / "summary.md"
    env = {"DIFF_BASE": "HEAD~1", "DIFF_FILE": str(tmp_path / "diff.md"),
           "GITHUB_STEP_SUMMARY": str(summary)}
    code, log, outputs = run_step("Diff against the pull request's base", env, tmp_path, repo)
    assert code == 0, log  # the step succeeds so that the comment is posted
    assert outputs["exit-code"] == "1"
    markdown = (tmp_path / "diff.md").read_text(encoding="utf-8")
    assert markdown.startswith("<!-- interlock-diff -->\n### Interlock diff: ❌ weakens the guard")
    assert "#### `rules/venue.guard` against `HEAD~1:rules/venue.guard`" in markdown
    assert "| 🔴 weakens `W1002` | governor: set max_leverage · coalition | [23] |" in markdown
    assert "#### `rules/extra.guard` (new file)" in markdown
    assert summary.read_text(encoding="utf-8") == markdown


FAKE_GH = """#!/usr/bin/env python3
import json, os, sys
log = os.environ["GH_LOG"]
with open(log, "a", encoding="utf-8") as f:
    f.write(json.dumps({"args": sys.argv[1:], "stdin": "" if sys.stdin.isatty() else
                        sys.stdin.read()}) + "\\n")
if "--jq" in sys.argv and os.environ.get("GH_EXISTING"):
    print(os.environ["GH_EXISTING"])
"""


def fake_gh(tmp_path: Path, diff_file: Path, gh_log: Path, existing: str) -> dict[str, str]:
    """The post step's environment with a stand-in `gh` on PATH (GitHub's API does not run
    here): it records each call in `gh_log` and lists comment `existing` when asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH, encoding="utf-8")
    (bin_dir / "gh").chmod(0o755)
    return {"GH_TOKEN": "t", "PR_NUMBER": "7", "REPOSITORY": "o/r", "DIFF_FILE": str(diff_file),
            "GH_LOG": str(gh_log), "GH_EXISTING": existing,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.parametrize("existing", ["", "4242"])
def test_post_step_creates_or_updates_the_comment(existing: str, tmp_path: Path) -> None:
    diff_file = tmp_path / "diff.md"
    diff_file.write_text("<!-- interlock-diff -->\n| a | b |\n", encoding="utf-8")
    gh_log = tmp_path / "gh.log"
    env = fake_gh(tmp_path, diff_file, gh_log, existing)
    code, log, _ = run_step("Post the diff on the pull request", env, tmp_path)
    assert code == 0, log
    calls = [json.loads(line) for line in gh_log.read_text(encoding="utf-8").splitlines()]
    assert calls[0]["args"][:3] == ["api", "--paginate", "repos/o/r/issues/7/comments"]
    method, url = calls[1]["args"][2:4]
    expected = ("PATCH", "repos/o/r/issues/comments/4242") if existing else (
        "POST", "repos/o/r/issues/7/comments")
    assert (method, url) == expected
    assert json.loads(calls[1]["stdin"]) == {"body": diff_file.read_text(encoding="utf-8")}


def test_post_step_stays_quiet_when_no_rule_file_changed(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path)
    diff_file = tmp_path / "diff.md"
    env = {"DIFF_BASE": "HEAD", "DIFF_FILE": str(diff_file)}
    code, log, outputs = run_step("Diff against the pull request's base", env, tmp_path, repo)
    assert (code, outputs["exit-code"]) == (0, "0"), log
    assert "No rule file changed." in diff_file.read_text(encoding="utf-8").splitlines()
    gh_log = tmp_path / "gh.log"
    env = fake_gh(tmp_path, diff_file, gh_log, "")
    code, log, _ = run_step("Post the diff on the pull request", env, tmp_path)
    assert code == 0, log
    assert len(gh_log.read_text(encoding="utf-8").splitlines()) == 1  # the lookup only


def test_pre_commit_hooks_run_interlock_on_guard_files() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {h["id"]: h for h in hooks}
    assert by_id["interlock-check"]["entry"] == "interlock check"
    assert by_id["interlock-fmt"]["entry"] == "interlock fmt --check"
    for hook in hooks:
        assert hook["language"] == "python"
        assert hook["files"] == r"\.guard$"
