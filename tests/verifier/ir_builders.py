"""Hand-built IR for verifier tests (independent of the front end)."""

from __future__ import annotations

from typing import Any

from interlock.ir.nodes import (
    AlwaysProp,
    And,
    Atom,
    Breaker,
    Compare,
    Cond,
    Effect,
    Feed,
    Invariant,
    NeverLockedProp,
    Not,
    Param,
    PausedAtMostProp,
    PauseEffect,
    Power,
    Program,
    Property,
    Role,
    RoleExpr,
    Scope,
    SetEffect,
    Signer,
    SignerMember,
    Span,
    StatePred,
    SuspendEffect,
    Term,
    Threshold,
)

SP = Span(file="t.guard", line=1, column=1, end_line=1, end_column=2)
H = 3600
D = 24 * H

OUTFLOW = Atom(kind="outflow", target="USDC", window=H)
TVL = Atom(kind="tvl", target="USDC")
DEV = Atom(kind="deviation", target="ETH_USD")


def cmp(atom: Atom, op: str, constant: int) -> Compare:
    """`atom OP constant`."""
    return Compare(terms=(Term(coef=1, atom=atom),), constant=-constant, op=op, span=SP)  # type: ignore[arg-type]


def param_atom(name: str) -> Atom:
    return Atom(kind="param", target=name)


def paused(scope: str) -> StatePred:
    return StatePred(pred="paused", target=scope, span=SP)


def suspended(feed: str) -> StatePred:
    return StatePred(pred="suspended", target=feed, span=SP)


def not_(c: Cond) -> Not:
    return Not(item=c)


def and_(*cs: Cond) -> And:
    return And(items=cs)


def pause(scopes: tuple[str, ...] | str, dur: int) -> PauseEffect:
    return PauseEffect(
        scopes=(scopes,) if isinstance(scopes, str) else scopes, duration=dur, span=SP
    )


def suspend(feeds: tuple[str, ...] | str, dur: int) -> SuspendEffect:
    return SuspendEffect(feeds=(feeds,) if isinstance(feeds, str) else feeds, duration=dur, span=SP)


def set_eff(param: str, value: int, dur: int) -> SetEffect:
    return SetEffect(param=param, value=value, duration=dur, span=SP)


def breaker(name: str, when: Cond, *effects: Effect, cooldown: int | None = None) -> Breaker:
    return Breaker(
        name=name, id=0, when=when, effects=effects, cooldown=cooldown, onchain=True, span=SP
    )


def threshold(k: int, *members: str) -> Threshold:
    return Threshold(k=k, members=tuple(SignerMember(name=m) for m in members))


def role(name: str, expr: RoleExpr, delay: int = 0) -> Role:
    return Role(name=name, expr=expr, delay=delay, span=SP)


def power(role_name: str, kind: str, *targets: str, **kw: Any) -> Power:
    return Power(
        id=0,
        role=role_name,
        kind=kind,  # type: ignore[arg-type]
        targets=targets,
        max_duration=kw.get("max_duration"),
        within=kw.get("within"),
        cooldown=kw.get("cooldown"),
        when=kw.get("when"),
        delay=0,
        span=SP,
    )


def scope(name: str, max_pause: int | None = None, gap: int | None = None) -> Scope:
    return Scope(name=name, index=0, max_pause=max_pause, gap=gap, span=SP)


def feed(name: str) -> Feed:
    return Feed(
        name=name,
        index=0,
        address="0x" + "5" * 40,
        decimals=8,
        reference="0x" + "8" * 40,
        heartbeat=None,
        span=SP,
    )


def param(name: str, initial: int, lo: int, hi: int, safer: str = "lower") -> Param:
    return Param(
        name=name,
        index=0,
        initial=initial,
        min=lo,
        max=hi,
        safer=safer,
        span=SP,  # type: ignore[arg-type]
    )


def always(pred: Cond, *assuming: str) -> AlwaysProp:
    return AlwaysProp(pred=pred, assuming=assuming)


def at_most(
    scope_name: str, limit: int, gap: int | None = None, *assuming: str
) -> PausedAtMostProp:
    return PausedAtMostProp(scope=scope_name, limit=limit, open_gap=gap, assuming=assuming)


def never_locked(scope_name: str, *assuming: str) -> NeverLockedProp:
    return NeverLockedProp(scope=scope_name, assuming=assuming)


SIGNERS = ("alice", "bob", "carol", "dave", "erin")


def program(
    *,
    scopes: tuple[Scope, ...] = (),
    feeds: tuple[Feed, ...] = (),
    params: tuple[Param, ...] = (),
    breakers: tuple[Breaker, ...] = (),
    roles: tuple[Role, ...] = (),
    powers: tuple[Power, ...] = (),
    invariants: dict[str, Property] | None = None,
    entities: dict[str, str] | None = None,
) -> Program:
    """A checked program: ids and indices in declaration order, roles' delays on powers."""
    entities = entities or {}
    signers = tuple(
        Signer(name=n, address="0x" + f"{i + 1}" * 40, entity=entities.get(n, n), index=i, span=SP)
        for i, n in enumerate(SIGNERS)
    )
    delays = {r.name: r.delay for r in roles}
    return Program(
        protocol="Test",
        source_path="t.guard",
        source_sha256="0" * 64,
        signers=signers,
        agents=(),
        roles=roles,
        scopes=tuple(s.model_copy(update={"index": i}) for i, s in enumerate(scopes)),
        assets=(),
        vaults=(),
        feeds=tuple(f.model_copy(update={"index": i}) for i, f in enumerate(feeds)),
        params=tuple(p.model_copy(update={"index": i}) for i, p in enumerate(params)),
        metrics=(),
        scores=(),
        breakers=tuple(b.model_copy(update={"id": i}) for i, b in enumerate(breakers)),
        powers=tuple(
            w.model_copy(update={"id": i, "delay": delays.get(w.role, 0)})
            for i, w in enumerate(powers)
        ),
        invariants=tuple(Invariant(name=n, prop=p, span=SP) for n, p in (invariants or {}).items()),
        span=SP,
    )
