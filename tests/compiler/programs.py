"""Hand-built IR for the guard tests: the SPEC §1 venue with the deployed mocks' addresses.

Built directly (not through the front end) so the generator's tests stand on their own; the
same rules as `venue_source(...)` text, which the front-end test compiles when it is available.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.ir.nodes import (
    Agent,
    And,
    Asset,
    Atom,
    BlockEffect,
    Breaker,
    Cond,
    Feed,
    Not,
    Param,
    PauseEffect,
    Power,
    Program,
    Role,
    RoleMember,
    Scope,
    Score,
    ScoreTier,
    SetEffect,
    Signer,
    SignerMember,
    StatePred,
    SuspendEffect,
    Threshold,
    Vault,
)
from tests.ir_parts import CHANGE, DEV, INFLOW, OUTFLOW, SP, TVL, WAD, D, H, compare

SCOPES = ("deposits", "withdrawals", "trading", "liquidations")
SIGNER_NAMES = ("alice", "bob", "carol", "dave", "erin")
ENTITIES = ("foundation", "foundation", "auditor", "community", "community")
RULE_DRAIN, RULE_ORACLE, RULE_TIGHTEN, RULE_HALT, RULE_SPAM, RULE_INFLOW, RULE_COLLATERAL = range(7)
RULE_STATEFUL = 7
P_PAUSE, P_UNPAUSE, P_UNPAUSE_LIQ, P_SET, P_EXTEND, P_SUSPEND, P_RESUME, P_CANCEL = range(8)
P_STEWARD_RESUME, P_SET_COLLATERAL = 8, 9


@dataclass(frozen=True)
class Addresses:
    signers: tuple[str, ...]  # checksummed, in declaration order
    agent: str
    token: str
    vault: str
    feed: str
    reference: str


CALLS = Atom(kind="calls", target="trading", window=H, per_sender=True)


def _breaker(bid: int, name: str, when: Cond, effects: tuple[Any, ...], cd: int | None,
             onchain: bool) -> Breaker:
    return Breaker(name=name, id=bid, when=when, effects=effects, cooldown=cd, onchain=onchain,
                   span=SP)


def _power(pid: int, role: str, kind: str, targets: tuple[str, ...], delay: int = 0,
           **kw: Any) -> Power:
    return Power(id=pid, role=role, kind=kind, targets=targets,  # type: ignore[arg-type]
                 max_duration=kw.get("max_duration"), within=kw.get("within"),
                 cooldown=kw.get("cooldown"), when=kw.get("when"), delay=delay, span=SP)


def venue_program(a: Addresses, *, protocol: str = "PerpVenue") -> Program:
    """SPEC §1 plus an inflow rule, a `block sender` rule, a `safer higher` param, a second
    timelocked role, nested roles, and suspend/resume/cancel powers."""
    signers = tuple(
        Signer(name=n, address=addr, entity=e, index=i, span=SP)
        for i, (n, addr, e) in enumerate(zip(SIGNER_NAMES, a.signers, ENTITIES, strict=True))
    )
    sm = SignerMember
    roles = (
        Role(name="guardian", expr=Threshold(k=2, members=(sm(name="alice"), sm(name="carol"),
                                                            sm(name="dave"))), delay=0, span=SP),
        Role(name="council", expr=Threshold(k=3, members=tuple(sm(name=n) for n in SIGNER_NAMES)),
             delay=0, span=SP),
        Role(name="governor", expr=RoleMember(name="council"), delay=48 * H, span=SP),
        # nested: the guardian plus one of bob/erin, or all three foundation+auditor keys
        Role(name="emergency", expr=Threshold(k=1, members=(
            RoleMember(name="guardian"),
            Threshold(k=3, members=(sm(name="alice"), sm(name="bob"), sm(name="carol"))),
        )), delay=0, span=SP),
        Role(name="steward", expr=Threshold(k=2, members=(sm(name="bob"), sm(name="erin"))),
             delay=H, span=SP),
    )
    scopes = (
        Scope(name="deposits", index=0, max_pause=None, gap=None, span=SP),
        Scope(name="withdrawals", index=1, max_pause=72 * H, gap=24 * H, span=SP),
        Scope(name="trading", index=2, max_pause=None, gap=None, span=SP),
        Scope(name="liquidations", index=3, max_pause=None, gap=None, span=SP),
    )
    drain = compare([(10, OUTFLOW), (-1, TVL)], 0, ">")  # outflow > 10% of tvl
    risk = Score(name="risk", tiers=(
        ScoreTier(weight=40, when=compare([(1, DEV)], -2 * WAD // 100, ">"), span=SP),
        ScoreTier(weight=30, when=compare([(20, OUTFLOW), (-1, TVL)], 0, ">"), span=SP),
        ScoreTier(weight=30, when=compare([(1, CHANGE)], -8 * WAD // 100, ">"), span=SP),
    ), span=SP)
    score = Atom(kind="score", target="risk")
    breakers = (
        _breaker(0, "drain", drain, (PauseEffect(scopes=("withdrawals",), duration=6 * H,
                                                 span=SP),), 24 * H, True),
        _breaker(1, "oracle_divergence", compare([(1, DEV)], -3 * WAD // 100, ">"), (
            SuspendEffect(feeds=("ETH_USD",), duration=30 * 60, span=SP),
            PauseEffect(scopes=("liquidations",), duration=30 * 60, span=SP),
        ), None, True),
        _breaker(2, "tighten", compare([(1, score)], -40, ">="), (
            SetEffect(param="max_leverage", value=10, duration=2 * H, span=SP),), None, False),
        _breaker(3, "halt", compare([(1, score)], -90, ">="), (
            PauseEffect(scopes=("deposits", "trading", "liquidations"), duration=6 * H,
                        span=SP),), 24 * H, False),
        _breaker(4, "spam", compare([(1, CALLS)], -100, ">"), (
            BlockEffect(scope="trading", duration=H, span=SP),), None, False),
        _breaker(5, "mint_flood", compare([(2, INFLOW), (-1, TVL)], 0, ">"), (
            PauseEffect(scopes=("deposits",), duration=H, span=SP),), H, True),
        _breaker(6, "collateral_up", compare([(1, CHANGE)], -WAD // 10, ">"), (
            SetEffect(param="min_collateral", value=200, duration=H, span=SP),), None, False),
        # off chain, with a state part: only while trading is open and leverage is at least 10
        _breaker(7, "stateful", And(items=(
            compare([(1, CHANGE)], -WAD // 20, ">"),
            Not(item=StatePred(pred="paused", target="trading", span=SP)),
            compare([(1, Atom(kind="param", target="max_leverage"))], -10, ">="),
        )), (PauseEffect(scopes=("deposits",), duration=H, span=SP),), None, False),
    )
    not_susp = Not(item=StatePred(pred="suspended", target="ETH_USD", span=SP))
    powers = (
        _power(P_PAUSE, "guardian", "pause", SCOPES, max_duration=72 * H, cooldown=24 * H),
        _power(P_UNPAUSE, "guardian", "unpause", ("deposits", "withdrawals", "trading")),
        _power(P_UNPAUSE_LIQ, "guardian", "unpause", ("liquidations",), when=not_susp),
        _power(P_SET, "governor", "set", ("max_leverage",), delay=48 * H, within=(5, 30)),
        _power(P_EXTEND, "governor", "extend", ("withdrawals",), delay=48 * H,
               max_duration=7 * D),
        _power(P_SUSPEND, "emergency", "suspend", ("ETH_USD",), max_duration=D),
        _power(P_RESUME, "emergency", "resume", ("ETH_USD",)),
        _power(P_CANCEL, "council", "cancel", ("governor",)),
        _power(P_STEWARD_RESUME, "steward", "resume", ("ETH_USD",), delay=H),
        _power(P_SET_COLLATERAL, "guardian", "set", ("min_collateral",)),
    )
    return Program(
        protocol=protocol,
        source_path="venue.guard",
        source_sha256="ab" * 32,
        signers=signers,
        agents=(Agent(name="watcher", address=a.agent, span=SP),),
        roles=roles,
        scopes=scopes,
        assets=(Asset(name="USDC", address=a.token, decimals=6, span=SP),),
        vaults=(Vault(name="pool", address=a.vault, holds=("USDC",), span=SP),),
        feeds=(Feed(name="ETH_USD", index=0, address=a.feed, decimals=8, reference=a.reference,
                    heartbeat=None, span=SP),),
        params=(
            Param(name="max_leverage", index=0, initial=20, min=2, max=50, safer="lower",
                  span=SP),
            Param(name="min_collateral", index=1, initial=100, min=50, max=500, safer="higher",
                  span=SP),
        ),
        metrics=(),
        scores=(risk,),
        breakers=breakers,
        powers=powers,
        invariants=(),
        span=SP,
    )
