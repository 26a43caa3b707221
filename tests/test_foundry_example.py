"""examples/foundry: `interlock build` then `forge test`, offline, as its README says.

A protocol inheriting the generated guard behind OpenZeppelin's ERC1967Proxy, tested by forge
(npm `@foundry-rs/forge-linux-amd64`) on the pinned solcjs through a `solc` wrapper. The build
market's own OpenZeppelin imports come from the repository's pinned npm install."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from interlock.build import BuildOptions, build
from interlock.compiler.solc_imports import node_modules
from tests.compiler.forge_lint import forge, solc_wrapper

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "foundry"
TESTS = ("test_initialize_sets_the_rule_files_values_in_the_proxy",
         "test_initialize_runs_once",
         "test_guardian_pauses_trading_behind_the_proxy",
         "test_a_set_stays_within_the_proved_range",
         "test_an_upgrade_keeps_the_guard_state_and_its_nonces",
         "test_the_fee_invariant_holds_after_an_upgrade",
         "test_addresses_are_chosen_at_deployment")

pytestmark = pytest.mark.evm


def test_the_foundry_example_passes_its_forge_tests(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "foundry"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("generated", "out", "cache"))
    (work / "node_modules").symlink_to(node_modules())  # `npm install` of the README
    monkeypatch.chdir(work)
    result = build(["market.guard"], BuildOptions(Path("generated")))
    assert result.exit_code == 0, result.notes
    assert (work / "generated" / "@openzeppelin/contracts/utils/cryptography/EIP712.sol").exists()
    proc = subprocess.run(
        [str(forge()), "test", "--offline", "--use", str(solc_wrapper(tmp_path))],
        cwd=work, capture_output=True, text=True, timeout=900, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    for name in TESTS:
        assert f"[PASS] {name}()" in out, out[-4000:]
    assert f"{len(TESTS)} passed; 0 failed" in out, out[-4000:]
