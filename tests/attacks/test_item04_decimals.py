"""Issue 16, item 4: feed and token `decimals()` are checked against the rule file at deployment.

Before: an 18-decimals reference feed beside an 8-decimals main feed deployed silently and read
as ~100% deviation, so anyone's `poke` fired the breaker every time. Now the guard's
constructor reverts `WrongDecimals(target, expected, actual)` and `interlock deploy` refuses
before sending anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from interlock.cli import main
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.ir.addresses import constructor_args
from interlock.runtime.anvil import DEFAULT_KEYS, Anvil
from interlock.testing.contracts import compile_testkit, deploy, deploy_compiled
from tests.compiler.conftest import SIGNER_KEYS, Venue, error_selector, revert_data
from tests.compiler.programs import Addresses, venue_program

pytestmark = [pytest.mark.evm, pytest.mark.anvil]


def _guard(venue: Venue, *, ref_decimals: int, token_decimals: int = 6
           ) -> tuple[object, tuple[tuple[str, ...], ...]]:
    """(the guard's compiled contract, its constructor's arguments) for stand-ins of these
    decimals."""
    w3, kit = venue.chain.w3, compile_testkit()
    token = deploy_compiled(w3, kit, "TestToken", "USD Coin", "USDC", token_decimals)
    feed = deploy_compiled(w3, kit, "TestFeed", 8, 2000 * 10**8)
    ref = deploy_compiled(w3, kit, "TestFeed", ref_decimals, 2000 * 10**ref_decimals)
    program = venue_program(Addresses(
        signers=tuple(Account.from_key(k).address for k in SIGNER_KEYS), agent=venue.agent,
        token=token.address, vault=venue.vault.address, feed=feed.address,
        reference=ref.address), protocol="Dec")
    c = compile_sources(emit_solidity(program), allow_warnings=False).contract("DecGuard")
    return c, constructor_args(program)


@pytest.mark.parametrize(("ref_decimals", "token_decimals"), [(18, 6), (8, 18)])
def test_constructor_refuses_wrong_decimals(venue: Venue, ref_decimals: int,
                                            token_decimals: int) -> None:
    c, args = _guard(venue, ref_decimals=ref_decimals, token_decimals=token_decimals)
    factory = venue.chain.w3.eth.contract(abi=c.abi, bytecode=c.bytecode)  # type: ignore[attr-defined]
    with pytest.raises(Exception) as info:
        factory.constructor(*args).estimate_gas({"from": venue.deployer})
    assert revert_data(info.value).startswith(error_selector(c.abi, "WrongDecimals"))  # type: ignore[attr-defined]


def test_matching_decimals_deploy(venue: Venue) -> None:
    c, args = _guard(venue, ref_decimals=8)
    guard = deploy(venue.chain.w3, c.abi, c.bytecode, *args)  # type: ignore[attr-defined]
    assert guard.functions.isActive(0).call()


def test_deploy_command_refuses_wrong_decimals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Anvil() as node:
        w3, kit = Web3(Web3.HTTPProvider(node.http_url)), compile_testkit()
        accounts = list(w3.eth.accounts)
        token = deploy_compiled(w3, kit, "TestToken", "USD Coin", "USDC", 6)
        feed = deploy_compiled(w3, kit, "TestFeed", 8, 2000 * 10**8)
        ref = deploy_compiled(w3, kit, "TestFeed", 18, 2000 * 10**18)  # not the rule file's 8
        program = venue_program(Addresses(
            signers=tuple(Account.from_key(k).address for k in SIGNER_KEYS),
            agent=accounts[1], token=token.address, vault=accounts[2],
            feed=feed.address, reference=ref.address), protocol="Dec")
        c = compile_sources(emit_solidity(program)).contract("DecGuard")
        (tmp_path / "Dec.ir.json").write_text(program.model_dump_json())
        (tmp_path / "DecGuard.json").write_text(json.dumps({"abi": c.abi,
                                                            "bytecode": c.bytecode}))
        (tmp_path / "Dec.proofs.json").write_text(json.dumps({"properties": []}))
        monkeypatch.setenv("DEPLOYER", DEFAULT_KEYS[0])
        nonce = w3.eth.get_transaction_count(accounts[0])
        code = main(["deploy", str(tmp_path), "--rpc", node.http_url, "--key-env", "DEPLOYER"])
        err = capsys.readouterr().err
        assert code == 2 and "deployment refused" in err and "18 decimals" in err, err
        assert w3.eth.get_transaction_count(accounts[0]) == nonce  # nothing was sent
