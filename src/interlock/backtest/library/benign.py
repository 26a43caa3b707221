"""Benign traces: ordinary days of the SPEC venue, drawn from documented distributions.

Each is two days of 12 s blocks over `examples/perp_venue.guard` (a 300,000 USDC pool), seeded
by its name. What is drawn, and how, is written into the trace's `distributions` header, so a
reader can judge whether these are the days their protocol has.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from interlock.backtest.library.build import BLOCK_S, FIRST_BLOCK, PRICE, address, timestamp
from interlock.backtest.trace import Block, Flow, Header, Round, StartState
from interlock.backtest.writer import TraceWriter

USDC = 10**6
POOL = 300_000 * USDC
DAYS = 2


@dataclass(frozen=True)
class BenignSpec:
    name: str
    title: str
    start: str
    flows_per_hour: float  # Poisson rate of ordinary deposits + withdrawals
    median_usdc: float  # log-normal size: median and sigma of ln(size)
    sigma: float
    whales: int  # withdrawals of 4%..9% of the pool at uniform random times
    vol_per_block: float  # sd of the ETH price's log-return per block
    ref_noise: float  # sd of the reference feed's relative error
    ref_lag_blocks: int  # the reference shows the price this many blocks ago
    heartbeat_s: int  # the feeds post at least this often...
    gap_every_s: int  # ...except for a missed heartbeat this often (0: never)
    deviation_post: float = 0.005  # ...and whenever the answer moved this much

    def distributions(self) -> dict[str, str]:
        return {
            "flows": f"Poisson, {self.flows_per_hour}/h; 55% deposits, 45% withdrawals",
            "flow size": f"log-normal, median {self.median_usdc:,.0f} USDC, sigma "
                         f"{self.sigma} (capped at 1% of the pool)",
            "whales": f"{self.whales} withdrawals of 4%..9% of the pool, uniform in time",
            "price": f"geometric random walk, sd {self.vol_per_block:.3%} per block",
            "reference": f"the price {self.ref_lag_blocks} blocks earlier times "
                         f"(1 + N(0, {self.ref_noise:.2%}))",
            "feed posts": f"on a {self.deviation_post:.1%} move or every {self.heartbeat_s}s"
                          + (f"; one heartbeat in {self.gap_every_s // self.heartbeat_s} missed"
                             if self.gap_every_s else ""),
        }


BENIGN: tuple[BenignSpec, ...] = (
    BenignSpec("benign-daily-flows", "two ordinary days", "2024-05-06T00:00:00Z",
               12, 800, 1.3, 0, 0.0004, 0.002, 0, 3_600, 0),
    BenignSpec("benign-whale-withdrawals", "two days with whale withdrawals",
               "2024-06-03T00:00:00Z", 12, 800, 1.3, 6, 0.0004, 0.002, 0, 3_600, 0),
    BenignSpec("benign-volatile-prices", "two volatile but honest days with heartbeat gaps",
               "2024-08-05T00:00:00Z", 12, 800, 1.3, 0, 0.0025, 0.004, 5, 3_600, 4 * 3_600),
)


def _flow(rng: random.Random, spec: BenignSpec) -> Flow:
    size = min(int(math.exp(rng.gauss(math.log(spec.median_usdc), spec.sigma)) * USDC),
               POOL // 100)
    user = address(f"{spec.name}/user/{rng.randrange(50)}")
    out = rng.random() < 0.45
    return Flow(sender=user, vault="pool", asset="USDC", direction="out" if out else "in",
                amount=max(size, USDC), scope="withdrawals" if out else "deposits")


def _blocks(spec: BenignSpec) -> Iterator[Block]:
    rng = random.Random(spec.name)
    t0 = timestamp(spec.start)
    n = DAYS * 86_400 // BLOCK_S
    whales = {rng.randrange(n): rng.randint(4, 9) for _ in range(spec.whales)}
    rate = spec.flows_per_hour * BLOCK_S / 3_600
    history = [PRICE] * (spec.ref_lag_blocks + 1)
    price, posted, posted_at = float(PRICE), PRICE, t0
    for i in range(n):
        t = t0 + i * BLOCK_S
        flows = [_flow(rng, spec) for _ in range(_poisson(rng, rate))]
        if i in whales:
            flows.append(Flow(sender=address(f"{spec.name}/whale/{i}"), vault="pool",
                              asset="USDC", direction="out", amount=POOL * whales[i] // 100,
                              scope="withdrawals"))
        price *= math.exp(rng.gauss(0, spec.vol_per_block))
        history = [*history[1:], int(price)]
        feeds, refs = {}, {}
        moved = abs(price - posted) / posted >= spec.deviation_post
        due = t - posted_at >= spec.heartbeat_s
        missed = spec.gap_every_s and (t - t0) % spec.gap_every_s < spec.heartbeat_s and not moved
        if moved or (due and not missed):
            posted, posted_at = int(price), t
            feeds = {"ETH_USD": Round(answer=posted, updated_at=t)}
            ref = int(history[0] * (1 + rng.gauss(0, spec.ref_noise)))
            refs = {"ETH_USD": Round(answer=ref, updated_at=t)}
        yield Block(block=FIRST_BLOCK + i, time=t, flows=flows, feeds=feeds, references=refs)


def _poisson(rng: random.Random, lam: float) -> int:
    k, p, limit = 0, rng.random(), math.exp(-lam)
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def write_benign(spec: BenignSpec, out_dir: Path, root: Path) -> Path:
    t0 = timestamp(spec.start)
    rnd = Round(answer=PRICE, updated_at=t0)
    header = Header(
        format="interlock-trace", version=1, name=spec.name.replace("-", "_"), kind="benign",
        description=f"{spec.title} of the SPEC venue, drawn as `distributions` says.",
        rules="examples/perp_venue.guard", block_time=BLOCK_S,
        start=StartState(balances={"pool": {"USDC": POOL}}, feeds={"ETH_USD": rnd},
                         references={"ETH_USD": rnd}),
        figures={"days": DAYS, "pool_usdc": POOL // USDC, "whales": spec.whales},
        distributions=spec.distributions(),
    )
    path = out_dir / f"{spec.name}.jsonl.gz"
    with TraceWriter(path, header) as w:
        for b in _blocks(spec):
            w.write(b)
    return path
