"""`interlock diff` end to end: exit codes, the four formats, `--base` on a scratch git
repository with two commits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from tests.verifier.diff.rules import BASE, LOWERED, STRONGER, scratch_repo

from interlock.cli import main

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["diff", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def files(tmp_path: Path, new: str, old: str = BASE) -> tuple[str, str]:
    (tmp_path / "old.guard").write_text(old, encoding="utf-8")
    (tmp_path / "new.guard").write_text(new, encoding="utf-8")
    return str(tmp_path / "old.guard"), str(tmp_path / "new.guard")


def test_weakening_exits_1_with_the_change(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    code, out, _ = run(capsys, *files(tmp_path, LOWERED))
    assert code == 1
    assert re.search(r"^weakens +\[W1002\] governor: set max_leverage · coalition  "
                     r".*new\.guard:23$", out, re.M), out
    assert "interlock diff: 1 weaken, 0 incomparable, 0 strengthen, 0 neutral" in out


def test_strengthening_only_exits_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, *files(tmp_path, STRONGER))
    assert code == 0
    assert "strengthens" in out and "timelock" in out


def test_invalid_new_file_exits_2_with_a_caret(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    old, new = files(tmp_path, BASE.replace("scope trading", "scope trading max"))
    code, out, _ = run(capsys, old, new)
    assert code == 2
    assert f"{new}:11:1: error[E0101]" in out and "error[E01" in out and "^" in out


def test_wrong_arguments_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, files(tmp_path, BASE)[0])
    assert code == 2 and "give two rule files" in err


def test_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--format", "json", *files(tmp_path, LOWERED))
    data = json.loads(out)
    assert code == data["exit_code"] == 1
    (change,) = data["files"][0]["changes"]
    assert change["verdict"] == "weakens" and change["code"] == "W1002" and change["fails"]
    assert change["span"]["line"] == 23 and change["aspect"] == "coalition"
    assert data["summary"]["weakens"] == 1


def test_markdown_is_a_compact_table(capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--format", "markdown", *files(tmp_path, LOWERED))
    lines = out.splitlines()
    assert code == 1 and lines[0] == "<!-- interlock-diff -->"
    assert "| verdict | change | line | before | after | evidence |" in lines
    row = next(line for line in lines if "W1002" in line)
    assert row.startswith("| 🔴 weakens `W1002` | governor: set max_leverage · coalition | [23] |")


def test_sarif_annotates_the_new_files_line(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--format", "sarif", *files(tmp_path, LOWERED))
    log = json.loads(out)
    jsonschema.validate(log, SCHEMA)
    (result,) = log["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert (code, result["ruleId"], region["startLine"]) == (1, "W1002", 23)
    assert uri.endswith("new.guard")
    assert log["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "W1002"


def test_base_compares_the_changed_files_with_the_ref(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(scratch_repo(tmp_path))
    code, out, _ = run(capsys, "--base", "HEAD~1", "--format", "json")
    data = json.loads(out)
    by_path = {f["path"]: f for f in data["files"]}
    assert code == 1 and set(by_path) == {"rules/venue.guard", "rules/extra.guard"}
    venue = by_path["rules/venue.guard"]
    assert venue["old"] == "HEAD~1:rules/venue.guard"
    assert [c["code"] for c in venue["changes"]] == ["W1002"]
    extra = by_path["rules/extra.guard"]  # new file: everything is added
    assert extra["old"] == "" and {c["aspect"] for c in extra["changes"]} == {"added"}


def test_base_with_named_files_and_a_deleted_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = scratch_repo(tmp_path)
    monkeypatch.chdir(repo)
    (repo / "rules" / "venue.guard").unlink()
    code, out, _ = run(capsys, "--base", "HEAD", "--format", "json", "rules/venue.guard")
    (venue,) = json.loads(out)["files"]
    assert code == 1 and venue["deleted"]
    removed = {c["name"] for c in venue["changes"] if c["code"] in ("W1009", "W1013")}
    assert removed == {"drain", "no_single_key", "withdrawals_escape", "leverage_bounds"}


def test_base_with_an_unknown_ref_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(scratch_repo(tmp_path))
    code, _, err = run(capsys, "--base", "no-such-ref")
    assert code == 2 and "unknown git ref `no-such-ref`" in err


def test_all_lists_every_compared_aspect_side_by_side(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--all", "--format", "json", *files(tmp_path, LOWERED))
    data = json.loads(out)
    changes = data["files"][0]["changes"]
    unchanged = [c for c in changes if not c["changed"]]
    assert code == 1 and data["summary"] == {
        "weakens": 1, "strengthens": 0, "neutral": 0, "incomparable": 0, "accepted": 0,
        "errors": 0}
    guardian = {c["aspect"]: c for c in unchanged if c["label"].startswith("guardian: pause")}
    assert set(guardian) == {"coalition", "timelock", "targets", "at most", "cooldown", "when"}
    assert guardian["coalition"]["before"] == guardian["coalition"]["after"] == (
        "2 signers {alice, carol}, 2 entities {foundation, auditor}")
    scope = {c["aspect"]: c["after"] for c in unchanged if c["subject"] == "scope"
             and c["name"] == "withdrawals"}
    assert scope == {"max": "3d", "gap": "1d", "pause bound": "at most 6h"}
    assert all(c["verdict"] == "neutral" and c["code"] is None for c in unchanged)


def test_markdown_fits_a_github_comment(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    from interlock.report import diff_markdown

    _, full, _ = run(capsys, "--all", "--format", "markdown", *files(tmp_path, LOWERED))
    rows = sum(line.startswith("| ") for line in full.splitlines())
    budget = len(full) // 2
    lines = full.splitlines()
    fitted = diff_markdown.fit_comment(lines, budget)
    assert sum(len(line) + 1 for line in fitted) < budget + 200
    kept = sum(line.startswith("| ") for line in fitted)
    assert f"… {rows - kept} more rows cut" in fitted[-2]
    assert any("W1002" in line for line in fitted)  # the weakening row is kept
