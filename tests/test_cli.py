"""The CLI as a user meets it: exit codes, caret output, JSON shape, ir, fmt (no verifier runs:
these files have no invariants or do not check)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock import check, cli
from interlock.ir.nodes import IR_VERSION

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "dsl" / "data" / "perp_venue.guard"
NO_INVARIANTS = "protocol P\nscope s\n"
BAD = "protocol P\nsigner a 0x1111111111111111111111111111111111111111\nrole r = 1 of [b]\n"


def _write(tmp_path: Path, text: str, name: str = "r.guard") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_check_invalid_input_exits_2_with_caret(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, BAD)
    assert cli.main(["check", path]) == 2
    out = capsys.readouterr().out
    assert f"{path}:3:16: error[E0201]: unknown name `b`" in out
    assert "3 | role r = 1 of [b]" in out
    assert "  |                ^\n" in out
    assert "Traceback" not in out


def test_check_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, BAD)
    assert cli.main(["check", "--format", "json", path]) == 2
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"version", "files", "summary"}
    [file] = report["files"]
    assert file["path"] == path and file["protocol"] is None and file["properties"] == []
    assert file["diagnostics"] == [{
        "code": "E0201", "severity": "error", "message": "unknown name `b`, expected a signer "
        "or a role", "line": 3, "column": 16, "end_line": 3, "end_column": 17}]
    assert report["summary"] == {"proved": 0, "violated": 0, "unknown": 0, "errors": 1}


def test_check_valid_file_without_invariants_exits_0(tmp_path: Path) -> None:
    assert cli.main(["check", _write(tmp_path, NO_INVARIANTS)]) == 0


def test_check_unreadable_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "/nonexistent/x.guard"]) == 2
    assert "error[E0001]: cannot read `/nonexistent/x.guard`" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check"]) == 2
    assert cli.main(["check", "--format", "xml", str(SPEC)]) == 2


def test_internal_error_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(check, "run_check", boom)  # cli imports it when the command runs
    path = _write(tmp_path, NO_INVARIANTS)
    assert cli.main(["check", path]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err == "internal error: kaboom (this is a bug; rerun with --debug)\n"
    assert cli.main(["check", path, "--debug"]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" in err and 'raise RuntimeError("kaboom")' in err
    assert err.rstrip().endswith("RuntimeError: kaboom")
    assert cli.main(["check", path]) == cli.EXIT_INTERNAL  # the flag does not outlive its run
    assert "Traceback" not in capsys.readouterr().err


def test_debug_is_the_parsed_option_not_a_raw_argument(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[list[str]] = []

    def boom(files: list[str], *_a: object) -> None:
        seen.append(files)
        raise RuntimeError("kaboom")

    monkeypatch.setattr(check, "run_check", boom)
    assert cli.main(["check", "--", "--debug"]) == cli.EXIT_INTERNAL  # a file named --debug
    assert seen == [["--debug"]]
    assert capsys.readouterr().err == "internal error: kaboom (this is a bug; rerun with --debug)\n"


def test_every_command_takes_debug() -> None:
    import typer.main

    group = typer.main.get_command(cli.app)
    commands = getattr(group, "commands", {})
    assert commands
    for name, command in commands.items():
        subcommands = getattr(command, "commands", None)  # a group (`op`): its commands
        for sub_name, sub in (subcommands or {name: command}).items():
            flags = {opt for p in sub.params for opt in p.opts}
            assert "--debug" in flags, f"{name} {sub_name}"


def test_ir_prints_the_program(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ir", str(SPEC)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["protocol"] == "PerpVenue" and data["ir_version"] == IR_VERSION == "3"
    assert data["breakers"][0]["when"]["terms"][0]["coef"] == 10


def test_ir_of_an_invalid_file_exits_2(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ir", _write(tmp_path, BAD)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "error[E0201]" in captured.err


def test_ir_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ir", "--schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == f"Interlock IR v{IR_VERSION}"


def test_fmt_check_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "protocol   P\nscope  s   # keep\n")
    assert cli.main(["fmt", "--check", path]) == 1
    assert cli.main(["fmt", path]) == 0
    assert capsys.readouterr().out == "protocol P\nscope s  # keep\n"
    assert cli.main(["fmt", "--write", path]) == 0
    assert Path(path).read_text(encoding="utf-8") == "protocol P\nscope s  # keep\n"
    assert cli.main(["fmt", "--check", path]) == 0


def test_fmt_of_unparsable_file_exits_2(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["fmt", _write(tmp_path, "protocol P\nscope s max 7\n")]) == 2
    assert "error[E0101]: expected a duration, found `7`" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from interlock import __version__

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"interlock {__version__}\n"
