"""Fixtures: a real EVM (py-evm in process, or Anvil over HTTP), and the venue guard deployed
on it with the test token, vault and feeds whose addresses are compiled into the guard.

Nothing here skips: without solc, node or Anvil the fixtures raise, so the tests fail (CI sets
`CI=true` and must see them fail, never pass vacuously).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from web3 import EthereumTesterProvider, Web3
from web3.exceptions import ContractCustomError

from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.ir.addresses import constructor_args
from interlock.ir.nodes import Program
from interlock.runtime.anvil import Anvil
from interlock.testing.contracts import compile_testkit, deploy, deploy_compiled
from interlock.testing.signing import Operation, domain, sign_operation
from tests.compiler.programs import Addresses, venue_program

T0 = 2_000_000_000
SIGNER_KEYS = tuple(bytes([i + 1]) * 32 for i in range(5))  # alice..erin test keys
STRANGER_KEY = bytes([0x77]) * 32


class Chain:
    """web3 plus exact control of the next block's timestamp and snapshots."""

    def __init__(self, w3: Web3, tester: EthereumTester | None = None,
                 node: Anvil | None = None) -> None:
        self.w3, self.tester, self.node = w3, tester, node
        self.accounts: list[str] = list(w3.eth.accounts)

    def at(self, ts: int) -> None:
        """The next transaction is mined at timestamp `ts`."""
        if self.node is not None:
            self.node.rpc("evm_setNextBlockTimestamp", [ts])
        else:
            assert self.tester is not None
            self.tester.time_travel(ts)

    def at_or_next(self, ts: int | None) -> None:
        """At `ts`, or (on Anvil) one second after the latest block: Anvil would otherwise
        stamp blocks by the wall clock, and a slow run could overtake a later `at`."""
        if ts is not None:
            self.at(ts)
        elif self.node is not None:
            self.at(int(self.w3.eth.get_block("latest")["timestamp"]) + 1)

    def snapshot(self) -> Any:
        if self.node is not None:
            return self.node.rpc("evm_snapshot")
        assert self.tester is not None
        return self.tester.take_snapshot()

    def revert(self, snap: Any) -> None:
        if self.node is not None:
            self.node.rpc("evm_revert", [snap])
        else:
            assert self.tester is not None
            self.tester.revert_to_snapshot(snap)

    def tx(self, fn: Any, sender: str, *, at: int | None = None) -> Any:
        """Send `fn` from `sender` (optionally at a timestamp); returns the receipt."""
        self.at_or_next(at)
        h = fn.transact({"from": sender, "gas": 3_000_000})
        receipt = self.w3.eth.wait_for_transaction_receipt(h)
        assert receipt["status"] == 1, "transaction reverted"
        return receipt

    def timestamp(self, receipt: Any) -> int:
        return int(self.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


def error_selector(abi: list[dict[str, Any]], name: str) -> str:
    entry = next(e for e in abi if e["type"] == "error" and e["name"] == name)
    sig = f"{name}({','.join(i['type'] for i in entry['inputs'])})"
    return "0x" + Web3.keccak(text=sig)[:4].hex()


def expect_revert(chain: Chain, contract: Any, fn: Any, sender: str, name: str, *,
                  at: int | None = None) -> None:
    """`fn` from `sender` reverts with the custom error `name` (and changes nothing)."""
    chain.at_or_next(at)
    with pytest.raises(Exception) as info:
        fn.call({"from": sender}, block_identifier="pending")
    data = revert_data(info.value)
    assert data.startswith(error_selector(contract.abi, name)), f"{name} expected, got {data}"
    # the transaction itself (gas given, so no estimation) reverts too
    try:
        h = fn.transact({"from": sender, "gas": 3_000_000})
    except Exception as exc:  # py-evm refuses a reverting transaction at once
        assert revert_data(exc).startswith(error_selector(contract.abi, name))
    else:
        assert chain.w3.eth.wait_for_transaction_receipt(h)["status"] == 0


def expect_view_revert(contract: Any, fn: Any, name: str, sender: str | None = None) -> None:
    """A view call reverts with the custom error `name`."""
    with pytest.raises(Exception) as info:
        fn.call({"from": sender} if sender else {}, block_identifier="pending")
    data = revert_data(info.value)
    assert data.startswith(error_selector(contract.abi, name)), f"{name} expected, got {data}"


def revert_data(exc: BaseException) -> str:
    """The 0x-hex revert data of a failed call, whichever backend raised it."""
    if isinstance(exc, ContractCustomError) and isinstance(exc.data, str):
        return exc.data
    text = str(exc)
    # the first bytes literal (`b"..."` when the data holds a quote: its text may hold b')
    starts = [i for i in (text.find("b'"), text.find('b"')) if i >= 0]
    start = min(starts, default=-1)
    if start >= 0:
        raw = ast.literal_eval(text[start:])
        return "0x" + bytes(raw).hex()
    return text


@dataclass
class Venue:
    chain: Chain
    program: Program
    guard: Any
    token: Any
    vault: Any
    feed: Any
    reference: Any
    agent: str
    user: str
    deployer: str

    def sign(self, op: Operation, keys: tuple[bytes, ...], *, chain_id: int | None = None,
             guard: str | None = None) -> list[bytes]:
        dom = domain(self.program, chain_id or self.chain.w3.eth.chain_id,
                     guard or self.guard.address)
        return sign_operation(op, keys, dom)

    def execute(self, op: Operation, keys: tuple[bytes, ...], *, at: int | None = None) -> Any:
        sigs = self.sign(op, keys)
        return self.chain.tx(self.guard.functions.execute(op.as_tuple(), sigs), self.user, at=at)


def deploy_venue(chain: Chain) -> Venue:
    kit = compile_testkit()
    deployer, agent, user = chain.accounts[0], chain.accounts[1], chain.accounts[2]
    token = deploy_compiled(chain.w3, kit, "TestToken", "USD Coin", "USDC", 6)
    feed = deploy_compiled(chain.w3, kit, "TestFeed", 8, 2000 * 10**8)
    ref = deploy_compiled(chain.w3, kit, "TestFeed", 8, 2000 * 10**8)
    vault = deploy_compiled(chain.w3, kit, "TestVault", token.address, 0, 1)
    addrs = Addresses(
        signers=tuple(Account.from_key(k).address for k in SIGNER_KEYS),
        agent=agent, token=token.address, vault=vault.address, feed=feed.address,
        reference=ref.address,
    )
    program = venue_program(addrs)
    compiled = compile_sources(emit_solidity(program), allow_warnings=False)
    c = compiled.contract(f"{program.protocol}Guard")
    guard = deploy(chain.w3, c.abi, c.bytecode, *constructor_args(program))
    chain.tx(vault.functions.setGuard(guard.address), deployer)
    chain.tx(token.functions.mint(user, 10**15), deployer)
    chain.tx(token.functions.approve(vault.address, 2**256 - 1), user)
    chain.tx(token.functions.mint(vault.address, 10**12), deployer, at=T0)  # tvl: 1M USDC
    return Venue(chain, program, guard, token, vault, feed, ref, agent, user, deployer)


@pytest.fixture(scope="module")
def pyevm_venue() -> Venue:
    tester = EthereumTester(PyEVMBackend())
    chain = Chain(Web3(EthereumTesterProvider(tester)), tester=tester)
    return deploy_venue(chain)


@pytest.fixture
def venue(pyevm_venue: Venue) -> Iterator[Venue]:
    """The py-evm venue, reverted to its freshly deployed state after each test."""
    snap = pyevm_venue.chain.snapshot()
    yield pyevm_venue
    pyevm_venue.chain.revert(snap)


@pytest.fixture(scope="module")
def anvil_node() -> Iterator[Anvil]:
    """Anvil on a free port of 127.0.0.1, genesis just before `T0`, stopped by pid after."""
    with Anvil(timestamp=T0 - 1000) as node:
        yield node
