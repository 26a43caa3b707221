"""Write the incident library's traces, deterministically (same inputs, same bytes).

An incident trace covers 30 minutes before the first malicious transaction to an hour after
the last, one block every 12 s. Besides the attack it carries ordinary traffic (small deposits
and withdrawals by a few users, seeded by the incident's name), so the report can show what
the rules cost ordinary users during the response.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from eth_utils.crypto import keccak

from interlock.backtest.library.incidents import IncidentSpec
from interlock.backtest.trace import Block, Flow, Header, Incident, Round, StartState, Window
from interlock.backtest.writer import TraceWriter
from interlock.dsl.frontend import compile_file
from interlock.ir.nodes import Program

BLOCK_S = 12
BEFORE_S, AFTER_S = 1_800, 3_600
PRICE = 2_000 * 10**8  # ETH_USD answer before any pump (8 decimals)
FIRST_BLOCK = 10_000_000


def address(seed: str) -> str:
    return "0x" + bytes(keccak(text=seed))[-20:].hex()


def timestamp(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _units(program: Program, spec: IncidentSpec, asset: str, usd: int) -> int:
    decimals: int = program.asset(asset).decimals
    per_unit: int = spec.prices_usd.get(asset, spec.scale)
    return int(usd * 10**decimals // per_unit)


def attack_flows(program: Program, spec: IncidentSpec) -> list[tuple[int, Flow]]:
    """(seconds after the start, flow) of every malicious transaction."""
    out = []
    attackers = [address(f"{spec.name}/attacker/{i}") for i in range(spec.attackers)]
    for leg in spec.legs:
        weights = leg.weights or (1,) * leg.count
        total = _units(program, spec, leg.asset, leg.usd)
        amounts = [total * w // sum(weights) for w in weights]
        amounts[-1] += total - sum(amounts)
        for i, amount in enumerate(amounts):
            at = leg.offset_s + (leg.duration_s * i // (leg.count - 1) if leg.count > 1 else 0)
            out.append((at, Flow(sender=attackers[i % len(attackers)], vault=spec.vault,
                                 asset=leg.asset, direction="out", amount=amount,
                                 scope=spec.scope if spec.guarded else None,
                                 guarded=spec.guarded)))
    return sorted(out, key=lambda x: x[0])


def _end_s(spec: IncidentSpec) -> int:
    return max(leg.offset_s + leg.duration_s for leg in spec.legs)


def header(program: Program, spec: IncidentSpec, flows: list[tuple[int, Flow]]) -> Header:
    t0 = timestamp(spec.start)
    first = t0 + min(at - at % BLOCK_S for at, _ in flows)  # the blocks that hold them
    last = t0 + max(at - at % BLOCK_S for at, _ in flows)
    balances = {spec.vault: {a: _units(program, spec, a, usd) for a, usd in spec.tvl_usd.items()}}
    feeds = {f.name: Round(answer=_answer(program, spec, f.name), updated_at=t0 - BEFORE_S)
             for f in program.feeds}
    refs = {f.name: Round(answer=PRICE, updated_at=t0 - BEFORE_S)
            for f in program.feeds if f.reference}
    return Header(
        format="interlock-trace", version=1, name=spec.name.replace("-", "_"), kind="incident",
        description=f"{spec.title}: {spec.summary}. Model: {spec.notes}.",
        rules=spec.rules, block_time=BLOCK_S,
        start=StartState(balances=balances, feeds=feeds, references=refs),
        incident=Incident(attack=Window(start=first, end=last),
                          attackers=sorted({f.sender for _, f in flows}),
                          containable=spec.guarded, why_not=spec.why_not),
        figures={"loss_usd": spec.loss_usd, "transactions": len(flows),
                 "duration_s": max(at for at, _ in flows) - min(at for at, _ in flows),
                 "scale_usd_per_unit": spec.scale,
                 "first_malicious_utc": spec.start,
                 **{f"tvl_usd_{a}": v for a, v in sorted(spec.tvl_usd.items())},
                 **{f"price_usd_{a}": v for a, v in sorted(spec.prices_usd.items())}},
        sources=list(spec.sources),
    )


def _answer(program: Program, spec: IncidentSpec, feed: str) -> int:
    """A feed's answer before the attack: PRICE, or for a feed that prices an asset, the
    asset's dollar price in the feed's decimals (the `value(...)` metrics read it)."""
    asset = next((a.name for a in program.assets if a.priced_by == feed), None)
    if asset is None:
        return PRICE
    return int(spec.prices_usd.get(asset, spec.scale) * 10**program.feed(feed).decimals)


def _ordinary(rng: random.Random, program: Program, spec: IncidentSpec) -> list[Flow]:
    """Now and then one small deposit or withdrawal (0.01%..0.1% of the pool) by a user."""
    if rng.random() >= 0.1:
        return []
    asset = next(iter(spec.tvl_usd))
    size = _units(program, spec, asset, spec.tvl_usd[asset]) * rng.randint(1, 10) // 10_000
    user = address(f"{spec.name}/user/{rng.randrange(8)}")
    out = rng.random() < 0.5
    scope = spec.scope if out else "deposits"
    return [Flow(sender=user, vault=spec.vault, asset=asset, direction="out" if out else "in",
                 amount=size, scope=scope)]


def _feeds(program: Program, spec: IncidentSpec, rel: int, t: int) -> dict[str, Round]:
    """The main feeds' rounds at `rel` seconds from the start: the pump's steps, if any (the
    last step's answer then stands)."""
    pump = spec.pump
    if pump is None:
        return {}
    step = pump.duration_s // pump.steps
    k, off = divmod(rel - pump.offset_s, step)
    if off or not 0 <= k < pump.steps:
        return {}
    factor = 1 + (pump.factor - 1) * (k + 1) / pump.steps
    return {f.name: Round(answer=int(PRICE * factor), updated_at=t) for f in program.feeds}


def blocks(program: Program, spec: IncidentSpec, flows: list[tuple[int, Flow]]
           ) -> Iterator[Block]:
    rng = random.Random(spec.name)
    t0 = timestamp(spec.start)
    by_time: dict[int, list[Flow]] = {}
    for at, flow in flows:
        by_time.setdefault(at - at % BLOCK_S, []).append(flow)
    n = (BEFORE_S + _end_s(spec) + AFTER_S) // BLOCK_S
    for i in range(n + 1):
        rel = i * BLOCK_S - BEFORE_S
        t = t0 + rel
        attack = by_time.get(rel, [])
        yield Block(block=FIRST_BLOCK + i, time=t, flows=[*_ordinary(rng, program, spec),
                                                           *attack],
                    feeds=_feeds(program, spec, rel, t))


def write_incident(spec: IncidentSpec, out_dir: Path, root: Path) -> Path:
    program = compile_file(str(root / spec.rules)).program
    assert program is not None, f"{spec.rules} does not check"
    flows = attack_flows(program, spec)
    path = out_dir / f"{spec.name}.jsonl.gz"
    with TraceWriter(path, header(program, spec, flows)) as w:
        for b in blocks(program, spec, flows):
            w.write(b)
    return path

