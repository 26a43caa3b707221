"""Gas of `execute` with EOA signers and with a real Safe as one of them, on Anvil, as a table.

    .venv/bin/python bench/gas_signers.py

One guard (`guardian = 2 of [alice, bob, treasury]`, `treasury` a Safe 1.4.1 from npm
`@safe-global/safe-contracts` whose owners sign through its fallback handler, EIP-1271) pauses
one scope for an hour, from the same fresh state each time (a snapshot): alice and bob (two
EOAs), then alice and the Safe with 1, 2 and 3 owners of threshold 1, 2 and 3. Whole mined
transactions (21,000 intrinsic gas included). The guard gives a contract signer at most
`SIGNER_GAS` (docs/guard.md, "Signatures").
"""

from __future__ import annotations

import sys
from typing import Any

from eth_account import Account
from web3 import Web3

from interlock.compiler.oz import SIGNER_GAS
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_text
from interlock.ir.addresses import constructor_args
from interlock.runtime.anvil import Anvil
from interlock.testing.contracts import deploy
from interlock.testing.safe import deploy_safe
from interlock.testing.signing import Operation, domain, sign_one

KEYS = [bytes([i + 1]) * 32 for i in range(6)]  # alice, bob, then the Safe's owners
RULES = """protocol SignerBench

signer alice    {alice} entity foundation
signer bob      {bob} entity foundation
signer treasury {safe} entity dao

role guardian = 2 of [alice, bob, treasury]

scope deposits

allow guardian to pause deposits for at most 24h
"""


def _sorted(entries: list[tuple[str, bytes]]) -> list[bytes]:
    return [e for _, e in sorted(entries, key=lambda p: int(p[0], 16))]


def measure(w3: Web3, owners: int) -> dict[str, int]:
    """Gas of the EOA pair and of alice with a Safe of `owners` owners (threshold the same)."""
    safe = deploy_safe(w3, [Account.from_key(k).address for k in KEYS[2:2 + owners]], owners)
    text = RULES.format(alice=Account.from_key(KEYS[0]).address,
                        bob=Account.from_key(KEYS[1]).address, safe=safe.address)
    program = compile_text(text, "signers.guard").program
    assert program is not None
    c = compile_sources(emit_solidity(program)).contract("SignerBenchGuard")
    guard = deploy(w3, c.abi, c.bytecode, *constructor_args(program))
    op = Operation(0, 1, 3600, 1, 2**40)
    dom = domain(program, w3.eth.chain_id, guard.address)
    digest = bytes(guard.functions.operationHash(op.as_tuple()).call())
    alice = sign_one(op, KEYS[0], dom)
    cases = {
        "EOAs": _sorted([alice, sign_one(op, KEYS[1], dom)]),
        "Safe": _sorted([alice, (safe.address, safe.guard_signature(digest, KEYS[2:2 + owners]))]),
    }
    out = {}
    for name, sigs in cases.items():
        snap = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        h = guard.functions.execute(op.as_tuple(), sigs).transact({"gas": 3_000_000})
        receipt: Any = w3.eth.wait_for_transaction_receipt(h)
        assert receipt["status"] == 1, name
        out[name] = int(receipt["gasUsed"])
        w3.provider.make_request("evm_revert", [snap])  # type: ignore[arg-type]
    return out


def main() -> int:
    rows = []
    with Anvil() as node:
        w3 = Web3(Web3.HTTPProvider(node.http_url, request_kwargs={"timeout": 60}))
        w3.eth.default_account = w3.eth.accounts[0]
        for owners in (1, 2, 3):
            g = measure(w3, owners)
            if owners == 1:
                rows.append(("`execute`, 2-of-3 pause, alice + bob (two EOAs)", g["EOAs"], ""))
            rows.append((f"`execute`, 2-of-3 pause, alice + a Safe {owners}-of-{owners}",
                         g["Safe"], f"+{g['Safe'] - g['EOAs']:,}"))
    print(f"Gas on Anvil (prague); a contract signer's check is capped at {SIGNER_GAS:,} gas\n")
    print("| operation | gas | over two EOAs |\n|---|---|---|")
    for name, gas, extra in rows:
        print(f"| {name} | {gas:,} | {extra} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
