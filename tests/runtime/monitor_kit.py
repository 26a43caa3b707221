"""A hand-built IR of a small venue for the monitor's tests (independent of the front end).

    protocol Venue
    signer alice/bob/carol ...; agent watcher ...
    role guardian = 2 of [alice, bob, carol]
    scope deposits; scope withdrawals max 72h; scope liquidations
    asset USDC ... decimals 6; vault pool ... holds USDC
    feed ETH_USD ... decimals 8 reference ...
    param max_leverage = 20 in [2, 50] safer lower
    score risk { 40 when deviation(ETH_USD) > 2%   30 when change(ETH_USD, 1h) > 8% }
    breaker drain { when outflow(USDC, 1h) > 10% of tvl(USDC) then pause withdrawals for 6h
                    cooldown 24h }                                           # id 0, on chain
    breaker oracle_divergence { when deviation(ETH_USD) > 3%
        then suspend ETH_USD for 30m, pause liquidations for 30m }          # id 1, on chain
    breaker tighten { when risk >= 40 then set max_leverage to 10 for 2h }  # id 2, off chain
    breaker spam { when calls(deposits, 1h, per sender) > 5
                   then block sender from deposits for 1h cooldown 1h }     # id 3, off chain
    breaker watch { when outflow(USDC, 1h) > 5% of tvl(USDC)
                    then alert "large outflow" }                  # id 4, alert only, off chain
    breaker inrush { when inflow(USDC, 1h) > 50% of tvl(USDC)
                     then pause deposits for 1h }                           # id 5, on chain
    breaker feed_health { when staleness(ETH_USD) > 3h or price(ETH_USD) < 1_990 (8 decimals)
                          then suspend ETH_USD for 1h }                     # id 6, on chain
    allow guardian to pause * for at most 72h
    allow guardian to unpause *
"""

from __future__ import annotations

from collections.abc import Mapping

from tests.ir_parts import CHANGE, DEV, INFLOW, OUTFLOW, SP, TVL, WAD, H, compare

from interlock.ir.nodes import (
    Agent,
    AlertEffect,
    Asset,
    Atom,
    BlockEffect,
    Breaker,
    Feed,
    Or,
    Param,
    PauseEffect,
    Power,
    Program,
    Role,
    Scope,
    Score,
    ScoreTier,
    SetEffect,
    Signer,
    SignerMember,
    SuspendEffect,
    Threshold,
    Vault,
)

DEFAULTS: dict[str, str] = {
    "alice": "0x1111111111111111111111111111111111111111",
    "bob": "0x2222222222222222222222222222222222222222",
    "carol": "0x3333333333333333333333333333333333333333",
    "watcher": "0x6666666666666666666666666666666666666666",
    "USDC": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
    "pool": "0x7777777777777777777777777777777777777777",
    "ETH_USD": "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419",
    "ETH_REF": "0x8888888888888888888888888888888888888888",
}

RISK = Atom(kind="score", target="risk")
CALLS = Atom(kind="calls", target="deposits", window=H, per_sender=True)
PRICE = Atom(kind="price", target="ETH_USD")
STALENESS = Atom(kind="staleness", target="ETH_USD")


def venue_program(addresses: Mapping[str, str] | None = None) -> Program:
    a = {**DEFAULTS, **(addresses or {})}
    signers = tuple(
        Signer(name=n, address=a[n], entity=n, index=i, span=SP)
        for i, n in enumerate(("alice", "bob", "carol"))
    )
    breakers = (
        Breaker(name="drain", id=0, when=compare([(10, OUTFLOW), (-1, TVL)], 0, ">"),
                effects=(PauseEffect(scopes=("withdrawals",), duration=6 * H, span=SP),),
                cooldown=24 * H, onchain=True, span=SP),
        Breaker(name="oracle_divergence", id=1, when=compare([(1, DEV)], -3 * WAD // 100, ">"),
                effects=(SuspendEffect(feeds=("ETH_USD",), duration=1800, span=SP),
                         PauseEffect(scopes=("liquidations",), duration=1800, span=SP)),
                cooldown=None, onchain=True, span=SP),
        Breaker(name="tighten", id=2, when=compare([(1, RISK)], -40, ">="),
                effects=(SetEffect(param="max_leverage", value=10, duration=2 * H, span=SP),),
                cooldown=None, onchain=False, span=SP),
        Breaker(name="spam", id=3, when=compare([(1, CALLS)], -5, ">"),
                effects=(BlockEffect(scope="deposits", duration=H, span=SP),),
                cooldown=H, onchain=False, span=SP),
        Breaker(name="watch", id=4, when=compare([(20, OUTFLOW), (-1, TVL)], 0, ">"),
                effects=(AlertEffect(text="large outflow", span=SP),),
                cooldown=None, onchain=False, span=SP),
        Breaker(name="inrush", id=5, when=compare([(2, INFLOW), (-1, TVL)], 0, ">"),
                effects=(PauseEffect(scopes=("deposits",), duration=H, span=SP),),
                cooldown=None, onchain=True, span=SP),
        Breaker(name="feed_health", id=6, when=Or(items=(
                    compare([(1, STALENESS)], -3 * H, ">"),
                    compare([(1, PRICE)], -1_990 * 10**8, "<"))),
                effects=(SuspendEffect(feeds=("ETH_USD",), duration=H, span=SP),),
                cooldown=None, onchain=True, span=SP),
    )
    scopes = ("deposits", "withdrawals", "liquidations")
    return Program(
        protocol="Venue",
        source_path="venue.guard",
        source_sha256="0" * 64,
        signers=signers,
        agents=(Agent(name="watcher", address=a["watcher"], span=SP),),
        roles=(Role(name="guardian", expr=Threshold(
            k=2, members=tuple(SignerMember(name=s.name) for s in signers)), delay=0, span=SP),),
        scopes=tuple(
            Scope(name=n, index=i, max_pause=72 * H if n == "withdrawals" else None, gap=None,
                  span=SP)
            for i, n in enumerate(scopes)
        ),
        assets=(Asset(name="USDC", address=a["USDC"], decimals=6, span=SP),),
        vaults=(Vault(name="pool", address=a["pool"], holds=("USDC",), span=SP),),
        feeds=(Feed(name="ETH_USD", index=0, address=a["ETH_USD"], decimals=8,
                    reference=a["ETH_REF"], heartbeat=None, span=SP),),
        params=(Param(name="max_leverage", index=0, initial=20, min=2, max=50, safer="lower",
                      span=SP),),
        metrics=(),
        scores=(Score(name="risk", tiers=(
            ScoreTier(weight=40, when=compare([(1, DEV)], -2 * WAD // 100, ">"), span=SP),
            ScoreTier(weight=30, when=compare([(1, CHANGE)], -8 * WAD // 100, ">"), span=SP),
        ), span=SP),),
        breakers=breakers,
        powers=(
            Power(id=0, role="guardian", kind="pause", targets=scopes, max_duration=72 * H,
                  within=None, cooldown=None, when=None, delay=0, span=SP),
            Power(id=1, role="guardian", kind="unpause", targets=scopes, max_duration=None,
                  within=None, cooldown=None, when=None, delay=0, span=SP),
        ),
        invariants=(),
        span=SP,
    )
