"""Bounded model checking: counterexamples by unrolling the transition relation.

Each unrolled step is "time passes by `d ≥ 0`, then one action (or none)", so a trace of k
breaker firings and power uses needs depth k. The first state is the initial state at `T0`
(the machine is invariant under shifting time, so one `t0` stands for all). A result found
here is only a candidate: `temporal` replays it on the concrete semantics before reporting it.

`find_lasso` looks for a prefix and a loop after which the state is the same up to a shift of
time (`Model.same_up_to_shift`), with the scope held in one pause at every state of the loop
(paused, or at the instant its pause ends, where a new pause continues it): such a loop
repeats forever and keeps the scope paused forever.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import z3

from interlock.semantics.state import State
from interlock.semantics.trace import Advance, Step
from interlock.verifier.budget import Clock
from interlock.verifier.symbolic import Action, Applied, Model
from interlock.verifier.z3ops import to_z3_bool

T0 = 1_000_000
BadFn = Callable[[State], Any]


@dataclass(frozen=True)
class BmcResult:
    steps: tuple[Step, ...] | None  # a candidate counterexample, or None
    depth: int  # the depth searched completely (or the counterexample's depth)
    loop_start: int | None = None  # index into `steps` where a lasso's loop starts


@dataclass
class _Layer:
    advance: Any  # the z3 Int for time passing
    pre: State  # after time passes
    post: State  # after the action
    selector: Any
    applied: list[Applied]


class Unrolling:
    def __init__(self, model: Model, solver: z3.Solver) -> None:
        self.model = model
        self.solver = solver
        self.states: list[State] = [model.initial(T0)]
        self.layers: list[_Layer] = []
        self.acts: list[Action] = [a for a in model.actions if a.kind != "advance"]

    def extend(self) -> None:
        i = len(self.layers)
        cur = self.states[-1]
        d = z3.Int(f"d@{i}")
        pre = replace(cur, now=cur.now + d)
        self.solver.add(d >= 0)
        post = self.model.fresh_state(f"s{i + 1}")
        sel = z3.Int(f"sel@{i}")
        self.solver.add(sel >= 0, sel <= len(self.acts))
        applied = []
        before = self.model.vector(pre)
        # each variable's next value: an `ite` over the actions that change it, else the same
        # (a thousand breakers each touch a few variables; equating whole vectors is quadratic)
        after: list[Any] = list(before)
        for j, act in enumerate(self.acts):
            ap = self.model.apply(act, pre, f"{i}.{j}")
            ok = [to_z3_bool(g) for _, g in ap.guards] + ap.domain
            self.solver.add(z3.Implies(sel == j, z3.And(*ok)))
            for k, (old, new) in enumerate(zip(before, self.model.vector(ap.next), strict=True)):
                if not _same(old, new):
                    after[k] = z3.If(sel == j, new, after[k])
            applied.append(ap)
        for x, y in zip(self.model.vector(post), after, strict=True):
            self.solver.add(x == y)
        self.layers.append(_Layer(d, pre, post, sel, applied))
        self.states.append(post)

    def decode(self, m: z3.ModelRef, depth: int) -> tuple[list[Step], list[int]]:
        """The steps of the first `depth` layers, and the index in them where each layer starts."""
        steps: list[Step] = []
        starts: list[int] = []
        for layer in self.layers[:depth]:
            starts.append(len(steps))
            d = m.eval(layer.advance, model_completion=True).as_long()
            if d > 0:
                steps.append(Advance(seconds=d))
            j = m.eval(layer.selector, model_completion=True).as_long()
            if j < len(self.acts):
                steps.append(self.model.decode(self.acts[j], layer.applied[j], m))
        starts.append(len(steps))
        return steps, starts


def _same(a: Any, b: Any) -> bool:
    """Whether two values of a state vector are the same term (not merely equal)."""
    if isinstance(a, z3.AstRef) and isinstance(b, z3.AstRef):
        return bool(a.eq(b))
    return a is b or (not isinstance(a, z3.AstRef) and not isinstance(b, z3.AstRef) and a == b)


def _eq(model: Model, a: State, b: State) -> Any:
    return z3.And(*[x == y for x, y in zip(model.vector(a), model.vector(b), strict=True)])


def _check(solver: z3.Solver, clock: Clock, seconds: float) -> z3.CheckSatResult:
    """One budgeted check (`seconds` nominal seconds); `OutOfTime` past the deadline."""
    clock.arm(solver, seconds)
    res = solver.check()
    if res == z3.unknown:
        clock.gave_up(solver.reason_unknown())
    return res


CHECK_DEPTHS = (0, 1, 2, 3, 4, 6, 8, 10, 13, 16, 20, 25, 32, 40, 50, 64)


def bmc(model: Model, bad: BadFn, max_depth: int, clock: Clock, seconds: float) -> BmcResult:
    """A short trace to a `bad` state within `max_depth` layers, `seconds` per check.

    A layer may do nothing (no time, no step), so a check at depth k covers every trace of at
    most k layers; depths are checked on a schedule (`CHECK_DEPTHS`) rather than one by one.
    The result's `depth` is the largest depth checked completely.
    """
    solver = z3.Solver()
    un = Unrolling(model, solver)
    done = 0
    for k in [d for d in CHECK_DEPTHS if d < max_depth] + [max_depth]:
        while len(un.layers) < k:
            un.extend()
        solver.push()
        solver.add(to_z3_bool(bad(un.states[k])))
        res = _check(solver, clock, seconds)
        if res == z3.sat:
            steps, _ = un.decode(solver.model(), k)
            return BmcResult(tuple(steps), k)
        solver.pop()
        if res == z3.unknown:
            return BmcResult(None, done)
        done = k
    return BmcResult(None, done)


def follow(
    model: Model, actions: tuple[int, ...], bad: BadFn, clock: Clock, seconds: float
) -> BmcResult:
    """Concrete inputs for a given sequence of actions (e.g. Spacer's derivation) ending in a
    `bad` state; no result when the sequence does not reach one."""
    solver = z3.Solver()
    cur = model.initial(T0)
    chosen: list[tuple[Action, Applied]] = []
    for i, idx in enumerate(actions):
        act = model.actions[idx]
        ap = model.apply(act, cur, f"f{i}")
        solver.add(*[to_z3_bool(g) for _, g in ap.guards], *ap.domain)
        nxt = model.fresh_state(f"f{i + 1}")
        solver.add(_eq(model, nxt, ap.next))
        chosen.append((act, ap))
        cur = nxt
    solver.add(to_z3_bool(bad(cur)))
    if _check(solver, clock, seconds) != z3.sat:
        return BmcResult(None, 0)
    m = solver.model()
    steps: list[Step] = []
    for act, ap in chosen:
        s = model.decode(act, ap, m)
        if not (isinstance(s, Advance) and s.seconds == 0):
            steps.append(s)
    return BmcResult(tuple(steps), len(actions))


def find_lasso(
    model: Model,
    scope: str,
    horizon: int,
    max_depth: int,
    clock: Clock,
    seconds: float,
    min_shift: int = 1,
) -> BmcResult:
    """A prefix and a loop that keeps `scope` paused forever (see module docstring), with
    `seconds` per depth."""
    solver = z3.Solver()
    un = Unrolling(model, solver)
    for k in range(1, max_depth + 1):
        un.extend()
        solver.push()
        loop = [z3.Bool(f"loop@{i}") for i in range(k)]
        solver.add(z3.PbEq([(b, 1) for b in loop], 1))
        for i, b in enumerate(loop):
            solver.add(z3.Implies(b, _closes(un, scope, i, k, horizon, min_shift)))
        res = _check(solver, clock, seconds)
        if res == z3.sat:
            m = solver.model()
            steps, starts = un.decode(m, k)
            i = next(i for i, b in enumerate(loop) if z3.is_true(m.eval(b)))
            return BmcResult(tuple(steps), k, loop_start=starts[i])
        solver.pop()
        if res == z3.unknown:
            return BmcResult(None, k - 1)
    return BmcResult(None, max_depth)


def _closes(un: Unrolling, scope: str, i: int, k: int, horizon: int, min_shift: int) -> Any:
    """Layers `i..k` form a loop: the state after them is the state before them shifted in
    time by at least `min_shift`, with `scope` held in one pause throughout."""
    start, end = un.states[i], un.states[k]
    cond = [end.now - start.now >= min_shift,
            un.model.same_up_to_shift(start, end, scope, horizon)]
    for j in range(i, k):
        cond += [_held(un.states[j], scope), _held(un.layers[j].pre, scope)]
    return z3.And(*cond)


def planned_lasso(
    model: Model, scope: str, plan: list[Action], loop_at: int, clock: Clock, seconds: float
) -> BmcResult:
    """Concrete inputs and waits for a lasso whose actions are fixed (`plan`, the loop from
    `plan[loop_at]` on): one query with no choice of actions, far easier than `find_lasso`."""
    solver = z3.Solver()
    un = Unrolling(model, solver)
    for act in plan:
        un.extend()
        solver.add(un.layers[-1].selector == un.acts.index(act))
    solver.add(_closes(un, scope, loop_at, len(plan), model.horizon(), 1))
    if _check(solver, clock, seconds) != z3.sat:
        return BmcResult(None, 0)
    steps, starts = un.decode(solver.model(), len(plan))
    return BmcResult(tuple(steps), len(plan), loop_start=starts[loop_at])


def _held(st: State, scope: str) -> Any:
    """`scope` is in a pause that has not opened: paused, or at the very instant its pause
    ends (a pause at that instant continues it, SPEC §5)."""
    pu = st.paused_until[scope]
    return z3.And(pu != 0, st.now <= pu)


def longest_pause(
    model: Model,
    scope: str,
    cands: list[int],
    depth: int,
    clock: Clock,
    seconds: float,
    tol: float = 0.005,
) -> tuple[int, int, tuple[Step, ...]]:
    """The longest continuous pause of `scope` BMC witnesses within `depth` layers: binary
    search over `cands`, then over the integers up to the next candidate until within `tol`.

    Returns `(reached, top, steps)`: the steps reach a pause of `reached`; no pause longer
    than `top` exists within `depth` layers (`top` may be below `reached` only when nothing
    was searched). `(0, 0, ())` when none is found.

    The caller replays the steps before trusting the length.
    """
    solver = z3.Solver()
    un = Unrolling(model, solver)
    for _ in range(depth):
        un.extend()
    end = un.states[depth]
    length = end.paused_until[scope] - end.paused_since[scope]
    solver.add(end.paused_until[scope] != 0)
    best = 0
    witness: tuple[Step, ...] = ()

    def reaches(value: int) -> bool:
        nonlocal best, witness
        solver.push()
        solver.add(length >= value)
        res = _check(solver, clock, seconds)
        if res == z3.sat:
            m = solver.model()
            found = m.eval(length, model_completion=True).as_long()
            if found > best:
                best, witness = found, tuple(un.decode(m, depth)[0])
        solver.pop()
        return bool(res == z3.sat)

    lo, hi = 0, len(cands) - 1
    while lo <= hi:  # the largest candidate reached
        mid = (lo + hi) // 2
        if reaches(cands[mid]):
            lo = mid + 1
        else:
            hi = mid - 1
    # then the exact maximum below the first candidate not reached
    top = cands[lo] - 1 if lo < len(cands) else 2 * max(best, 1)
    low = best
    while top - low > tol * low:
        mid = (low + top + 1) // 2
        if reaches(mid):
            low = max(mid, best)
        else:
            top = mid - 1
    return best, max(top, best), witness
