"""What the verifier knows of value metrics when their parts appear beside them.

Every metric is the adversary's choice (SPEC §4), a value (`ir.notional`) included: it is a
variable of its own, never the product of its amount and price (that would leave linear
arithmetic). Where a condition reads a value together with metrics it is made of, the values
the chain can produce are tied together by facts that hold for every amount and price, because
all of them are read at the same time from the same windows and feeds:

- a value is at most `SAT` (it saturates) and is 0 when its amount or its price is 0 (so a
  positive value needs a positive amount and a positive price);
- a `*` sum is at least each of its assets' values of the same kind and window, and at most
  their sum (it is their sum, saturated);
- a `*` sum is 0 when every priced asset's amount is 0.

These are linear (Spacer queries stay in linear integer arithmetic) and sound: they only remove
metric values no chain state produces, so a proof still covers every input the guard reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import z3

from interlock.ir.metric_arith import SATURATION
from interlock.ir.nodes import Atom, Program
from interlock.ir.notional import ALL, VALUE_KINDS, parts


def consistency(program: Program, metrics: Mapping[Atom, Any]) -> list[Any]:
    """The facts above for the value atoms among `metrics` (atom -> Z3 integer term)."""
    out: list[Any] = []
    for atom, v in metrics.items():
        if atom.kind not in VALUE_KINDS:
            continue
        out.append(v <= SATURATION)
        ps = parts(program, atom)
        # a positive value: some priced asset has a positive amount and a positive price
        some = []
        for p in ps:
            amount, price = metrics.get(p.amount), metrics.get(p.price)
            held = [x > 0 for x in (amount, price) if x is not None]
            some.append(z3.And(*held) if held else z3.BoolVal(True))
        out.append(z3.Implies(v > 0, z3.Or(*some)))
        if atom.target != ALL:
            continue
        singles = [metrics.get(atom.model_copy(update={"target": p.asset})) for p in ps]
        out += [v >= s for s in singles if s is not None]
        if all(s is not None for s in singles):
            out.append(v <= z3.Sum(*singles))
    return out
