"""The generated monitor module: rules as data, deterministic, and it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from interlock.compiler.monitor_gen import emit_monitor, module_name
from interlock.ir.nodes import AlertEffect, Program

RUNTIME_TESTS = Path(__file__).resolve().parents[1] / "runtime"
sys.path.insert(0, str(RUNTIME_TESTS))

from monitor_kit import venue_program  # noqa: E402


def load(source: str) -> dict[str, Any]:
    ns: dict[str, Any] = {}
    exec(compile(source, "generated_monitor.py", "exec"), ns)
    return ns


def test_module_name_and_contents() -> None:
    program = venue_program()
    files = emit_monitor(program)
    assert list(files) == ["venue_monitor.py"]
    source = files["venue_monitor.py"]
    assert "Do not edit" in source and program.source_sha256 in source
    ns = load(source)
    assert ns["PROGRAM"] == program
    assert ns["RULES"] == (
        (0, "drain", "poke", 86400), (1, "oracle_divergence", "poke", None),
        (2, "tighten", "trip", None), (3, "spam", "tripSender", 3600),
        (4, "watch", "alert", None), (5, "inrush", "poke", None),
        (6, "feed_health", "poke", None),
    )
    assert emit_monitor(program) == files  # deterministic


def test_module_names_follow_the_protocol() -> None:
    p = venue_program()
    assert module_name(p.model_copy(update={"protocol": "PerpVenue"})) == "perp_venue_monitor"
    assert module_name(p.model_copy(update={"protocol": "AMM"})) == "amm_monitor"


def test_awkward_alert_text_round_trips() -> None:
    p = venue_program()
    watch = p.breakers[4]
    text = 'say """hi""" \\ and \'bye\''
    odd = watch.model_copy(update={"effects": (AlertEffect(text=text, span=watch.span),)})
    program = Program.model_validate(
        {**p.model_dump(), "breakers": [*p.model_dump()["breakers"][:4], odd.model_dump(),
                                        *p.model_dump()["breakers"][5:]]})
    ns = load(emit_monitor(program)["venue_monitor.py"])
    assert ns["PROGRAM"] == program


def test_generated_module_runs_its_command_line(tmp_path: Path) -> None:
    (name, source), = emit_monitor(venue_program()).items()
    path = tmp_path / name
    path.write_text(source)
    out = subprocess.run([sys.executable, str(path), "--help"], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0 and "--guard" in out.stdout and "--dry-run" in out.stdout
    bad = subprocess.run([sys.executable, str(path), "--rpc", "http://x", "--guard", "0x12"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "is not an address" in bad.stderr


def test_generated_module_lists_its_custom_reads() -> None:
    from interlock.dsl.frontend import compile_file

    root = Path(__file__).resolve().parents[2]
    program = compile_file(str(root / "examples" / "reserves_market.guard")).program
    assert program is not None
    (name, source), = emit_monitor(program).items()
    namespace: dict[str, Any] = {}
    exec(compile(source, name, "exec"), namespace)
    assert namespace["PROGRAM"] == program
    assert namespace["READS"] == tuple(
        (r.name, r.address, r.text(), r.args, r.unit) for r in program.reads)
    assert len(namespace["READS"]) == 4
