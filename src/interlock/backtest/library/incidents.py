"""The incident library: public post-mortems turned into traces (data only; `build` writes them).

Each incident is modelled as the withdrawals (and, where the attack moved a price, the feed
answers) one protected vault would have seen, against the rule file named in `rules`: the SPEC
venue (`examples/perp_venue.guard`, one USDC pool) for lending and trading venues, the bridge
example (`examples/bridge.guard`) for bridges. Losses of several assets are expressed in one
asset at their dollar value where the rule file has only that asset. Amounts are the reported
dollar figures divided by `scale` (dollars per token unit); the pool sizes marked "assumed" in
`notes` are modelling choices, not reported figures. Timing (start, number of transactions,
duration) follows the sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Leg:
    """The attack's outflows of one asset: `count` transactions totalling `usd` dollars, evenly
    spread over `duration_s` seconds from `offset_s` after the attack's start (shares by
    `weights` when given)."""

    asset: str
    usd: int
    count: int
    duration_s: int
    offset_s: int = 0
    weights: tuple[int, ...] = ()


@dataclass(frozen=True)
class Pump:
    """The attacked feed's answer multiplied by `factor` over `duration_s` from `offset_s`, in
    `steps` updates; the reference feed does not follow (a manipulated main source)."""

    factor: float
    steps: int
    duration_s: int
    offset_s: int = 0


@dataclass(frozen=True)
class IncidentSpec:
    name: str
    title: str
    rules: str
    start: str  # ISO UTC time of the first malicious transaction
    loss_usd: int
    scale: int  # dollars per whole token unit of the trace
    tvl_usd: dict[str, int]  # asset -> vault balance before the attack, in dollars
    legs: tuple[Leg, ...]
    summary: str
    sources: tuple[str, ...]
    notes: str
    attackers: int = 1  # distinct attacker addresses (copycats)
    pump: Pump | None = None
    guarded: bool = True  # False: the funds left by a path that never reports to the guard
    why_not: str | None = None
    vault: str = "pool"
    scope: str = "withdrawals"
    prices_usd: dict[str, int] = field(default_factory=dict)  # asset -> dollars per unit


PERP = "examples/perp_venue.guard"
BRIDGE = "examples/bridge.guard"
BRIDGE_OTHER = {"USDT": 20_000_000, "WETH": 30_000_000}

INCIDENTS: tuple[IncidentSpec, ...] = (
    IncidentSpec(
        "euler-2023-03", "Euler Finance, 13 March 2023", PERP, "2023-03-13T08:50:00Z",
        196_300_000, 1_000, {"USDC": 300_000_000},
        (Leg("USDC", 196_300_000, 6, 1_050, weights=(89, 60, 126, 186, 342, 1160)),),
        "a missing health check in `donateToReserves` let the attacker create bad debt and "
        "liquidate itself, one market per transaction, six markets in about 18 minutes",
        ("https://www.cryptopolitan.com/euler-finance-updates-users-on-the-197-m-hack/",
         "https://bitcoinsnews.com/?p=66882"),
        "losses per market as reported (DAI 8.9M, stETH 6.0M, WETH 12.6M, WBTC 18.6M, USDC "
        "34.2M, wstETH 116M) as six withdrawals from one USDC pool; pool of $300M assumed"),
    IncidentSpec(
        "nomad-2022-08", "Nomad bridge, 1-2 August 2022", BRIDGE, "2022-08-01T21:32:00Z",
        190_700_000, 1, {"USDC": 190_740_000, **BRIDGE_OTHER}, (Leg("USDC", 190_700_000, 300,
                                                                    9_000),),
        "an upgrade marked the zero root as proven, so any message passed: hundreds of "
        "addresses copied the first exploit's calldata and drained the bridge in hours",
        ("https://www.benzinga.com/markets/cryptocurrency/22/08/28303411/"
         "copy-paste-hack-190m-stolen-from-coinbase-backed-crypto-bridge-nomad",
         "https://medium.com/@CryptoSavingExpert/"
         "nomad-bridge-drained-of-nearly-200m-in-massive-copy-paste-hack-9c9a3652ed81"),
        "TVL $190.74M to near zero (DefiLlama, as reported); 300 releases by 40 copycat "
        "addresses over 2.5 hours assumed (reports: hundreds of addresses, 'in hours')",
        attackers=40, vault="escrow", scope="releases", prices_usd={"WETH": 1_650}),
    IncidentSpec(
        "harmony-2022-06", "Harmony Horizon bridge, 23 June 2022", BRIDGE,
        "2022-06-23T11:08:00Z", 100_000_000, 1, {"USDC": 110_000_000, **BRIDGE_OTHER},
        (Leg("USDC", 100_000_000, 11, 1_080),),
        "two of the bridge multisig's keys were stolen; 11 withdrawals between 07:08 and "
        "07:26 ET took about $100M",
        ("https://www.oodaloop.com/technology/2022/06/24/"
         "breaking-harmonys-horizon-bridge-hacked-for-100m/",
         "https://coinclear.io/bridges/harmony-horizon"),
        "all tokens expressed as USDC at their dollar value; escrow of $110M assumed",
        vault="escrow", scope="releases", prices_usd={"WETH": 1_100}),
    IncidentSpec(
        "ronin-2022-03", "Ronin bridge, 23 March 2022", BRIDGE, "2022-03-23T12:00:00Z",
        624_000_000, 1, {"USDC": 30_000_000, "USDT": 20_000_000, "WETH": 600_000_000},
        (Leg("WETH", 598_500_000, 1, 0), Leg("USDC", 25_500_000, 1, 0, offset_s=120)),
        "five of nine validator keys were compromised; two forged withdrawals took 173,600 "
        "ETH and 25.5M USDC, discovered six days later",
        ("https://cointelegraph.com/news/axie-infinity-s-ronin-bridge-hacked-for-over-600m/amp",
         "https://newscryptonews.com/news/ronin-network-hacked-for-173-6k-ethereum-and-25-5m-usdc/"),
        "173,600 ETH at about $3,447 (the $598.5M of the $624M total at March 29 prices); "
        "escrow balances assumed",
        vault="escrow", scope="releases", prices_usd={"WETH": 3_447}),
    IncidentSpec(
        "mango-2022-10", "Mango Markets, 11 October 2022", PERP, "2022-10-11T22:25:00Z",
        116_000_000, 1_000, {"USDC": 190_000_000},
        (Leg("USDC", 116_000_000, 8, 540, offset_s=660),),
        "MNGO perps were bought against the attacker's own offer and MNGO spot pumped about "
        "30x in ten minutes; the inflated collateral then borrowed $116M",
        ("https://www.soliduslabs.com/post/mango-hack",
         "https://cointelegraph.com/news/how-low-liquidity-led-to-mango-markets-losing-over-"
         "116-million/amp"),
        "the pumped price is the venue's main feed, the reference does not follow; borrows as "
        "eight withdrawals over 9 minutes (assumed); pool of $190M assumed",
        pump=Pump(30.0, 10, 600)),
    IncidentSpec(
        "inverse-2022-04", "Inverse Finance, 2 April 2022", PERP, "2022-04-02T10:55:00Z",
        15_600_000, 100, {"USDC": 100_000_000},
        (Leg("USDC", 15_600_000, 1, 0, offset_s=549),),
        "INV's price on a thin SushiSwap pool was inflated about 50x over several blocks, then "
        "one transaction (block 14506359, 11:04:09 UTC) borrowed $15.6M against it",
        ("https://inspexco.medium.com/inverse-finances-incident-analysis-inv-price-"
         "manipulation-b15c2e917888", "https://defirisk.co/learn/exploits/inverse-finance/"),
        "market of $100M assumed; the manipulated TWAP is the venue's main feed",
        pump=Pump(50.0, 5, 540)),
    IncidentSpec(
        "harvest-2020-10", "Harvest Finance, 26 October 2020", PERP, "2020-10-26T02:53:31Z",
        24_000_000, 1_000, {"USDC": 450_000_000},
        (Leg("USDC", 24_000_000, 30, 420),),
        "the vaults priced shares off Curve's Y pool; 30 flash-loan cycles (17 on USDC in 4 "
        "minutes, 13 on USDT in 3) each netted about $0.8M",
        ("https://medium.com/harvest-finance/harvest-flashloan-economic-attack-post-mortem-"
         "3cf900d65217", "https://www.coinyield.org/postmortems/101_harvest_finance"),
        "each cycle's net gain as one withdrawal (the flash-loaned deposit and withdrawal of "
        "~$50M each are inside one transaction); vaults of $450M assumed"),
    IncidentSpec(
        "cream-2021-10", "Cream Finance, 27 October 2021", PERP, "2021-10-27T13:54:00Z",
        130_000_000, 1_000, {"USDC": 150_000_000},
        (Leg("USDC", 130_000_000, 1, 0),),
        "a flash loan doubled yUSD's price per share in Cream's oracle; the inflated "
        "collateral borrowed about $130M of every v1 market, all in one transaction",
        ("https://www.threatshub.org/blog/yet-again-cream-finance-skimmed-by-crooks-130m-in-"
         "crypto-assets-stolen/", "https://halborn.com/explained-the-cream-finance-hack-"
         "october-2021/"),
        "the borrows of one transaction as one outflow of the pool; markets of $150M assumed"),
    IncidentSpec(
        "beanstalk-2022-04", "Beanstalk Farms, 17 April 2022", PERP, "2022-04-17T12:24:00Z",
        182_000_000, 1_000, {"USDC": 182_000_000},
        (Leg("USDC", 182_000_000, 1, 0),),
        "a flash loan bought two thirds of the governance vote; `emergencyCommit` executed "
        "BIP-18, which sent the protocol's reserves to the attacker, in one transaction",
        ("https://dnzn.dev/events/beanstalk-governance-attack",
         "https://www.smartcontractaudit.com/guides/beanstalk-2022-flash-loan-governance"),
        "the whole reserve leaves by the governance executor, not by a guarded withdrawal",
        guarded=False,
        why_not="the funds left through governance code that executes arbitrary calls in one "
                "transaction: no guarded call reports the flow, and a monitor acts a block "
                "later"),
    IncidentSpec(
        "radiant-2024-10", "Radiant Capital, 16 October 2024", PERP, "2024-10-16T14:54:00Z",
        53_000_000, 1_000, {"USDC": 150_000_000},
        (Leg("USDC", 53_000_000, 12, 1_080),),
        "malware on three of eleven signers' devices got a 3-of-11 multisig to hand the "
        "lending pools to the attacker, who upgraded them and drained them in 18 minutes",
        ("https://bitcoinsnews.com/inside-the-radiant-capital-multisig-breach-how-53-million-"
         "vanished-in-18-minutes-60776",
         "https://cryptonewz.pages.dev/crypto-news-coindesk.com/ja/tech/2024/10/16/"
         "radiant-capital-loses-50m-to-blockchain-exploit"),
        "twelve withdrawals over 18 minutes (assumed); pools of $150M assumed",
        guarded=False,
        why_not="the attacker owned the contracts: upgraded pools no longer call the guard, "
                "and the monitor's pause reaches only code that still asks it"),
)
