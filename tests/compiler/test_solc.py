"""The pinned solcjs compiles through node, reports errors and warnings, and is deterministic."""

from __future__ import annotations

import pytest

from interlock.compiler.solc import (
    SOLC_VERSION,
    SolcError,
    compile_sources,
    run_standard_json,
    standard_input,
)

pytestmark = pytest.mark.evm

OK = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;
contract A { uint256 public x; function set(uint256 v) external { x = v; } }
"""


def test_compiles_with_pinned_version_and_is_deterministic() -> None:
    r1 = compile_sources({"A.sol": OK})
    assert r1.version.startswith(SOLC_VERSION)
    a = r1.contract("A")
    assert a.bytecode.startswith("0x60") and len(a.deployed_bytecode) > 10
    assert {f["name"] for f in a.abi if f["type"] == "function"} == {"x", "set"}
    assert r1.contract("A.sol:A") == a
    assert not r1.messages
    # a different optimizer setting is a different cache entry, same source gives same code
    r2 = compile_sources({"A.sol": OK}, runs=1)
    assert r2.contract("A").abi == a.abi


def test_storage_layout_is_reported_and_changes_no_bytecode() -> None:
    """`storageLayout` is in the output selection for the storage-collision tests
    (tests/attacks/test_item11_upgrades.py); solc's code does not depend on what is selected."""
    src = OK.replace("uint256 public x;", "uint256 public x; uint128 y; uint128 z;")
    a = compile_sources({"L.sol": src}).contract("A")
    assert [(v.contract, v.label, v.slot, v.offset, v.type) for v in a.storage_layout] == [
        ("L.sol:A", "x", 0, 0, "t_uint256"),
        ("L.sol:A", "y", 1, 0, "t_uint128"),
        ("L.sol:A", "z", 1, 16, "t_uint128"),
    ]
    bare = standard_input({"L.sol": src})
    bare["settings"]["outputSelection"] = {"*": {"*": ["evm.deployedBytecode.object"]}}
    _version, output = run_standard_json(bare)
    assert "0x" + output["contracts"]["L.sol"]["A"]["evm"]["deployedBytecode"]["object"] == (
        a.deployed_bytecode)


def test_errors_are_reported_as_data() -> None:
    with pytest.raises(SolcError) as info:
        compile_sources({"B.sol": "pragma solidity 0.8.37; contract B { function f( }"})
    assert info.value.messages
    assert info.value.messages[0].severity == "error"
    assert "B.sol" in str(info.value)


def test_warnings_fail_when_not_allowed() -> None:
    src = OK.replace("x = v;", "uint256 unused = v; x = 1;")
    r = compile_sources({"W.sol": src})
    assert r.warnings and not r.errors
    with pytest.raises(SolcError):
        compile_sources({"W.sol": src}, allow_warnings=False)


def test_missing_compiler_is_an_error_not_a_skip(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: object) -> None:
    from interlock.compiler import solc

    monkeypatch.setenv("INTERLOCK_SOLCJS", str(tmp_path))
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setattr(solc, "__file__", str(tmp_path) + "/solc.py")
    with pytest.raises(SolcError, match="solcjs not found"):
        solc.find_solcjs()


def test_imports_resolve_from_node_modules_offline() -> None:
    """OpenZeppelin v5 (npm, pinned) through `with_imports`: the package's relative imports
    (`../utils/Context.sol`) are followed, and the files keep their import names."""
    from interlock.compiler.solc_imports import with_imports

    src = ('// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\nimport {Pausable} from '
           '"@openzeppelin/contracts/utils/Pausable.sol";\n'
           "contract P is Pausable { function f() external whenNotPaused {} }\n")
    sources = with_imports({"P.sol": src})
    assert set(sources) == {"P.sol", "@openzeppelin/contracts/utils/Pausable.sol",
                            "@openzeppelin/contracts/utils/Context.sol"}
    assert compile_sources(sources, allow_warnings=False).contract("P").deployed_bytecode


def test_a_missing_import_is_an_error() -> None:
    from interlock.compiler.solc_imports import with_imports

    with pytest.raises(SolcError, match=r"`@nope/x\.sol` not found"):
        with_imports({"Q.sol": 'import "@nope/x.sol";\n'})
