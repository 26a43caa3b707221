"""`op propose` for a protocol that inherits the guard under its own EIP-712 name.

A permit token `is ERC20Permit, TokGuarded`: one `EIP712` base, named "Tok Token", not
"TokGuard". With --rpc, `propose` reads the name from the contract's `eip712Domain()`
(EIP-5267); offline, `--domain-name` gives it; a file in the default name is refused by
`submit` before anything is sent (the guard computes another digest). On a real Anvil."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from interlock.cli import main
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.runtime.anvil import DEFAULT_KEYS, Anvil
from interlock.runtime.deploy import find_protocol
from interlock.testing.contracts import deploy
from tests.attacks.guards import ADDRESSES
from tests.compiler.conftest import SIGNER_KEYS

pytestmark = [pytest.mark.anvil, pytest.mark.evm]

RULES = """protocol Tok

signer alice {k0} entity foundation
signer bob   {k1} entity foundation
signer carol {k2} entity auditor

role guardian = 2 of [alice, bob, carol]

scope minting

allow guardian to pause * for at most 24h
"""

TOKEN = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {TokGuarded} from "./TokGuarded.sol";
import {TokAddresses} from "./ITokGuard.sol";

/// A permit token that is its own guard: the guard signs in the token's domain.
contract TokToken is ERC20Permit, TokGuarded {
    constructor()
        ERC20("Tok Token", "TOK")
        ERC20Permit("Tok Token")
        TokGuarded(TokAddresses.defaults())
    {}

    function mint(address to, uint256 amount) external whenActive(SCOPE_MINTING) {
        _mint(to, amount);
    }
}
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Anvil, Path, str]]:
    tmp = tmp_path_factory.mktemp("domain")
    rules = tmp / "tok.guard"
    rules.write_text(RULES.format(**ADDRESSES))
    build = tmp / "build"
    assert main(["build", str(rules), "-o", str(build)]) == 0
    program = find_protocol(build).program
    c = compile_sources({**emit_solidity(program), "TokToken.sol": TOKEN}).contract("TokToken")
    with Anvil() as node:
        w3 = Web3(Web3.HTTPProvider(node.http_url))
        token = deploy(w3, c.abi, c.bytecode)
        yield node, build, token.address


def _sign_all(build: Path, op: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    out = []
    for i in (0, 2):
        dest = op.with_name(f"{op.stem}-{i}.json")
        shutil.copy(op, dest)
        monkeypatch.setenv("SIGNER_KEY", "0x" + SIGNER_KEYS[i].hex())
        assert main(["op", "sign", str(dest), "--build", str(build), "--key-env",
                     "SIGNER_KEY"]) == 0
        out.append(dest)
    return out[0], out[1]


def test_propose_reads_the_inheriting_contracts_domain_name(
        setup: tuple[Anvil, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    node, build, token = setup
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INTERLOCK_SUBMITTER_KEY", DEFAULT_KEYS[2])
    assert main(["op", "propose", str(build), "pause", "minting", "for", "1h", "--rpc",
                 node.http_url, "--guard", token, "-o", "read.json"]) == 0
    data = json.loads(Path("read.json").read_text())
    assert data["typed_data"]["domain"]["name"] == "Tok Token"  # from eip712Domain()
    a, c = _sign_all(build, Path("read.json"), monkeypatch)
    assert main(["op", "submit", str(a), str(c), "--build", str(build), "--rpc",
                 node.http_url]) == 0
    assert "executed operation" in capsys.readouterr().out
    abi = json.loads((build / "TokGuard.json").read_text())["abi"]
    guard = Web3(Web3.HTTPProvider(node.http_url)).eth.contract(address=token, abi=abi)
    assert guard.functions.isActive(0).call() is False

    # offline: --domain-name gives the same typed data as reading it
    chain = ["--chain-id", "31337", "--guard", token]
    assert main(["op", "propose", str(build), "pause", "minting", "for", "1h", *chain,
                 "--domain-name", "Tok Token", "--nonce", "77", "-o", "given.json"]) == 0
    assert json.loads(Path("given.json").read_text())["typed_data"]["domain"]["name"] == \
        "Tok Token"
    # the default name is the standalone guard's: the contract refuses it, nothing is sent
    assert main(["op", "propose", str(build), "pause", "minting", "for", "1h", *chain,
                 "--nonce", "78", "-o", "default.json"]) == 0
    assert json.loads(Path("default.json").read_text())["typed_data"]["domain"]["name"] == \
        "TokGuard"
    a, c = _sign_all(build, Path("default.json"), monkeypatch)
    capsys.readouterr()
    assert main(["op", "submit", str(a), str(c), "--build", str(build), "--rpc",
                 node.http_url]) == 2
    assert "computes another digest" in capsys.readouterr().err
