"""The symbolic transition relation agrees with the concrete semantics, point by point.

The rules are written once, but they run through two back ends (`ConcreteOps`, `Z3Ops` with
its constant folding) and the symbolic side adds slicing and input decoding. For random reachable
states and random steps, substituting the concrete state and the step's inputs into the
symbolic guards and next state must give exactly what `semantics.step` gives.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ir_builders import H
from test_semantics import venue
from test_soundness import random_step

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Program
from interlock.semantics import StepRefused, initial_state, role_satisfied, step
from interlock.semantics.state import State
from interlock.semantics.trace import Advance, Fire, Step, UsePower
from interlock.verifier.replay import T0
from interlock.verifier.symbolic import Action, Model, Slice
from interlock.verifier.z3ops import to_z3_bool

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.dsl.strategies import guard_files


def full_model(p: Program) -> Model:
    seed = Slice(
        scopes={s.name for s in p.scopes},
        feeds={f.name for f in p.feeds},
        params={x.name for x in p.params},
        history={s.name for s in p.scopes},
    )
    return Model.build(p, seed, ())


def action_for(model: Model, s: Step) -> Action | None:
    for a in model.actions:
        if isinstance(s, Advance) and a.kind == "advance":
            return a
        if isinstance(s, Fire) and a.breaker is not None and a.breaker.name == s.breaker:
            return a
        if isinstance(s, UsePower) and a.power is not None and a.power.id == s.power:
            return a
    return None


def symbolic_step(model: Model, st: State, s: Step) -> State | None:
    """The symbolic rule evaluated at (st, s): the next state, or None when a guard is false."""
    action = action_for(model, s)
    assert action is not None
    x = model.fresh_state("x")
    ap = model.apply(action, x, "t")
    subst: list[tuple[Any, Any]] = [
        (v, z3.IntVal(c)) for v, c in zip(model.vector(x), model.vector(st), strict=True)
    ]
    if isinstance(s, Advance):
        subst.append((ap.inputs["seconds"], z3.IntVal(s.seconds)))
    elif isinstance(s, Fire):
        given_metrics = {m.atom: m.value for m in s.metrics}
        for k, atom in ap.metric_atoms.items():
            subst.append((ap.inputs[k], z3.IntVal(given_metrics[atom])))
    else:
        subst.append((ap.inputs["value"], z3.IntVal(s.value or 0)))
        for name, var in ap.inputs.items():
            if name.startswith("t:") and z3.is_const(var) and z3.is_bool(var):
                subst.append((var, z3.BoolVal(name[2:] in s.targets)))

    def ev(e: Any) -> Any:
        if isinstance(e, bool):
            e = to_z3_bool(e)
        elif isinstance(e, int):
            e = z3.IntVal(e)
        return z3.simplify(z3.substitute(e, *subst))

    ok = all(z3.is_true(ev(g)) for _, g in ap.guards) and all(z3.is_true(ev(d)) for d in ap.domain)
    if not ok:
        return None
    values = [ev(v).as_long() for v in model.vector(ap.next)]
    return model.state(values)


def agree(p: Program, seed: int, n: int = 40) -> int:
    """Random walk; at each state compare one random step both ways. Returns steps compared."""
    rng = random.Random(seed)
    model = full_model(p)
    durations = sorted({e.duration for b in p.breakers for e in b.effects if e.kind != "alert"})
    st = initial_state(p, T0)
    compared = 0
    for _ in range(n):
        s = random_step(p, st, rng, durations or [H])
        if isinstance(s, UsePower):
            w = p.powers[s.power]
            if action_for(model, s) is None or not role_satisfied(p, w.role, s.signers):
                continue  # not an adversary action (cancel, unsatisfiable role)
            if w.kind not in ("set",) and not s.targets:
                continue
        action = action_for(model, s)
        if action is None:
            continue
        needs_metrics = model.apply(action, model.fresh_state("y"), "u").metric_atoms
        if isinstance(s, Fire) and not s.metrics and needs_metrics:
            continue  # no metric values make the condition hold: nothing to compare
        try:
            concrete: State | None = step(p, st, s)
        except StepRefused:
            concrete = None
        symbolic = symbolic_step(model, st, s)
        if concrete is None:
            assert symbolic is None, (s, st)
            continue
        assert symbolic is not None, (s, st)
        assert model.vector(symbolic) == model.vector(concrete), (s, st)
        compared += 1
        st = concrete
    return compared


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_symbolic_rules_agree_with_concrete_on_the_venue(seed: int) -> None:
    assert agree(venue(), seed) > 0


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=guard_files(max_breakers=4, max_powers=4, max_invariants=1), seed=st.integers(0, 99))
def test_symbolic_rules_agree_with_concrete_on_random_files(text: str, seed: int) -> None:
    result = compile_text(text, "fuzz.guard")
    if result.program is not None:
        agree(result.program, seed, n=25)


def test_slice_keeps_only_the_cone_of_influence() -> None:
    # withdrawals is written by drain, flood, guardian pause/unpause and governor extend; the
    # oracle breaker and the param only touch liquidations/ETH_USD/lev
    m = Model.build(venue(), Slice(scopes={"withdrawals"}), ())
    assert m.slice.scopes == {"withdrawals"} and not m.slice.feeds and not m.slice.params
    assert sorted(a.label for a in m.actions) == [
        "advance",
        "fire drain",
        "fire flood",
        "power 0 (pause)",
        "power 1 (unpause)",
        "power 4 (extend)",
    ]
    assumed = Model.build(venue(), Slice(scopes={"withdrawals"}), ("governor",))
    assert "power 4 (extend)" not in [a.label for a in assumed.actions]
