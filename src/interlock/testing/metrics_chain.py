"""Make a breaker's metric values true on a test chain, then measure them as the guard does.

`realize_metrics` sets feed answers and update times, vault token balances and recorded flows so
that the on-chain metrics take the requested values where the chain can reach them, then reads
every on-chain atom of the breaker's condition back with the guard's definitions
(docs/semantics.md, "Metric windows"). Off-chain atoms keep their requested values (the agent
measured them). Recorded flows only grow: a requested window sum below what is already recorded
is realized as the recorded sum.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from eth_utils.crypto import keccak

from interlock.ir.conditions import metric_atoms
from interlock.ir.flow import hold_duration
from interlock.ir.metric_arith import SATURATION, WAD, deviation, price_of, saturate, staleness
from interlock.ir.nodes import ONCHAIN_ATOMS, Atom, Breaker, Cond, Program
from interlock.ir.notional import VALUE_KINDS, notional, parts, value_from
from interlock.semantics.trace import MetricValue
from interlock.testing.chain import TxOutcome
from interlock.testing.harness import QUIET_PRICE_UNITS

if TYPE_CHECKING:
    from interlock.testing.chain_driver import ChainDriver

BREAKER_FIRED = keccak(b"BreakerFired(uint256,address,uint64)")
FEED_ATOMS = ("price", "deviation", "staleness")


def condition_atoms(program: Program, cond: Cond) -> list[Atom]:
    """The metric atoms of `cond` with scores expanded (params and scores left out)."""
    return metric_atoms(program, cond)


def realize_metrics(
    d: ChainDriver, breaker: Breaker, requested: Iterable[MetricValue]
) -> tuple[MetricValue, ...]:
    """Set up the chain for `requested`; return the values the guard will measure."""
    given = {m.atom: m.value for m in requested}
    atoms = list(dict.fromkeys([*condition_atoms(d.program, breaker.when), *given]))
    atoms = [a for a in atoms if a.kind not in ("param", "score")]
    d.sync_clock()
    for feed in dict.fromkeys(a.target for a in given if a.kind in FEED_ATOMS):
        _set_feed(d, feed, {a.kind: v for a, v in given.items() if a.target == feed
                            and a.kind in FEED_ATOMS})
    for a, v in given.items():
        if a.kind == "tvl":
            _set_tvl(d, a.target, v)
    flows: dict[Atom, int] = {}
    for a, v in given.items():
        if a.kind in ("outflow", "inflow") and a.window is not None:
            flows[a] = _add_flow(d, a, v)
    for a, v in given.items():
        if a.kind in VALUE_KINDS:
            _set_value(d, a, v, flows)
        if a.kind == "flow":  # last: the report the rule is decided on
            _report_flow(d, breaker, a, v, flows)
    for a in atoms:
        if a.kind == "flow" and a not in flows:
            flows[a] = 0  # no report: `poke` reads 0
    out = []
    for a in atoms:
        if a in flows:  # as the guard saw it when the report fired (or not) the breaker
            out.append(MetricValue(atom=a, value=flows[a]))
        elif a.kind in VALUE_KINDS:
            read = {x: flows[x] if x in flows else measure(d, x)
                    for p in parts(d.program, a) for x in (p.amount, p.price)}
            out.append(MetricValue(atom=a, value=value_from(d.program, a, read)))
        elif a.kind in ONCHAIN_ATOMS:
            out.append(MetricValue(atom=a, value=measure(d, a)))
        elif a in given:
            out.append(MetricValue(atom=a, value=given[a]))
    return tuple(out)


def seen_metrics(d: ChainDriver, breaker: Breaker) -> tuple[MetricValue, ...]:
    """The on-chain atoms of `breaker`'s condition as the guard saw them during the set-up's
    flow reports (a report the guard took back still counted when it fired the breaker)."""
    out = []
    def seen(a: Atom) -> int:
        extra = d.undone_flows.get((a.kind, a.target), 0) if a.kind in (
            "outflow", "inflow") else 0
        return saturate(measure(d, a) + extra)

    for a in condition_atoms(d.program, breaker.when):
        if a.kind == "flow":
            out.append(MetricValue(atom=a, value=d.report_flows.get(breaker.id, {}).get(
                a.target, 0)))
        elif a.kind in VALUE_KINDS:
            read = {x: seen(x) for p in parts(d.program, a) for x in (p.amount, p.price)}
            out.append(MetricValue(atom=a, value=value_from(d.program, a, read)))
        elif a.kind in ONCHAIN_ATOMS:
            out.append(MetricValue(atom=a, value=seen(a)))
    return tuple(out)


# --- measuring --------------------------------------------------------------------------------


def _round(feed: Any) -> tuple[int, int]:
    data = feed.functions.latestRoundData().call()
    return int(data[1]), int(data[3])


def _price(answer: int) -> int:
    return saturate(price_of(answer))


def deviation_of(answer: int, ref_answer: int) -> int:
    return saturate(deviation(price_of(answer), ref_answer))


def measure(d: ChainDriver, a: Atom) -> int:
    """The value of on-chain atom `a` as the guard computes it at the driver's clock."""
    h, p = d.h, d.program
    if a.kind == "flow":
        return 0  # no report is in progress
    if a.kind in VALUE_KINDS:
        read = {x: measure(d, x) for q in parts(p, a) for x in (q.amount, q.price)}
        return value_from(p, a, read)
    if a.kind in ("tvl", "outflow", "inflow"):
        asset = p.asset(a.target)
        if a.kind == "tvl":
            total = sum(
                int(h.tokens[asset.name].functions.balanceOf(h.vaults[v.name].address).call())
                for v in p.vaults if asset.name in v.holds
            )
            return saturate(total)
        fn = d.guard.functions.outflow if a.kind == "outflow" else d.guard.functions.inflow
        return saturate(int(fn(h.tokens[asset.name].address, a.window).call()))
    answer, updated = _round(h.feeds[a.target])
    if a.kind == "price":
        return _price(answer)
    if a.kind == "staleness":
        return saturate(staleness(d.now, updated))
    ref = h.references.get(a.target)
    return deviation_of(answer, _round(ref)[0] if ref is not None else 0)


# --- setting ----------------------------------------------------------------------------------


def _send(d: ChainDriver, fn: Any) -> TxOutcome:
    out = d.chain.call_fn(fn, d.chain.accounts[0], timestamp=d.now)
    if not out.ok:
        raise RuntimeError("setting up a metric reverted")
    return out


def fired_rules(d: ChainDriver, out: TxOutcome) -> list[int]:
    """The rule ids of the guard's `BreakerFired` events in a receipt, in emission order."""
    guard = d.guard.address.lower()
    return [int.from_bytes(bytes(log["topics"][1]), "big") for log in out.logs
            if str(log["address"]).lower() == guard and log["topics"]
            and bytes(log["topics"][0]) == BREAKER_FIRED]


def _set_feed(d: ChainDriver, feed: str, want: dict[str, int]) -> None:
    decimals = d.program.feed(feed).decimals
    quiet = QUIET_PRICE_UNITS * 10**decimals
    contract = d.h.feeds[feed]
    answer, _ = _round(contract)
    if "price" in want:
        answer = want["price"]
    elif answer <= 0:
        answer = quiet
    updated = d.now
    if "staleness" in want:
        s = want["staleness"]
        updated = d.now - s if 0 <= s <= d.now else d.now + 1 if s >= SATURATION else 0
    ref = d.h.references.get(feed)
    if "deviation" in want and ref is not None:
        r = want["deviation"]
        if r >= SATURATION:
            ref_answer = 0
        elif "price" in want:
            ref_answer = solve_reference(answer, r)
        else:
            ref_answer = quiet
            answer = quiet + -(-r * quiet // WAD)
        _send(d, ref.functions.set(ref_answer, d.now))
    _send(d, contract.functions.set(answer, updated))


def solve_reference(answer: int, r: int) -> int:
    """A reference answer giving `deviation_of(answer, ref) == r`, or the nearest above it."""
    p = _price(answer)
    if p == 0:
        return 1
    guesses = [p * WAD // (WAD + r)]
    if r < WAD:
        guesses.append(p * WAD // (WAD - r))
    candidates = [g + k for g in guesses for k in range(-3, 4) if g + k > 0]
    exact = [c for c in candidates if deviation_of(answer, c) == r]
    if exact:
        return exact[0]
    above = [c for c in candidates if deviation_of(answer, c) > r]
    return min(above, key=lambda c: deviation_of(answer, c)) if above else 1


def _set_tvl(d: ChainDriver, asset: str, value: int) -> None:
    token = d.h.tokens[asset]
    holders = [v for v in d.program.vaults if asset in v.holds]
    for i, v in enumerate(holders):
        _send(d, token.functions.setBalance(d.h.vaults[v.name].address, value if i == 0 else 0))


def _balance(d: ChainDriver, vault: str, asset: str) -> int:
    token = d.h.tokens[asset]
    return int(token.functions.balanceOf(d.h.vaults[vault].address).call())


def _set_balance(d: ChainDriver, vault: str, asset: str, value: int) -> None:
    _send(d, d.h.tokens[asset].functions.setBalance(d.h.vaults[vault].address, value))


def _add_flow(d: ChainDriver, a: Atom, value: int) -> int:
    """Report the flow that brings the window sum to `value`; the sum the guard then saw.

    A report that fires a breaker is undone by the guard (`recordOutflow` returns false), so
    the sum is computed here rather than read back.
    """
    current = measure(d, a)
    holders = [v for v in d.program.vaults if a.target in v.holds]
    if value <= current or not holders or value >= SATURATION:
        return current
    vault = d.h.vaults[holders[0].name]
    token = d.h.tokens[a.target].address
    fn = vault.functions.reportOutflow if a.kind == "outflow" else vault.functions.reportInflow
    amount = value - current
    # The rules see the balance after the reported flow, and the report moves no tokens: hold
    # the flow in the vault (outflow) or out of it (inflow) while reporting, so the guard sees
    # the tvl that was set.
    tvl = _balance(d, holders[0].name, a.target)
    shifted = tvl + amount if a.kind == "outflow" else max(tvl - amount, 0)
    _set_balance(d, holders[0].name, a.target, shifted)
    fired = fired_rules(d, _send(d, fn(token, amount)))
    _set_balance(d, holders[0].name, a.target, tvl)
    d.fired_by_reports.extend(fired)
    if a.kind == "outflow":
        for rule in fired:
            d.report_flows[rule] = {a.target: amount}
    if fired:  # the report fired a breaker: the guard took it back
        key = (a.kind, a.target)
        d.undone_flows[key] = d.undone_flows.get(key, 0) + value - current
    return value


def _report_flow(d: ChainDriver, breaker: Breaker, a: Atom, value: int,
                 flows: dict[Atom, int]) -> None:
    """Report one outflow of `value` through `reportOutflowTo` (a `hold flow` rule holds it
    there), the vault's balance shifted so the guard sees the tvl that was set. `flow(A)` is
    `value` for the rules the report fired and 0 for a `poke` after it; the windows of `A` it
    added to are as the guard saw them when it decided."""
    holders = [v for v in d.program.vaults if a.target in v.holds]
    if value <= 0 or value >= SATURATION or not holders:
        return
    vault = d.h.vaults[holders[0].name]
    tvl = _balance(d, holders[0].name, a.target)
    _set_balance(d, holders[0].name, a.target, tvl + value)
    fn = vault.functions.reportOutflowTo(d.h.tokens[a.target].address, value, d.sender)
    fired = fired_rules(d, _send(d, fn))
    _set_balance(d, holders[0].name, a.target, tvl)
    d.fired_by_reports.extend(fired)
    for rule in fired:
        d.report_flows[rule] = {a.target: value}
    if breaker.id in fired:
        flows[a] = value
        refused = any(hold_duration(d.program.breakers[r]) is None for r in fired)
        for w in list(flows):
            if w.kind == "outflow" and w.target == a.target:
                flows[w] = flows[w] + value  # what the guard saw while deciding
        if refused:
            key = ("outflow", a.target)
            d.undone_flows[key] = d.undone_flows.get(key, 0) + value


def _set_value(d: ChainDriver, a: Atom, value: int, flows: dict[Atom, int]) -> None:
    """Bring a value to at least `value` (the nearest the chain reaches above it): give every
    pricing feed a price (a quiet one unless one was set), then raise the first priced asset's
    amount (its flows or balance) until its value makes up what the others lack."""
    ps = parts(d.program, a)
    for p in ps:
        if measure(d, p.price) == 0:
            _set_feed(d, p.feed, {})
    first, rest = ps[0], ps[1:]
    others = sum(notional(measure(d, p.amount), measure(d, p.price), p.mul, p.div)
                 for p in rest)
    price = measure(d, first.price)
    if value >= SATURATION or price == 0 or value <= others:
        return
    need = -(-(value - others) * first.div // (price * first.mul))  # the least amount (ceil)
    if first.amount.kind == "tvl":
        if need > measure(d, first.amount):
            _set_tvl(d, first.asset, need)
    else:
        flows[first.amount] = _add_flow(d, first.amount, need)
