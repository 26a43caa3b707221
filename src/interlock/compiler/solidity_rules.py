"""Per-rule parts of the guard's view model: breaker effects, roles, powers, param overrides.

`solidity_view.build_view` assembles these; like it, every function here returns plain strings
and lists for the templates, ordered by declaration ids.
"""

from __future__ import annotations

from fractions import Fraction

from interlock.compiler.solidity_exprs import ExprCompiler, role_expr, role_text
from interlock.ir.metric_arith import WAD
from interlock.ir.nodes import (
    AlertEffect,
    BlockEffect,
    Breaker,
    HoldEffect,
    PauseEffect,
    Power,
    Program,
    SetEffect,
    SuspendEffect,
)

ALL_SCOPES = 255
NO_MAX_DURATION = 2**40  # a power without `at most`: still bounded so uint64 math cannot wrap


def _bool(x: bool) -> str:
    return "true" if x else "false"


def override_slots(program: Program) -> dict[tuple[str, int], tuple[int, int]]:
    """(param, breaker id) -> (slot, value): one override slot per breaker that sets a param."""
    slots: dict[tuple[str, int], tuple[int, int]] = {}
    for b in program.breakers:
        for e in b.effects:
            if isinstance(e, SetEffect):
                key = (e.param, b.id)
                slot = slots[key][0] if key in slots else len(slots)
                slots[key] = (slot, e.value)
    return slots


def param_value_lines(p: Program, slots: dict[tuple[str, int], tuple[int, int]]) -> list[str]:
    lines: list[str] = []
    for param in p.params:
        live = [(slot, value) for (name, _), (slot, value) in slots.items() if name == param.name]
        if not live:
            continue
        cmp = "<" if param.safer == "lower" else ">"
        lines.append(f"if (param == {param.index}) {{")
        for slot, value in live:
            lines.append(
                f"    if (t < _gs().overrideUntil[{slot}] && int256({value}) {cmp} v) v = {value};"
            )
        lines.append("}")
    if not lines:
        lines.append("t;")
    return lines


def breaker_view(
    p: Program, b: Breaker, slots: dict[tuple[str, int], tuple[int, int]]
) -> dict[str, object]:
    lines: list[str] = []
    longest = 0
    for e in b.effects:
        if isinstance(e, PauseEffect):
            lines += [f"_pause({p.scope(s).index}, t + {e.duration}); // pause {s}"
                      for s in e.scopes]
            longest = max(longest, e.duration)
        elif isinstance(e, SuspendEffect):
            lines += [f"_suspend({p.feed(f).index}, t + {e.duration}); // suspend {f}"
                      for f in e.feeds]
            longest = max(longest, e.duration)
        elif isinstance(e, SetEffect):
            slot, _ = slots[(e.param, b.id)]
            lines.append(
                f"_override({p.param(e.param).index}, {slot}, {b.id}, {e.value}, t + {e.duration});"
                f" // set {e.param}"
            )
            longest = max(longest, e.duration)
        elif isinstance(e, BlockEffect):
            scope = ALL_SCOPES if e.scope is None else p.scope(e.scope).index
            lines.append(f"_block(sender, {scope}, t + {e.duration}); // block sender")
            longest = max(longest, e.duration)
        elif isinstance(e, HoldEffect):
            lines.append(f"// hold flow for {e.duration} s: the report holds it (_recordFlow)")
        else:
            assert isinstance(e, AlertEffect)
            lines.append(f"// alert (off chain): {e.text!r}")
    return {
        "id": b.id,
        "name": b.name,
        "onchain": _bool(b.onchain),
        "needs_sender": _bool(any(isinstance(e, BlockEffect) for e in b.effects)),
        "has_cooldown": _bool(b.cooldown is not None),
        "cooldown": b.cooldown or 0,
        "effect_lines": lines,
        "fired_duration": longest,
    }


def roles_view(p: Program) -> list[dict[str, object]]:
    ids = {r.name: i for i, r in enumerate(p.roles)}
    return [
        {
            "id": ids[r.name],
            "name": r.name,
            "text": role_text(r.expr),
            "delay": r.delay,
            "expr": role_expr(p, r.expr, ids),
        }
        for r in p.roles
    ]


def step_lines(w: Power, param: int, lo: int, hi: int) -> list[str]:
    """A stepped `set`: its cooldown, then its step (`_checkStep`, docs/guard.md "Step
    bounds"), then the plain set, whose use mark (cooldown 0) records this use."""
    assert w.step is not None
    ratio = Fraction(w.step.amount, WAD) if w.step.relative else Fraction(w.step.amount)
    lines = [f"_checkUse(op.power, {param}, true, {w.cooldown})"] if w.cooldown else []
    lines.append(f"_checkStep(op.power, {param}, _clampSet(op.value, {lo}, {hi}), "
                 f"{w.step.period}, {_bool(w.step.relative)}, {ratio.numerator}, "
                 f"{ratio.denominator})")
    lines.append(f"_powerSet(op, {param}, {lo}, {hi}, true, 0)")
    return [f"{line};" for line in lines]


def power_view(p: Program, w: Power, ex: ExprCompiler) -> dict[str, object]:
    role_ids = {r.name: i for i, r in enumerate(p.roles)}
    has_cd, cd = _bool(w.cooldown is not None), w.cooldown or 0
    max_d = w.max_duration if w.max_duration is not None else NO_MAX_DURATION
    lines: list[str] = []
    if w.when is not None:
        lines.append(f"if (!{ex.cond(w.when)}) revert PowerConditionFalse({w.id});")
    if w.kind in ("pause", "unpause", "extend", "unblock"):
        mask = sum(1 << p.scope(t).index for t in w.targets)
    elif w.kind in ("suspend", "resume"):
        mask = sum(1 << p.feed(t).index for t in w.targets)
    else:
        mask = 0
    if w.kind == "pause":
        lines.append(f"_powerPause(op, {mask}, {max_d}, {has_cd}, {cd});")
    elif w.kind == "extend":
        lines.append(f"_powerExtend(op, {mask}, {max_d}, {has_cd}, {cd});")
    elif w.kind == "unpause":
        lines.append(f"_powerUnpause(op, {mask}, {has_cd}, {cd});")
    elif w.kind == "unblock":
        lines.append(f"_powerUnblock(op, {mask}, {has_cd}, {cd});")
    elif w.kind == "suspend":
        lines.append(f"_powerSuspend(op, {mask}, {max_d}, {has_cd}, {cd});")
    elif w.kind == "resume":
        lines.append(f"_powerResume(op, {mask}, {has_cd}, {cd});")
    elif w.kind == "set":
        param = p.param(w.targets[0])
        lo, hi = w.within if w.within is not None else (param.min, param.max)
        lo, hi = max(lo, param.min), min(hi, param.max)
        if w.step is not None:
            lines += step_lines(w, param.index, lo, hi)
        else:
            lines.append(f"_powerSet(op, {param.index}, {lo}, {hi}, {has_cd}, {cd});")
    elif w.kind == "cancel_holds":
        lines.append(f"_powerCancelHold(op, {has_cd}, {cd});")
    else:
        lines.append(f"_powerCancel(op, {role_ids[w.targets[0]]}, {has_cd}, {cd});")
    summary = f"{w.role} to {w.kind} {', '.join(w.targets)}"
    return {
        "id": w.id,
        "role_id": role_ids[w.role],
        "delay": w.delay,
        "summary": summary,
        "lines": lines,
    }
