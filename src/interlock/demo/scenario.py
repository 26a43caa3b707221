"""The incident the demo replays, and its scaling: data only, no chain.

Euler Finance, 13 March 2023: an attacker drained about $197M from the lending protocol in a
series of transactions between about 08:50 and 09:08 UTC, one per asset market, exploiting a
missing health check in `donateToReserves` (public post-mortems: BlockSec, Omniscia, SlowMist).
The losses per asset, as reported at the time: 73.8k wstETH ($116M), 34.2M USDC, 846 WBTC
($18.6M), 8k WETH ($12.6M), 8.9M DAI, 3.8k stETH ($6M) — $196.3M in all.

The demo replays those six losses as six withdrawals from one USDC pool of the SPEC §1 venue,
scaled 1:1000 (dollars to USDC), smallest markets first (our order, not necessarily the
attack's), 3.5 minutes of chain time apart so the six span the attack's ~18 minutes. The pool
holds 300,000 USDC. The vault stand-in lets anyone withdraw, as Euler's bug effectively did.
"""

from __future__ import annotations

from dataclasses import dataclass

USDC = 10**6  # base units per USDC (6 decimals)
SCALE = 1_000  # dollars of the incident per USDC of the demo
POOL_TVL = 300_000 * USDC
STEP_SECONDS = 210  # chain time between two drain transactions
ETH_PRICE = 2_000 * 10**8  # the feeds' answer (8 decimals); unchanged during the drain


@dataclass(frozen=True)
class Drain:
    market: str  # the Euler market whose loss this withdrawal models
    usd: int  # the loss in dollars, as reported
    amount: int  # the withdrawal in USDC base units (usd / SCALE)


def _drain(market: str, usd: int) -> Drain:
    return Drain(market, usd, usd * USDC // SCALE)


INCIDENT = "Euler Finance, 13 March 2023 (~$197M)"
DRAINS: tuple[Drain, ...] = (
    _drain("DAI", 8_900_000),
    _drain("stETH", 6_000_000),
    _drain("WETH", 12_600_000),
    _drain("WBTC", 18_600_000),
    _drain("USDC", 34_200_000),
    _drain("wstETH", 116_000_000),
)
TOTAL_DRAIN = sum(d.amount for d in DRAINS)
PRESERVED_AT_LEAST = 0.80  # the fraction of the pool the guarded run keeps (the test asserts it)


def usdc(amount: int) -> str:
    """`27500000000` -> `27,500 USDC`."""
    whole, frac = divmod(amount, USDC)
    return f"{whole:,} USDC" if frac == 0 else f"{whole:,}.{frac:06d} USDC".rstrip("0")
