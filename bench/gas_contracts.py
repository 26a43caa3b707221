"""bench/gas.py's rows for contract signers and callers: the same 2-of-3 `execute` with a real
Safe 1.4.1 (npm `@safe-global/safe-contracts`, `interlock.testing.safe`) signing through EIP-1271,
and with a Safe or a plain executor contract (`testing/ContractSigners.sol`'s `Executor`) as the
caller whose call is one approval.

Each row's guard is the bench's own compiled guard deployed again with other constructor
addresses: the role's second and third signers (`s2`, `s3` of bench/gas.guard) are the executor
and a Safe; the code, the rules hash and so the signed digest are the same, only immutables
differ. Every row runs the all-EOA row's operation (same power, targets, value, nonce 1 and
deadline, sent by the same account) from one snapshot, so the difference is the approval alone.
Besides the whole transaction, the call trace (`debug_traceTransaction`, callTracer) gives the
part inside the guard: the capped self-call into the Safe (EIP-1271), or the guard's `execute`
under the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_utils.crypto import keccak

from interlock.compiler.guard_abi import function
from interlock.ir.addresses import constructor_args
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import FAR_DEADLINE
from interlock.testing.contracts import compile_testkit
from interlock.testing.deploy import Deployed, check_text
from interlock.testing.harness import signer_key
from interlock.testing.rewrite import rewrite_addresses
from interlock.testing.safe import Safe, deploy_safe
from interlock.testing.signing import Operation, by_signer, domain, sign_one

OWNER_KEYS = [signer_key(1_000 + i) for i in range(3)]  # the Safes' owners


def _selector(name: str) -> str:
    return "0x" + keccak(text=function(name).signature)[:4].hex()


SELF_CALL, EXECUTE = _selector("isValidContractSignature"), _selector("execute")


@dataclass(frozen=True)
class Use:
    """The power use the all-EOA row measured: `power` pausing the scopes of `mask` for
    `value`, approved by `members` (an EOA, then the two whose addresses become contracts)."""

    power: int
    mask: int
    value: int
    members: tuple[str, str, str]


@dataclass(frozen=True)
class Measured:
    label: str  # the row's operation
    gas: int  # the whole transaction
    inner_label: str
    inner: int  # the part inside the guard (a call frame of the trace)


def contract_rows(chain: TestChain, dep: Deployed, use: Use, ts: int) -> list[Measured]:
    """A Safe k-of-k signing beside the first member (k = 1, 2, 3), then the Safe 2-of-2 and
    the executor calling `execute` with the first member's signature."""
    executor_c = compile_testkit().contract("Executor")
    executor = chain.deploy(executor_c.abi, executor_c.bytecode)  # owned by accounts[0]
    rows: list[Measured] = []
    guards: dict[int, _Guard] = {}
    for k in (1, 2, 3):
        safe = deploy_safe(chain.w3, [Account.from_key(x).address for x in OWNER_KEYS[:k]], k)
        bench = guards[k] = _Guard(chain, dep, use, executor.address, safe)
        ts = max(ts, chain.latest_timestamp()) + 1
        entries = by_signer([bench.eoa_signature(), bench.safe_signature(OWNER_KEYS[:k])])
        gas, inner = bench.measure(bench.guard.functions.execute(bench.op, entries), ts,
                                   SELF_CALL)
        rows.append(Measured(f"an EOA and a Safe {k}-of-{k} signing (EIP-1271)", gas,
                             f"the guard's self-call into the Safe {k}-of-{k} "
                             "(`isValidContractSignature`)", inner))
    bench = guards[2]
    data = bench.execute_data([bench.eoa_signature()[1]])
    for label, fn in (
            ("a Safe 2-of-2 calling it (`execTransaction`) with an EOA's signature",
             bench.safe.exec_transaction(bench.guard.address, data, OWNER_KEYS[:2])),
            ("an executor contract calling it with an EOA's signature",
             executor.functions.run(bench.guard.address, data))):
        ts += 1
        gas, inner = bench.measure(fn, ts, EXECUTE)
        rows.append(Measured(label, gas, "the guard's `execute` inside it (the caller's "
                             "approval and one signature)", inner))
    return rows


class _Guard:
    """The bench's guard with the second member an executor and the third a Safe, and the
    all-EOA row's operation on it."""

    def __init__(self, chain: TestChain, dep: Deployed, use: Use, executor: str,
                 safe: Safe) -> None:
        self.chain, self.safe, self.dep = chain, safe, dep
        _, second, third = (dep.program.signer(n).address for n in use.members)
        text = rewrite_addresses(dep.text, {second: executor, third: safe.address})
        self.program = check_text(text, "gas_contracts.guard")
        c = dep.compiled.contract(f"{self.program.protocol}Guard")
        self.guard = chain.deploy(c.abi, c.bytecode, *constructor_args(self.program))
        self.operation = Operation(use.power, use.mask, use.value, 1, FAR_DEADLINE)
        self.op = self.operation.as_tuple()
        self.first = use.members[0]
        self.scope = use.mask.bit_length() - 1  # the (first) scope the power pauses

    def eoa_signature(self) -> tuple[str, bytes]:
        dom = domain(self.program, self.chain.w3.eth.chain_id, self.guard.address)
        return sign_one(self.operation, self.dep.harness.signer_keys[self.first], dom)

    def safe_signature(self, keys: list[bytes]) -> tuple[str, bytes]:
        digest = bytes(self.guard.functions.operationHash(self.op).call())
        return self.safe.address, self.safe.guard_signature(digest, keys)

    def execute_data(self, signatures: list[bytes]) -> bytes:
        return bytes.fromhex(self.guard.encode_abi("execute", [self.op, signatures])[2:])

    def measure(self, fn: Any, ts: int, selector: str) -> tuple[int, int]:
        """`fn` sent from the bench's account at `ts`, then undone (a fresh guard for every
        row): the transaction's gas and that of its call into the guard with `selector`."""
        snap = self.chain.snapshot()
        out = self.chain.call_fn(fn, self.chain.accounts[0], timestamp=ts)
        # a Safe whose inner call failed reverts too (GS013): the pause must have happened
        if not out.ok or self.guard.functions.isActive(self.scope).call():
            raise RuntimeError("benchmark step reverted: a contract signer's `execute`")
        inner = self._frame(out.tx_hash, selector)
        self.chain.revert(snap)
        return out.gas_used, inner

    def _frame(self, tx_hash: str, selector: str) -> int:
        """Gas used by the transaction's call into the guard with `selector` (its callees
        included), from the call trace."""
        trace = self.chain.node.rpc("debug_traceTransaction", [tx_hash,
                                                               {"tracer": "callTracer"}])
        stack = [trace]
        while stack:
            call: Any = stack.pop()
            if (str(call.get("to", "")).lower() == self.guard.address.lower()
                    and str(call.get("input", "")).startswith(selector)):
                return int(call["gasUsed"], 16)
            stack += call.get("calls", [])
        raise RuntimeError(f"no call {selector} into the guard in {tx_hash}")
