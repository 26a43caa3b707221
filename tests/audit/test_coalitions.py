"""Audit: coalition properties with nested roles, role members counted once, `and`/`or`,
entities, and the SMT path (large thresholds), against answers worked out by hand.

Every reported counterexample is re-checked: its coalition (signers, or every key of its
entities) really satisfies the named power's role by the reference `role_satisfied`.
"""

from __future__ import annotations

import pytest

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Program
from interlock.semantics import role_satisfied
from interlock.verifier.engine import check_property

HEAD = """protocol Coalitions
signer alice 0x1111111111111111111111111111111111111111 entity foundation
signer bob   0x2222222222222222222222222222222222222222 entity foundation
signer carol 0x3333333333333333333333333333333333333333 entity auditor
signer dave  0x4444444444444444444444444444444444444444
signer erin  0x5555555555555555555555555555555555555555 entity community
signer fred  0x9999999999999999999999999999999999999999 entity community
scope w
"""


def _many(n: int) -> str:
    return "".join(f"signer s{i} 0x{0xABC000 + i:040x} entity e{i % 3}\n" for i in range(n))


def _all(n: int) -> str:
    return ", ".join(f"s{i}" for i in range(n))


CASES: dict[str, tuple[str, dict[str, str]]] = {
    # alice satisfies q, so `2 of [alice, q]` counts alice and q: alice alone suffices
    "a role member satisfied by the same signer counts once more": ("""
role q = 1 of [alice, bob]
role r = 2 of [alice, q]
allow r to pause w for at most 1h
invariant n1: no unilateral signer
invariant n2: no unilateral signer except pause
invariant n3: every power needs 1 signer
""", {"n1": "violated", "n2": "proved", "n3": "proved"}),
    # t: (alice and carol) or 2 of [erin, fred, dave]; erin+fred are one entity (community)
    # u: 2 of [q, s] needs alice or bob, plus 2 of carol/dave/erin: 3 signers, 3 entities
    "and/or and entities": ("""
role q = 1 of [alice, bob]
role s = 2 of [carol, dave, erin]
role t = (alice and carol) or 2 of [erin, fred, dave]
role u = 2 of [q, s]
allow u to extend w by at most 1h
allow t to pause w for at most 2h
invariant a1: no unilateral signer
invariant a2: no unilateral entity
invariant a3: every power needs 2 signers
invariant a4: every power needs 3 signers
invariant a5: every power needs 2 entities
invariant a6: no unilateral signer except extend
""", {"a1": "proved", "a2": "violated", "a3": "proved", "a4": "violated", "a5": "violated",
      "a6": "proved"}),
    # large thresholds take the SMT path: r2 needs carol + 15 keys (16 signers; auditor and
    # two of the three 10-key entities), r3 needs 21 keys (all three entities)
    "large thresholds (smt)": (_many(30) + f"""
role big = 15 of [{_all(30)}]
role r2 = 2 of [carol, big]
role r3 = 21 of [{_all(30)}]
role r4 = 2 of [alice, q, big]
role q = 1 of [alice, bob]
allow r2 to unpause w
allow r3 to pause w for at most 1h
invariant n1: every power needs 3 entities
invariant n2: every power needs 4 entities
invariant n3: every power needs 16 signers
invariant n4: every power needs 17 signers
""", {"n1": "proved", "n2": "violated", "n3": "proved", "n4": "violated"}),
    "large thresholds with a doubly counted member (smt)": (_many(30) + f"""
role q = 1 of [alice, bob]
role big = 15 of [{_all(30)}]
role r = 2 of [alice, q, big]
allow r to pause w for at most 1h
invariant n1: no unilateral signer
invariant n2: every power needs 2 signers
""", {"n1": "violated", "n2": "violated"}),
}


def _program(body: str) -> Program:
    result = compile_text(HEAD + body, "coalitions.guard")
    assert result.program is not None, [d.message for d in result.diagnostics]
    return result.program


def _keys(p: Program, actor: str) -> list[str]:
    """The signers an actor names: signers by name, or every key of the named entities."""
    names = [x.strip() for x in actor.split(",")]
    keys = [s.name for s in p.signers if s.name in names or s.entity in names]
    return keys


@pytest.mark.parametrize("name", list(CASES))
def test_coalitions(name: str) -> None:
    body, expected = CASES[name]
    p = _program(body)
    for inv in p.invariants:
        r = check_property(p, inv, 30.0)
        assert r.status == expected[inv.name], (inv.name, r)
        if r.status == "violated":
            assert r.counterexample is not None
            row = r.counterexample.timeline[0]
            role = row.action.split(":")[0].strip()
            assert role_satisfied(p, role, _keys(p, row.actor)), (inv.name, row)
