"""Audit: the guard's role checks equal the reference `role_satisfied` on every signer set.

Nested roles (a role member counts once when its own expression holds, including the case
where the same signer satisfies both a signer member and a role member), `and`/`or`, and a
timelocked role used as a member. Every subset of the six signers is tried against every power
with `eth_call` of `execute` (nothing is mined): the guard accepts exactly the sets the
reference semantics says satisfy the power's role.
"""

from __future__ import annotations

from itertools import combinations

import pytest

from interlock.runtime.anvil import Anvil
from interlock.semantics import role_satisfied
from interlock.testing.chain import TestChain
from interlock.testing.deploy import deploy_rules
from interlock.testing.signing import Operation, domain, sign_operation

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = """protocol Roles
signer alice 0x00000000000000000000000000000000000000a1 entity foundation
signer bob   0x00000000000000000000000000000000000000a2 entity foundation
signer carol 0x00000000000000000000000000000000000000a3
signer dave  0x00000000000000000000000000000000000000a4
signer erin  0x00000000000000000000000000000000000000a5
signer fred  0x00000000000000000000000000000000000000a6
agent  watcher 0x00000000000000000000000000000000000000b1
role q = 1 of [alice, bob]
role r = 2 of [alice, q]
role s = 2 of [carol, dave, erin]
role t = (alice and carol) or 2 of [erin, fred, dave]
role u = 2 of [q, s, t]
role v = q and not_a_keyword_role
role not_a_keyword_role = 3 of [bob, carol, dave, erin, fred]
scope w
allow r to pause w for at most 1h
allow s to pause w for at most 1h
allow t to pause w for at most 1h
allow u to pause w for at most 1h
allow v to pause w for at most 1h
"""
FAR = 2**64 - 1


def test_guard_roles_equal_the_reference() -> None:
    with Anvil(timestamp=1_900_000_000) as node:
        chain = TestChain(node)
        d = deploy_rules(chain, RULES, "roles.guard")
        p = d.program
        dom = domain(p, chain.w3.eth.chain_id, d.guard.address)
        names = [s.name for s in p.signers]
        nonce = 1
        mismatches = []
        seen: set[tuple[int, bool]] = set()
        for w in p.powers:
            for size in range(1, len(names) + 1):
                for combo in combinations(names, size):
                    op = (w.id, 1, 600, nonce, FAR)
                    nonce += 1
                    sigs = sign_operation(Operation(*op),
                                          [d.harness.signer_keys[n] for n in combo], dom)
                    try:
                        d.guard.functions.execute(op, sigs).call({"from": chain.accounts[0]})
                        accepted = True
                    except Exception:
                        accepted = False
                    seen.add((w.id, accepted))
                    if accepted != role_satisfied(p, w.role, combo):
                        mismatches.append((w.role, combo, accepted))
        assert mismatches == []
        assert seen == {(w.id, ok) for w in p.powers for ok in (True, False)}  # not vacuous
