"""`interlock build`: reproducible outputs, manifest hashes, `--check` staleness, refusal on a
violated property, and cleanup of outputs an earlier build left behind. Real solc throughout."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from interlock import __version__
from interlock.build import MANIFEST, BuildOptions, build
from interlock.compiler.solc import SOLC_VERSION, compile_sources
from interlock.compiler.solc_imports import with_imports

ROOT = Path(__file__).resolve().parents[1]
VENUE = ROOT / "examples" / "perp_venue.guard"
BROKEN = ROOT / "examples" / "broken" / "perp_venue_unbounded.guard"
LENDING = ROOT / "examples" / "lending_market.guard"

pytestmark = pytest.mark.evm


def files_of(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` by its relative path (OpenZeppelin's are in subfolders)."""
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real build of the SPEC example, shared: tests work on copies of it."""
    base = tmp_path_factory.mktemp("build")
    (base / "rules").mkdir()
    shutil.copy(VENUE, base / "rules" / "perp_venue.guard")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(base)
        result = build(["rules/perp_venue.guard"], BuildOptions(Path("out"), jobs=2))
    assert result.exit_code == 0, result.notes
    return base


@pytest.fixture
def venue(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shared build's rule file; the test runs in its directory's parent."""
    shutil.copytree(pristine / "rules", tmp_path / "rules")
    monkeypatch.chdir(tmp_path)
    return Path("rules/perp_venue.guard")


@pytest.fixture
def built(pristine: Path, venue: Path, tmp_path: Path) -> Path:
    shutil.copytree(pristine / "out", tmp_path / "out")
    return Path("out")


def test_a_build_writes_every_output(built: Path, venue: Path) -> None:
    names = set(files_of(built))
    expected = {
        "PerpVenueGuard.sol",
        "IPerpVenueGuard.sol",
        "PerpVenueGuarded.sol",
        "PerpVenueGuard.json",
        "PerpVenue.ir.json",
        "PerpVenue.proofs.json",
        "perp_venue_monitor.py",
        MANIFEST,
    }
    assert expected <= names
    monitor = (built / "perp_venue_monitor.py").read_text()
    compile(monitor, "perp_venue_monitor.py", "exec")  # valid Python
    artifact = json.loads((built / "PerpVenueGuard.json").read_text())
    assert artifact["contractName"] == "PerpVenueGuard"
    assert artifact["bytecode"].startswith("0x") and len(artifact["bytecode"]) > 1000
    assert any(item.get("name") == "poke" for item in artifact["abi"])
    proofs = json.loads((built / "PerpVenue.proofs.json").read_text())
    assert {p["status"] for p in proofs["properties"]} == {"proved"}
    assert all("seconds" not in p for p in proofs["properties"])
    ir = json.loads((built / "PerpVenue.ir.json").read_text())
    assert ir["protocol"] == "PerpVenue"


def test_the_manifest_hashes_the_source_and_every_output(built: Path, venue: Path) -> None:
    manifest = json.loads((built / MANIFEST).read_text())
    assert manifest["interlock"] == __version__
    assert manifest["solc"]["version"].startswith(SOLC_VERSION + "+")
    assert manifest["solc"]["evm_version"] == "prague"
    (protocol,) = manifest["protocols"]
    assert protocol["source"]["path"] == "../rules/perp_venue.guard"
    assert protocol["source"]["sha256"] == hashlib.sha256(venue.read_bytes()).hexdigest()
    on_disk = files_of(built)
    assert set(manifest["files"]) == set(on_disk) - {MANIFEST}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(on_disk[name]).hexdigest() == digest
    deps = {n for n in manifest["files"] if n.startswith("@openzeppelin/contracts/")}
    assert sorted(protocol["outputs"]) == sorted(set(manifest["files"]) - deps)
    assert manifest["dependencies"] == {"@openzeppelin/contracts": "5.7.0"}


def test_the_outputs_compile_on_their_own(built: Path) -> None:
    """Self-contained: the guard's OpenZeppelin imports are written beside it under their import
    names, so solc with the output directory as base path needs no `node_modules`."""
    sources = {n: t.decode() for n, t in files_of(built).items() if n.endswith(".sol")}
    assert "@openzeppelin/contracts/utils/cryptography/ECDSA.sol" in sources
    assert with_imports(sources, root=built) == sources  # nothing is missing from `built`
    compiled = compile_sources(sources)
    artifact = json.loads((built / "PerpVenueGuard.json").read_text())
    assert compiled.contract("PerpVenueGuard").bytecode == artifact["bytecode"]
    assert not (built / "PerpVenue.ECDSA.json").exists()  # no artifacts of OpenZeppelin's


def test_rebuilding_is_byte_identical_and_writes_nothing(built: Path, venue: Path) -> None:
    before = files_of(built)
    again = build([str(venue.resolve())], BuildOptions(out_dir=built.resolve(), jobs=2))
    assert again.exit_code == 0
    assert again.changed == () and again.removed == ()
    assert files_of(built) == before


def test_check_passes_when_up_to_date_and_writes_nothing(built: Path, venue: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in built.iterdir()}
    result = build([str(venue)], BuildOptions(out_dir=built, check=True, jobs=2))
    assert result.exit_code == 0
    assert {p: p.stat().st_mtime_ns for p in built.iterdir()} == before


def test_check_fails_on_an_edited_output(built: Path, venue: Path) -> None:
    guard = built / "PerpVenueGuard.sol"
    guard.write_text(guard.read_text() + "// local edit\n")
    result = build([str(venue)], BuildOptions(out_dir=built, check=True, jobs=2))
    assert result.exit_code == 1
    assert result.changed == ("PerpVenueGuard.sol",)
    assert guard.read_text().endswith("// local edit\n")  # --check never writes


def test_check_fails_on_a_missing_output(built: Path, venue: Path) -> None:
    (built / "PerpVenue.ir.json").unlink()
    result = build([str(venue)], BuildOptions(out_dir=built, check=True, jobs=2))
    assert result.exit_code == 1 and "PerpVenue.ir.json" in result.changed


def test_check_fails_when_the_rules_changed(built: Path, venue: Path) -> None:
    text = venue.read_text()
    venue.write_text(text.replace("param max_leverage = 20", "param max_leverage = 15"))
    result = build([str(venue)], BuildOptions(out_dir=built, check=True, jobs=2))
    assert result.exit_code == 1
    assert {"PerpVenueGuard.sol", "PerpVenue.ir.json", MANIFEST} <= set(result.changed)
    rebuilt = build([str(venue)], BuildOptions(out_dir=built, jobs=2))
    assert rebuilt.exit_code == 0 and "PerpVenueGuard.sol" in rebuilt.changed


def test_a_violated_property_refuses_to_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = build([str(BROKEN)], BuildOptions(out_dir=out, jobs=2))
    assert result.exit_code == 1
    assert result.report.summary.violated >= 1
    assert not out.exists()
    forced = build([str(BROKEN)], BuildOptions(out_dir=out, force=True, jobs=2))
    assert forced.exit_code == 0
    proofs = json.loads((out / "PerpVenueUnbounded.proofs.json").read_text())
    violated = [p for p in proofs["properties"] if p["status"] == "violated"]
    assert violated and violated[0]["counterexample"]["steps"]


def test_invalid_input_builds_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.guard"
    bad.write_text("protocol\n")
    out = tmp_path / "out"
    result = build([str(bad)], BuildOptions(out_dir=out))
    assert result.exit_code == 2
    assert result.report.files[0].diagnostics[0].code.startswith("E")
    assert not out.exists()


def test_outputs_of_a_dropped_protocol_are_removed(built: Path, venue: Path) -> None:
    (built / "README.txt").write_text("not ours")
    both = build([str(venue), str(LENDING)], BuildOptions(out_dir=built, jobs=2))
    assert both.exit_code == 0
    lending = [n for n in files_of(built) if n.startswith("LendingMarket")]
    assert lending
    again = build([str(venue)], BuildOptions(out_dir=built, jobs=2))
    assert set(lending) <= set(again.removed)
    assert not any(n.startswith("LendingMarket") for n in files_of(built))
    assert (built / "README.txt").exists()  # only files an earlier build listed are removed


def test_the_cli_builds_and_gates_on_staleness(
    built: Path, venue: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from interlock.cli import main

    assert main(["build", str(venue), "-o", str(built), "--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    (built / "manifest.json").write_text("{}")
    assert main(["build", str(venue), "-o", str(built), "--check"]) == 1
    assert "stale: out/manifest.json" in capsys.readouterr().err
    assert main(["build", str(venue), "-o", str(built)]) == 0
    assert "wrote out/manifest.json" in capsys.readouterr().out
    assert main(["build", str(BROKEN), "-o", str(built)]) == 1
    assert "refusing to build" in capsys.readouterr().err


def test_a_solc_warning_on_the_generated_guard_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated guard has no warning (tests/compiler/test_solidity_fuzz.py); should one
    appear (an Interlock bug), the build says so instead of keeping it to solc's output."""
    import interlock.build as build_module

    def with_a_warning(program: object) -> dict[str, str]:
        sources = emit(program)
        sources["Warned.sol"] = (
            "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n"
            "contract Warned { function f() public pure { uint256 unused; } }\n")
        return sources

    emit = build_module.emit_solidity
    monkeypatch.setattr(build_module, "emit_solidity", with_a_warning)
    result = build([str(VENUE)], BuildOptions(out_dir=tmp_path / "out", jobs=2))
    assert result.exit_code == 0
    warned = [n for n in result.notes if n.startswith("solc warns on Warned.sol")]
    assert len(warned) == 1 and "please report" in warned[0], result.notes
