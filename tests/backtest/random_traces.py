"""Seeded random traces over the SPEC venue (examples/perp_venue.guard): deposits, withdrawals
(now and then a large one), and feed moves where the reference sometimes drifts from the price."""

from __future__ import annotations

import random
from pathlib import Path

from interlock.backtest.trace import Block, Flow, Round
from tests.backtest.tracekit import PRICE, T0, USDC, header, write

USERS = [f"0x{0xC0DE0000 + i:040x}" for i in range(4)]
ATTACKER = "0xb66cd966670d962c227b3eaba30a872dbfb995db"


def random_trace(path: Path, seed: int, blocks: int = 40) -> Path:
    rng = random.Random(seed)
    t, price, ref = T0, PRICE, PRICE
    out = []
    for i in range(blocks):
        t += 12 if rng.random() < 0.8 else rng.choice([120, 600, 1800])
        flows = []
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            sender = rng.choice([*USERS, ATTACKER])
            out_flow = rng.random() < 0.65
            amount = rng.choice([1_000, 5_000, 12_000, 25_000, 40_000]) * USDC
            flows.append(Flow(sender=sender, vault="pool", asset="USDC",
                              direction="out" if out_flow else "in", amount=amount,
                              scope="withdrawals" if out_flow else "deposits"))
        feeds, refs = {}, {}
        if rng.random() < 0.2:
            price = price * rng.randint(95, 105) // 100
            feeds["ETH_USD"] = Round(answer=price, updated_at=t)
            ref = price * rng.choice([100, 100, 101, 97, 96]) // 100
            refs["ETH_USD"] = Round(answer=ref, updated_at=t)
        out.append(Block(block=1_000 + i, time=t, flows=flows, feeds=feeds, references=refs))
    return write(path, out, header(name=f"random_{seed}"))
