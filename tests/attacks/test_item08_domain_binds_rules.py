"""Issue 16 item 8: a signature is bound to the rule file and to the power, not to an index.

On a chain reset (or a fork) the same deployer nonce puts v2 of the rules at v1's address, so
name, version, chain id and verifying contract are all equal. A "pause deposits" signature
made for v1's power 0 must not execute v2's power 0 (`unpause *`); a power moved to another
index must not accept a signature made for the power that used to be there; and a rule file
whose meaning is unchanged (comments, layout) keeps its hash.
"""

from __future__ import annotations

from interlock.compiler import eip712
from interlock.dsl.frontend import compile_text
from interlock.runtime.anvil import Anvil
from tests.attacks.guards import ADDRESSES, chain_of, deploy_rules, op
from tests.compiler.conftest import SIGNER_KEYS, T0

HEAD = """protocol Forked

signer alice {k0} entity foundation
signer bob   {k1} entity foundation
signer carol {k2} entity auditor

role guardian = 2 of [alice, bob, carol]

scope deposits
scope withdrawals
"""
V1 = HEAD + "allow guardian to pause deposits for at most 24h\n"
V2 = HEAD + ("allow guardian to unpause *\n"
             "allow guardian to pause * for at most 24h\n")
DEPOSITS = 1 << 0
H = 3600


def test_v1_signature_does_not_run_v2_power_at_the_same_address(anvil_node: Anvil) -> None:
    chain = chain_of(anvil_node)
    deployer, user = chain.accounts[3], chain.accounts[2]
    snap = chain.snapshot()
    v1 = deploy_rules(chain, V1, deployer)
    pause = op(0, DEPOSITS, H, nonce=7)  # v1's power 0: pause deposits for 1h
    v1_sigs = v1.sign(chain, pause, SIGNER_KEYS[0], SIGNER_KEYS[1])
    chain.revert(snap)  # the chain is reset: the deployer's nonce is the same again
    v2 = deploy_rules(chain, V2, deployer)
    assert v2.contract.address == v1.contract.address
    g = v2.contract.functions
    # v2's guardian pauses deposits honestly (power 1), then the v1 signature is replayed
    honest = op(1, DEPOSITS, H, nonce=1)
    chain.tx(g.execute(v2.call_tuple(honest), v2.sign(chain, honest, SIGNER_KEYS[0],
                                                      SIGNER_KEYS[2])), user, at=T0)
    assert not g.isActive(0).call()
    replay = g.execute(v2.call_tuple(pause), v1_sigs)
    chain.at_or_next(T0 + 10)
    receipt = chain.w3.eth.wait_for_transaction_receipt(
        replay.transact({"from": user, "gas": 3_000_000}))
    assert receipt["status"] == 0, "a v1 signature executed v2's power 0 (unpause *)"
    assert not g.isActive(0).call()
    chain.revert(snap)


def test_power_hash_is_the_power_not_its_index() -> None:
    v1 = compile_text(V1.format(**ADDRESSES), "v1.guard").program
    v2 = compile_text(V2.format(**ADDRESSES), "v2.guard").program
    assert v1 is not None and v2 is not None
    m1 = eip712.operation_message(v1, op(0, DEPOSITS, H))
    m2 = eip712.operation_message(v2, op(0, DEPOSITS, H))
    assert m1 != m2  # same chosen fields, different powers at index 0
    assert m1["rulesHash"] != m2["rulesHash"]


def test_comment_and_layout_edits_keep_the_rules_hash() -> None:
    text = V1.format(**ADDRESSES)
    edited = text.replace("role guardian", "# the incident team\nrole   guardian", 1)
    a = compile_text(text, "a.guard").program
    b = compile_text(edited, "b.guard").program
    assert a is not None and b is not None and a.source_sha256 != b.source_sha256
    assert eip712.operation_message(a, op(0, 1, H)) == eip712.operation_message(b, op(0, 1, H))
