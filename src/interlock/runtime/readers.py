"""Each metric atom's value at a block, as a function chosen once per atom.

`MetricState` asks every atom for its value at every block; deciding per block which kind of
atom it is, which window or feed address it reads and whether it saturates was most of that
cost. `atom_reader` makes that choice once and returns a closure over the atom's window (or
its feed addresses, or its vaults' balance keys) that only does the arithmetic
(`ir.metric_arith`, the definitions the guard shares). A reader returns None when an input
read failed at the block: the atom is then unavailable (docs/semantics.md, "Failed reads").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from interlock.ir.metric_arith import SATURATED_KINDS, deviation, price_of, saturate, staleness
from interlock.ir.nodes import Atom
from interlock.ir.notional import notional, total
from interlock.runtime.observe import BlockObservation
from interlock.runtime.windows import PriceHistory, WindowSum

if TYPE_CHECKING:
    from interlock.runtime.metrics import MetricPlan

Reader = Callable[[BlockObservation, int], "int | None"]  # (block, its timestamp) -> value


def atom_reader(plan: MetricPlan, atom: Atom, series: WindowSum | None,
                history: PriceHistory | None) -> Reader:
    """The reader of `atom`: `series` is its window (flows, calls, custom metrics), `history`
    its feed's price history (`change`). The metrics the guard also computes are clamped to
    `[0, 2**128]` as the guard clamps them (docs/guard.md, "Saturated metrics"): the value is
    computed exactly (a deviation from the feeds' raw answers), then saturated. A custom state
    read is off chain only and exact."""
    kind = atom.kind
    clamp = saturate if kind in SATURATED_KINDS else _exact
    if series is not None:  # outflow, inflow, calls, custom metric
        return lambda obs, ts: clamp(series.total(ts))
    if kind == "tvl":
        return _tvl_reader(plan, atom, clamp)
    if kind == "flow":  # no flow is being reported off chain, as at `poke` (docs/semantics.md)
        return lambda obs, ts: 0
    if kind == "read":  # a custom state read: exact, absent when its call failed
        name = atom.target
        return lambda obs, ts: obs.reads.get(name)
    if kind not in ("price", "deviation", "staleness", "change"):
        raise ValueError(f"no metric value for atom kind {kind}")
    return _feed_reader(plan, atom, history, clamp)


def _exact(value: int) -> int:
    return value


def _tvl_reader(plan: MetricPlan, atom: Atom, clamp: Callable[[int], int]) -> Reader:
    asset = plan.asset_address[atom.target]
    keys = tuple((asset, v) for v in plan.vaults_of[atom.target])

    def tvl(obs: BlockObservation, ts: int) -> int | None:
        balances = obs.balances
        if any(k not in balances for k in keys):
            return None
        return clamp(sum(balances[k] for k in keys))

    return tvl


def _feed_reader(plan: MetricPlan, atom: Atom, history: PriceHistory | None,
                 clamp: Callable[[int], int]) -> Reader:
    feed, kind = plan.feed_address[atom.target], atom.kind
    if kind == "price":
        def price(obs: BlockObservation, ts: int) -> int | None:
            rnd = obs.rounds.get(feed)
            return None if rnd is None else clamp(price_of(rnd.answer))

        return price
    if kind == "deviation":
        ref_addr = plan.feed_reference[atom.target] or ""

        def dev(obs: BlockObservation, ts: int) -> int | None:
            rnd, ref = obs.rounds.get(feed), obs.rounds.get(ref_addr)
            if rnd is None or ref is None:
                return None
            return clamp(deviation(price_of(rnd.answer), ref.answer))

        return dev
    if kind == "staleness":
        def stale(obs: BlockObservation, ts: int) -> int | None:
            rnd = obs.rounds.get(feed)
            return None if rnd is None else clamp(staleness(ts, rnd.updated_at))

        return stale
    assert history is not None  # `change`: MetricState keeps the feed's price history
    window = atom.window or 0

    def change(obs: BlockObservation, ts: int) -> int | None:
        rnd = obs.rounds.get(feed)
        return None if rnd is None else clamp(history.change(ts, window, price_of(rnd.answer)))

    return change


def value_reader(parts: list[tuple[Reader, Reader, int, int]]) -> Reader:
    """A value atom's reader from its parts' (amount reader, price reader, mul, div): the
    amounts priced at this block (`ir.notional`); unavailable when any part's read failed."""

    def value(obs: BlockObservation, ts: int) -> int | None:
        out = []
        for amount, price, mul, div in parts:
            a, p = amount(obs, ts), price(obs, ts)
            if a is None or p is None:
                return None
            out.append(notional(a, p, mul, div))
        return total(out)

    return value
