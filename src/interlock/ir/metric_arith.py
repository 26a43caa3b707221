"""The arithmetic of metric values, shared by the monitor, the test chains and the verifier.

docs/semantics.md ("Numbers and rounding", "Saturated metrics"): ratios are WAD-scaled and
floored; the metrics the guard also computes are saturated to `[0, 2**128]` so a sum of
`coef * atom` terms never overflows `int256`; every metric is non-negative except a custom
`sum` over a signed event field. The guard's Solidity (`templates/core_internal_flows.sol.j2`)
implements the same definitions; the differential tests check they agree.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interlock.ir.nodes import Atom, Program

WAD = 10**18  # ratios are WAD-scaled integers: 10**18 is 100%
SATURATION = 2**128  # the guard's `SAT`: the largest value a saturated metric takes
# The most one window bucket holds: a bucket's flows beyond it saturate (the guard never reverts
# a report for its size), so a window's 12 buckets sum to at most 12 * BUCKET_CAP < 2**108.
BUCKET_CAP = 2**104 - 1
SATURATED_KINDS = frozenset({"outflow", "inflow", "tvl", "price", "deviation", "staleness",
                             "flow", "value_outflow", "value_inflow", "value_tvl"})

_SIGNED_INT = re.compile(r"int[0-9]*$")


def saturate(value: int) -> int:
    """A non-negative metric value as the guard reads it."""
    return min(value, SATURATION)


def price_of(answer: int) -> int:
    """`price`: the feed's answer, 0 when it is not positive (not yet saturated)."""
    return max(answer, 0)


def deviation(price: int, ref_answer: int) -> int:
    """`deviation`: `floor(|price - ref| * WAD / ref)`; a reference answer <= 0 reads as the
    saturation bound (not yet saturated)."""
    if ref_answer <= 0:
        return SATURATION
    return abs(price - ref_answer) * WAD // ref_answer


def change(start: int | None, price_now: int) -> int:
    """`change`: `floor(|p_now - p_start| * WAD / p_start)`; 0 without a positive start."""
    if start is None or start <= 0:
        return 0
    return abs(price_now - start) * WAD // start


def staleness(now: int, updated_at: int) -> int:
    """Seconds since the feed's last update; an update time in the future (a feed reporting
    milliseconds, a broken clock) reads as the saturation bound: as stale as can be."""
    return SATURATION if updated_at > now else now - updated_at


def metric_nonnegative(program: Program, atom: Atom) -> bool:
    """Whether `atom`'s value is at least 0 in every state: every metric is (amounts,
    balances, prices clamped at 0, ratios, durations, counts) except a custom `sum` whose
    summed event field has a signed integer type."""
    if atom.kind == "read":
        read = next((r for r in program.reads if r.name == atom.target), None)
        return read is None or not _SIGNED_INT.match(read.returns)
    if atom.kind != "metric":
        return True
    custom = next((m for m in program.metrics if m.name == atom.target), None)
    if custom is None or custom.aggregate != "sum":
        return True
    summed = custom.summed_param()
    return summed is not None and not _SIGNED_INT.match(summed.type)
