"""Compile the testkit's Solidity with the pinned solc and deploy contracts through web3.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from web3 import Web3

from interlock.compiler.solc import CompileResult, compile_sources

TESTKIT_FILES = ("TestToken.sol", "TestFeed.sol", "TestVault.sol", "Malicious.sol",
                 "GuardStateReader.sol", "ContractSigners.sol", "TestReads.sol")


def testkit_sources() -> dict[str, str]:
    """File name -> Solidity source of the test contracts."""
    base = resources.files("interlock.testing")
    return {name: base.joinpath(name).read_text(encoding="utf-8") for name in TESTKIT_FILES}


def compile_testkit() -> CompileResult:
    """The compiled test contracts (cached per process by solc's input hash)."""
    return compile_sources(testkit_sources(), allow_warnings=False)


def deploy(
    w3: Web3,
    abi: Sequence[Mapping[str, Any]],
    bytecode: str,
    *args: Any,
    sender: str | None = None,
) -> Any:
    """Deploy and return the web3 contract; raises when the deployment reverts."""
    factory = w3.eth.contract(abi=abi, bytecode=bytecode)
    tx_hash = factory.constructor(*args).transact({"from": sender or w3.eth.accounts[0]})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1 or receipt["contractAddress"] is None:
        raise RuntimeError("contract deployment reverted")
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi)


def deploy_compiled(w3: Web3, result: CompileResult, name: str, *args: Any,
                    sender: str | None = None) -> Any:
    """Deploy contract `name` of a compile result."""
    c = result.contract(name)
    return deploy(w3, c.abi, c.bytecode, *args, sender=sender)
