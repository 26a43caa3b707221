"""Issue 16 item 12: a weak role cannot consume a strong role's nonce.

A one-key `ops` role watches the mempool, copies the nonce of the guardian's pending
"pause withdrawals 72h" into an operation of its own and lands first. With one nonce space
the guardian's operation then reverts `NonceUsed` and withdrawals stay open; with one space
per role the guardian's pause goes through.
"""

from __future__ import annotations

from interlock.runtime.anvil import Anvil
from tests.attacks.guards import chain_of, deploy_rules, op
from tests.compiler.conftest import SIGNER_KEYS, T0

RULES = """protocol TwoRoles

signer alice {k0} entity foundation
signer bob   {k1} entity foundation
signer carol {k2} entity auditor
signer olive {k3} entity operator

role guardian = 2 of [alice, bob, carol]
role ops = 1 of [olive]

scope deposits
scope withdrawals

allow guardian to pause * for at most 72h
allow ops to pause deposits for at most 1h
"""
WITHDRAWALS, DEPOSITS = 1 << 1, 1 << 0
H = 3600


def test_ops_cannot_burn_the_guardians_nonce(anvil_node: Anvil) -> None:
    chain = chain_of(anvil_node)
    user, attacker = chain.accounts[2], chain.accounts[4]
    snap = chain.snapshot()
    guard = deploy_rules(chain, RULES, chain.accounts[3])
    g = guard.contract.functions
    for round_, nonce in enumerate((1001, 1002, 1003)):
        at = T0 + round_ * 100 * H
        pending = op(0, WITHDRAWALS, 72 * H, nonce=nonce)  # the guardian's pause, in the mempool
        sigs = guard.sign(chain, pending, SIGNER_KEYS[0], SIGNER_KEYS[2])
        copy = op(1, DEPOSITS, 1, nonce=nonce)  # ops copies the nonce and lands first
        chain.tx(g.execute(guard.call_tuple(copy), guard.sign(chain, copy, SIGNER_KEYS[3])),
                 attacker, at=at)
        chain.at_or_next(at + 1)
        receipt = chain.w3.eth.wait_for_transaction_receipt(
            g.execute(guard.call_tuple(pending), sigs).transact({"from": user,
                                                                 "gas": 3_000_000}))
        assert receipt["status"] == 1, "ops consumed the guardian's nonce (NonceUsed)"
        assert g.pausedUntil(1).call() == at + 1 + 72 * H
        # within one role a nonce is still single-use
        again = chain.w3.eth.wait_for_transaction_receipt(
            g.execute(guard.call_tuple(pending), sigs).transact({"from": user,
                                                                 "gas": 3_000_000}))
        assert again["status"] == 0
    chain.revert(snap)
