"""`op propose set`: whether the power's step bound lets the value through, before anyone signs.

The guard checks a step when the operation executes (docs/guard.md, "Step bounds"), against
the base and the power's last use at that time; here the same rule of the reference semantics
(`semantics.rules.step_guards`) runs on the live guard's base and last use, now.
"""

from __future__ import annotations

from dataclasses import replace

from interlock.ir.metric_arith import WAD
from interlock.ir.nodes import Power, Program
from interlock.operations.chain import Guard
from interlock.operations.describe import fmt_time
from interlock.semantics import initial_state
from interlock.semantics.ops import CONCRETE
from interlock.semantics.rules import set_value, step_guards
from interlock.verifier.describe import fmt_step


def step_refusal(program: Program, power: Power, value: int, base: int, last_use: int,
                 now: int) -> str | None:
    """Why the step bound refuses `value` at `now` (None: it allows it), given the param's
    base and the power's last use on it (0: never)."""
    step = power.step
    if step is None:
        return None
    t = power.targets[0]
    st = initial_state(program, max(now, 1))
    st = replace(st, base={**st.base, t: base},
                 used_until={**st.used_until, (power.id, t): last_use})
    failed = [name for name, ok in step_guards(CONCRETE, program, st, power, value) if not ok]
    if not failed:
        return None
    bound = f"`{fmt_step(step)}`"
    if failed[0].startswith("step period"):
        return (f"{bound}: this power last set `{t}` at {fmt_time(last_use)}, so it may set it "
                f"again from {fmt_time(last_use + step.period)}")
    lo, hi = allowed(program, power, base)
    return (f"{bound}: {set_value(CONCRETE, program, power, value)} moves `{t}` from its base "
            f"{base} by more than the bound; it allows [{lo}, {hi}] now")


def allowed(program: Program, power: Power, base: int) -> tuple[int, int]:
    """The values the step allows from `base`, within the power's clamp range (display)."""
    assert power.step is not None
    reach = power.step.amount * base // WAD if power.step.relative else power.step.amount
    lo, hi = set_value(CONCRETE, program, power, base - reach), \
        set_value(CONCRETE, program, power, base + reach)
    return int(lo), int(hi)


def live_step_refusal(g: Guard, power: Power, value: int) -> str | None:
    """`step_refusal` against the live guard's state now."""
    if power.step is None:
        return None
    param = g.program.param(power.targets[0])
    fns = g.contract.functions
    base = int(fns.paramBase(param.index).call())
    last = int(fns.usedUntil(power.id, param.index).call())
    return step_refusal(g.program, power, value, base, last, g.now())
