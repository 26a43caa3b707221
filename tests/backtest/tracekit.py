"""Small traces for the backtest tests, written with the real writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from interlock.backtest.trace import Block, Flow, Header, Incident, Round, StartState, Window
from interlock.backtest.writer import TraceWriter

ATTACKER = "0xb66cd966670d962c227b3eaba30a872dbfb995db"
USER = "0x00000000000000000000000000000000000000a1"
T0 = 1_678_697_000
USDC = 10**6
PRICE = 2_000 * 10**8


def header(name: str = "t", kind: str = "incident", **extra: Any) -> Header:
    rnd = Round(answer=PRICE, updated_at=T0)
    incident = Incident(attack=Window(start=T0, end=T0 + 3600), attackers=[ATTACKER]) \
        if kind == "incident" else None
    return Header(format="interlock-trace", version=1, name=name, kind=kind,  # type: ignore[arg-type]
                  start=StartState(balances={"pool": {"USDC": 300_000 * USDC}},
                                   feeds={"ETH_USD": rnd}, references={"ETH_USD": rnd}),
                  incident=incident, **extra)


def outflow(sender: str, amount: int) -> Flow:
    return Flow(sender=sender, vault="pool", asset="USDC", direction="out", amount=amount,
                scope="withdrawals")


def write(path: Path, blocks: list[Block], hdr: Header | None = None) -> Path:
    with TraceWriter(path, hdr or header()) as w:
        for b in blocks:
            w.write(b)
    return path


def drain_blocks(amounts: list[int], gap: int = 1) -> list[Block]:
    """One attacker withdrawal of each amount (whole USDC), `gap` blocks apart, from block 101,
    with a quiet block before and after."""
    at = {1 + k * gap: a for k, a in enumerate(amounts)}
    return [
        Block(block=100 + i, time=T0 + 12 * i,
              flows=[outflow(ATTACKER, at[i] * USDC)] if i in at else [])
        for i in range(len(amounts) * gap + 2)
    ]
