"""Who can use a power, before and after: the signer sets a role admits, and its coalitions.

A role is a monotone boolean function of the set of keys that sign. Keys are identified by
address across the two files (a renamed signer is the same key). The new role is weaker when
some set of keys satisfies it and did not satisfy the old one (Z3 over one boolean per key,
with the smallest such set as the witness), or when fewer entities suffice than before (an
entity merged into another: the same keys, fewer organisations to compromise). The minimum
coalitions themselves come from `interlock.verifier.coalition`.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from interlock.ir.nodes import Program
from interlock.verifier.coalition import Coalition, role_coalitions, role_formula
from interlock.verifier.diff.model import Verdict, by_size, join

Keys = dict[str, z3.BoolRef]  # address -> the key signs


@dataclass(frozen=True)
class RoleComparison:
    verdict: Verdict
    before: str
    after: str
    evidence: str


def _formula(program: Program, role: str, keys: Keys) -> z3.BoolRef:
    def var(signer: str) -> z3.BoolRef:
        address = program.signer(signer).address
        return keys.setdefault(address, z3.Bool(f"key_{address}"))

    return role_formula(program, program.role(role).expr, var)


def _smallest(keys: Keys, formula: z3.BoolRef, names: dict[str, str]) -> tuple[str, ...] | None:
    """The smallest set of keys satisfying `formula` (by signer name; `names` maps addresses
    to names in declaration order), or None."""
    opt = z3.Optimize()
    opt.add(formula)
    opt.minimize(z3.Sum([z3.If(v, 1, 0) for v in keys.values()]))
    # then the set earliest in declaration order, so the witness is the same on every run
    order = [keys[a] for a in names if a in keys]
    opt.minimize(z3.Sum([z3.If(v, 2**i, 0) for i, v in enumerate(order)]))
    if opt.check() != z3.sat:
        return None
    model = opt.model()
    return tuple(names[a] for a, v in keys.items() if z3.is_true(model.eval(v, True)))


def _size(c: Coalition) -> float:
    return len(c.members) or float("inf")  # no coalition at all: nobody can use it


def _entities(c: Coalition) -> str:
    n = len(c.members)
    return f"{n} entit{'ies' if n != 1 else 'y'} {{{', '.join(c.members)}}}"


def describe(signers: Coalition, entities: Coalition) -> str:
    """`2 signers {alice, carol}, 2 entities {foundation, auditor}`."""
    if not signers.members:
        return "nobody"
    s = signers.members
    return f"{len(s)} signer{'s' * (len(s) != 1)} {{{', '.join(s)}}}, {_entities(entities)}"


def compare_roles(old: Program, old_role: str, new: Program, new_role: str) -> RoleComparison:
    """Compare the key sets two roles admit and their smallest entity coalitions."""
    keys: Keys = {}
    a, b = _formula(old, old_role, keys), _formula(new, new_role, keys)
    names = {s.address: s.name for s in old.signers} | {s.address: s.name for s in new.signers}
    more = _smallest(keys, z3.And(b, z3.Not(a)), names)
    fewer = _smallest(keys, z3.And(a, z3.Not(b)), names)
    old_s, old_e, _ = role_coalitions(old, old_role)
    new_s, new_e, _ = role_coalitions(new, new_role)
    by_sets: Verdict = ("incomparable" if more and fewer else "weakens" if more
                        else "strengthens" if fewer else "neutral")
    by_entities = by_size(_size(old_e), _size(new_e), larger_is_weaker=False)
    evidence = []
    if more:
        evidence.append(f"{{{', '.join(more)}}} can use it now and could not before")
    if fewer:
        evidence.append(f"{{{', '.join(fewer)}}} could use it before and cannot now")
    if by_entities != "neutral":
        evidence.append(f"the smallest coalition spans {_entities(new_e)}, was "
                        f"{_entities(old_e)}")
    return RoleComparison(join((by_sets, by_entities)), describe(old_s, old_e),
                          describe(new_s, new_e),
                          "; ".join(evidence) or "the same key sets and entity coalitions")
