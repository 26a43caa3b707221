"""Coalition properties on hand-built role structures whose answers were worked out by hand."""

from __future__ import annotations

from itertools import combinations as _combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.ir import nodes as ir
from interlock.semantics import role_satisfied
from interlock.verifier import coalition
from interlock.verifier.coalition import check_coalition, power_coalitions

SPAN = ir.Span(file="t.guard", line=1, column=1, end_line=1, end_column=2)


def sig(name: str) -> ir.SignerMember:
    return ir.SignerMember(name=name)


def ref(name: str) -> ir.RoleMember:
    return ir.RoleMember(name=name)


def k_of(k: int, *members: ir.RoleExpr) -> ir.Threshold:
    return ir.Threshold(k=k, members=members)


def program(
    signers: dict[str, str],
    roles: dict[str, ir.RoleExpr],
    powers: list[tuple[str, ir.PowerKind]],
    props: list[ir.Property] = (),  # type: ignore[assignment]
) -> ir.Program:
    """`signers`: name -> entity; `powers`: (role, kind) over one scope `s`."""
    return ir.Program(
        protocol="T",
        source_path="t.guard",
        source_sha256="0" * 64,
        signers=tuple(
            ir.Signer(name=n, address=f"0x{i + 1:040x}", entity=e, index=i, span=SPAN)
            for i, (n, e) in enumerate(signers.items())
        ),
        agents=(),
        roles=tuple(ir.Role(name=n, expr=e, delay=0, span=SPAN) for n, e in roles.items()),
        scopes=(ir.Scope(name="s", index=0, max_pause=None, gap=None, span=SPAN),),
        assets=(),
        vaults=(),
        feeds=(),
        params=(),
        metrics=(),
        scores=(),
        breakers=(),
        powers=tuple(
            ir.Power(
                id=i,
                role=role,
                kind=kind,
                targets=("s",),
                max_duration=3600 if kind == "pause" else None,
                within=None,
                cooldown=None,
                when=None,
                delay=0,
                span=SPAN,
            )
            for i, (role, kind) in enumerate(powers)
        ),
        invariants=tuple(
            ir.Invariant(name=f"p{i}", prop=p, span=SPAN) for i, p in enumerate(props)
        ),
        span=SPAN,
    )


SPEC_SIGNERS = {
    "alice": "foundation",
    "bob": "foundation",
    "carol": "auditor",
    "dave": "community",
    "erin": "community",
}


def spec_program(props: list[ir.Property]) -> ir.Program:
    roles: dict[str, ir.RoleExpr] = {
        "guardian": k_of(2, sig("alice"), sig("carol"), sig("dave")),
        "council": k_of(3, *(sig(n) for n in SPEC_SIGNERS)),
    }
    return program(SPEC_SIGNERS, roles, [("guardian", "pause"), ("council", "unpause")], props)


def no_unilateral(by: str, *, except_kinds: tuple[ir.PowerKind, ...] = ()) -> ir.Property:
    return ir.NoUnilateralProp(by=by, except_kinds=except_kinds)  # type: ignore[arg-type]


def test_spec_guardian_and_council_coalitions() -> None:
    prog = spec_program([])
    guardian, council = power_coalitions(prog)
    assert len(guardian.signers.members) == 2
    # alice and bob are both foundation: any 2 of alice/carol/dave span 2 entities.
    assert len(guardian.entities.members) == 2
    assert len(council.signers.members) == 3
    # foundation (alice, bob) and one more entity reach 3 keys; no entity alone has 3.
    assert len(council.entities.members) == 2 and "foundation" in council.entities.members
    assert len(council.entity_keys) >= 3


def test_no_unilateral_signer_proved_but_entity_violated() -> None:
    roles: dict[str, ir.RoleExpr] = {"ops": k_of(2, sig("alice"), sig("bob"), sig("carol"))}
    prog = program(SPEC_SIGNERS, roles, [("ops", "pause")])
    inv_s = ir.Invariant(name="a", prop=no_unilateral("signer"), span=SPAN)
    inv_e = ir.Invariant(name="b", prop=no_unilateral("entity"), span=SPAN)
    assert check_coalition(prog, inv_s).status == "proved"
    result = check_coalition(prog, inv_e)
    assert result.status == "violated"
    assert result.counterexample is not None
    (entry,) = result.counterexample.timeline
    assert entry.actor == "foundation"
    assert entry.action == "ops: pause s for at most 1h"
    (step,) = result.counterexample.steps
    assert step.kind == "power" and set(step.signers) == {"alice", "bob"}


def test_bare_signer_role_is_unilateral_unless_excepted() -> None:
    roles: dict[str, ir.RoleExpr] = {
        "pauser": sig("erin"),
        "admins": k_of(2, sig("alice"), sig("carol")),
    }
    prog = program(SPEC_SIGNERS, roles, [("pauser", "pause"), ("admins", "unpause")])
    inv = ir.Invariant(name="x", prop=no_unilateral("signer"), span=SPAN)
    result = check_coalition(prog, inv)
    assert result.status == "violated"
    assert result.counterexample is not None
    assert result.counterexample.timeline[0].actor == "erin"
    prop = no_unilateral("signer", except_kinds=("pause",))
    excepted = ir.Invariant(name="y", prop=prop, span=SPAN)
    assert check_coalition(prog, excepted).status == "proved"


def test_nested_roles_and_or() -> None:
    # inner = 2 of [a, b, c]; outer = 2 of [inner, d] or (f and g)
    # min signers: f+g (2) beats inner(2)+d (3); the `or` branch wins.
    signers = {n: n for n in "abcdefg"}
    roles: dict[str, ir.RoleExpr] = {
        "inner": k_of(2, sig("a"), sig("b"), sig("c")),
        "outer": ir.AnyOf(
            items=(k_of(2, ref("inner"), sig("d")), ir.AllOf(items=(sig("f"), sig("g"))))
        ),
    }
    prog = program(signers, roles, [("outer", "pause")])
    (pc,) = power_coalitions(prog)
    assert set(pc.signers.members) == {"f", "g"}
    # `inner` counts once however many of its members sign: 2 of [inner, d, e] with d, e works.
    roles["outer"] = k_of(2, ref("inner"), sig("d"), sig("e"))
    (pc,) = power_coalitions(program(signers, roles, [("outer", "pause")]))
    assert set(pc.signers.members) == {"d", "e"}
    # 3 of [inner, d, e]: inner needs 2 keys, so 4 keys in all.
    roles["outer"] = k_of(3, ref("inner"), sig("d"), sig("e"))
    (pc,) = power_coalitions(program(signers, roles, [("outer", "pause")]))
    assert len(pc.signers.members) == 4 and {"d", "e"} <= set(pc.signers.members)


def test_every_power_needs_n() -> None:
    prog = spec_program([])
    need2 = ir.Invariant(name="n2", prop=ir.MinCoalitionProp(by="signer", n=2), span=SPAN)
    need3 = ir.Invariant(name="n3", prop=ir.MinCoalitionProp(by="signer", n=3), span=SPAN)
    ent2 = ir.Invariant(name="e2", prop=ir.MinCoalitionProp(by="entity", n=2), span=SPAN)
    ent3 = ir.Invariant(name="e3", prop=ir.MinCoalitionProp(by="entity", n=3), span=SPAN)
    assert check_coalition(prog, need2).status == "proved"
    r3 = check_coalition(prog, need3)
    assert r3.status == "violated" and r3.counterexample is not None
    assert len(r3.counterexample.timeline[0].actor.split(", ")) == 2  # the guardian pair
    assert check_coalition(prog, ent2).status == "proved"
    assert check_coalition(prog, ent3).status == "violated"
    assert r3.certificate is not None and "power #0 guardian" in r3.certificate


def test_every_power_needs_n_except_kinds() -> None:
    """`except KIND` leaves those powers out of `every power needs` (as of `no unilateral`)."""
    prog = spec_program([])
    kinds = {w.kind for w in prog.powers}
    need3 = ir.MinCoalitionProp(by="signer", n=3, except_kinds=tuple(sorted(kinds)))
    inv = ir.Invariant(name="n3", prop=need3, span=SPAN)
    assert check_coalition(prog, inv).status == "proved"


def test_smt_path_matches_enumeration(monkeypatch: pytest.MonkeyPatch) -> None:
    signers = {n: n for n in "abcdefg"}
    roles: dict[str, ir.RoleExpr] = {
        "inner": k_of(2, sig("a"), sig("b"), sig("c")),
        "outer": ir.AllOf(items=(k_of(2, ref("inner"), sig("d"), sig("e")), sig("f"))),
    }
    prog = program(signers, roles, [("outer", "pause")])
    (exhaustive,) = power_coalitions(prog)
    monkeypatch.setattr(coalition, "EXHAUSTIVE_BUDGET", 0)
    (smt,) = power_coalitions(prog)
    assert smt.signers.method == "smt" and exhaustive.signers.method == "exhaustive"
    assert len(smt.signers.members) == len(exhaustive.signers.members) == 3


def test_large_signer_set_uses_partial_enumeration() -> None:
    names = [f"k{i}" for i in range(30)]
    roles: dict[str, ir.RoleExpr] = {"big": k_of(2, *(sig(n) for n in names))}
    prog = program({n: n for n in names}, roles, [("big", "pause")])
    (pc,) = power_coalitions(prog)
    assert len(pc.signers.members) == 2 and pc.signers.method == "exhaustive"
    roles = {"big": k_of(20, *(sig(n) for n in names))}
    (pc,) = power_coalitions(program({n: n for n in names}, roles, [("big", "pause")]))
    assert len(pc.signers.members) == 20 and pc.signers.method == "smt"


# --- differential: minimum coalitions against brute force on the reference semantics -------

NAMES = ("a", "b", "c", "d", "e", "f")


@st.composite
def role_exprs(draw: st.DrawFn, depth: int = 2, refs: tuple[str, ...] = ()) -> ir.RoleExpr:
    leaves = [st.sampled_from(NAMES).map(sig)]
    if refs:
        leaves.append(st.sampled_from(refs).map(ref))
    if depth == 0:
        return draw(st.one_of(leaves))
    kind = draw(st.sampled_from(["leaf", "threshold", "all", "any"]))
    if kind == "leaf":
        return draw(st.one_of(leaves))
    items = draw(st.lists(role_exprs(depth - 1, refs), min_size=1, max_size=4))
    if kind == "threshold":
        return k_of(draw(st.integers(1, len(items))), *items)
    return ir.AllOf(items=tuple(items)) if kind == "all" else ir.AnyOf(items=tuple(items))


@st.composite
def role_programs(draw: st.DrawFn) -> ir.Program:
    entities = draw(st.lists(st.sampled_from(("x", "y", "z")), min_size=6, max_size=6))
    inner = draw(role_exprs())
    outer = draw(role_exprs(refs=("inner",)))
    roles: dict[str, ir.RoleExpr] = {"inner": inner, "outer": outer}
    return program(dict(zip(NAMES, entities, strict=True)), roles, [("outer", "pause")])


def brute_minimum(prog: ir.Program, units: dict[str, frozenset[str]]) -> int | None:
    for size in range(1, len(units) + 1):
        for combo in _combinations(sorted(units), size):
            keys = frozenset().union(*(units[u] for u in combo))
            if role_satisfied(prog, "outer", keys):
                return size
    return None


@settings(max_examples=150, deadline=None)
@given(role_programs())
def test_minimum_coalitions_match_brute_force(prog: ir.Program) -> None:
    (pc,) = power_coalitions(prog)
    by_signer = {s.name: frozenset({s.name}) for s in prog.signers}
    by_entity: dict[str, frozenset[str]] = {}
    for s in prog.signers:
        by_entity[s.entity] = by_entity.get(s.entity, frozenset()) | {s.name}
    assert len(pc.signers.members) == brute_minimum(prog, by_signer)
    assert len(pc.entities.members) == brute_minimum(prog, by_entity)
    # the reported coalitions really satisfy the role (checked by the reference semantics)
    assert role_satisfied(prog, "outer", pc.signers.members)
    assert role_satisfied(prog, "outer", pc.entity_keys)


@settings(max_examples=60, deadline=None)
@given(role_programs())
def test_smt_minimum_matches_enumeration(prog: ir.Program) -> None:
    (exhaustive,) = power_coalitions(prog)
    saved = coalition.EXHAUSTIVE_BUDGET
    coalition.EXHAUSTIVE_BUDGET = 0
    try:
        (smt,) = power_coalitions(prog)
    finally:
        coalition.EXHAUSTIVE_BUDGET = saved
    assert smt.signers.method == "smt"
    assert len(smt.signers.members) == len(exhaustive.signers.members)
    assert len(smt.entities.members) == len(exhaustive.entities.members)
    assert role_satisfied(prog, "outer", smt.signers.members)
    assert role_satisfied(prog, "outer", smt.entity_keys)


def test_counterexamples_replay_on_the_reference_semantics() -> None:
    from interlock.dsl.frontend import compile_text
    from interlock.semantics import initial_state, run

    text = """protocol T
signer alice 0x1111111111111111111111111111111111111111 entity org
signer bob   0x2222222222222222222222222222222222222222 entity org
role slow = 1 of [alice, bob] after 48h
role fast = 2 of [alice, bob]
scope s max 1d
param lev = 20 in [2, 50] safer lower
allow fast to pause s for at most 2d
allow slow to set lev within [5, 40]
invariant one: no unilateral signer
invariant org: no unilateral entity
"""
    prog = compile_text(text, "t.guard").program
    assert prog is not None
    one, org = (check_coalition(prog, inv) for inv in prog.invariants)
    assert one.counterexample is not None and org.counterexample is not None
    (row,) = one.counterexample.timeline
    assert (row.time, row.actor) == (0, "alice")
    assert row.action == "slow: set lev within [5, 40] (queued, executable after 2d)"
    assert org.counterexample.timeline[0].action == "fast: pause s for at most 2d"
    for cex in (one.counterexample, org.counterexample):
        run(prog, initial_state(prog, 1_000_000), cex.steps)  # raises StepRefused if refused
