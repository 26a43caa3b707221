"""The transition relation in Z3, built by running the shared rules on symbolic states.

`Model.build(program, seeds, assuming)` slices the state to the cone of influence of the
variables a property reads (`seeds`): a breaker or power is kept when it writes a kept
variable, and then everything it reads is kept too. Every kept step is an `Action`; applying
an action to a symbolic state yields its guards, the next state and the fresh inputs (metric
values, chosen targets, requested value) that `decode` turns back into a concrete `Step`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import z3

from interlock.ir.conditions import reads
from interlock.ir.inputs import feeds_read, reads_inputs
from interlock.ir.metric_arith import metric_nonnegative
from interlock.ir.nodes import Atom, Breaker, Cond, Power, Program
from interlock.semantics import role_satisfied
from interlock.semantics.ops import BoolVal, Ops
from interlock.semantics.rules import Guards, advance, fire, use_power
from interlock.semantics.state import MAPS, State, has_use_mark, initial_state, override_keys
from interlock.semantics.trace import Advance, Fire, MetricValue, Step, UsePower
from interlock.verifier.notional import consistency
from interlock.verifier.z3ops import Z3

_fresh = itertools.count()
FAILED = "failed_reads"  # the input naming a fire step's failed external read


@dataclass
class Slice:
    """The variables a property depends on, and the steps that can change them."""

    scopes: set[str] = field(default_factory=set)
    feeds: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)
    history: set[str] = field(default_factory=set)  # scopes whose `prev_end` is tracked
    breakers: list[Breaker] = field(default_factory=list)
    powers: list[Power] = field(default_factory=list)


def cond_reads(program: Program, cond: Cond | None, sl: Slice) -> None:
    """Add the state a condition reads (state predicates, params, through scores) to `sl`."""
    if cond is None:
        return
    r = reads(program, cond)
    sl.scopes |= r.scopes
    sl.feeds |= r.feeds
    sl.params |= r.params


def breaker_writes(b: Breaker, sl: Slice) -> bool:
    for e in b.effects:
        if e.kind == "pause" and sl.scopes.intersection(e.scopes):
            return True
        if e.kind == "suspend" and sl.feeds.intersection(e.feeds):
            return True
        if e.kind == "set" and e.param in sl.params:
            return True
    return False


def power_writes(w: Power, sl: Slice) -> bool:
    if w.kind in ("pause", "unpause", "extend"):
        return bool(sl.scopes.intersection(w.targets))
    if w.kind in ("suspend", "resume"):
        return bool(sl.feeds.intersection(w.targets))
    return w.kind == "set" and w.targets[0] in sl.params


def adversary_powers(program: Program, assuming: Iterable[str]) -> list[Power]:
    """Powers the adversary holds: not of an assumed role, role satisfiable, not `cancel` nor
    `cancel holds` (neither writes a variable of the model: docs/semantics.md, "Held flows")."""
    everyone = [s.name for s in program.signers]
    assumed = set(assuming)
    return [
        w
        for w in program.powers
        if w.role not in assumed
        and w.kind not in ("cancel", "cancel_holds")
        and role_satisfied(program, w.role, everyone)
    ]


def slice_program(program: Program, seed: Slice, assuming: Iterable[str]) -> Slice:
    """The cone of influence of `seed`'s variables (a fixpoint over breakers and powers)."""
    sl = Slice(set(seed.scopes), set(seed.feeds), set(seed.params), set(seed.history))
    powers = adversary_powers(program, assuming)
    kept_b: set[str] = set()
    kept_w: set[int] = set()
    changed = True
    while changed:
        changed = False
        for b in program.breakers:
            if b.name not in kept_b and breaker_writes(b, sl):
                kept_b.add(b.name)
                cond_reads(program, b.when, sl)
                sl.feeds |= set(feeds_read(program, b))  # a suspended feed stops the rule
                changed = True
        for w in powers:
            if w.id not in kept_w and power_writes(w, sl):
                kept_w.add(w.id)
                cond_reads(program, w.when, sl)
                changed = True
    sl.breakers = [b for b in program.breakers if b.name in kept_b]
    sl.powers = [w for w in powers if w.id in kept_w]
    return sl


@dataclass(frozen=True)
class Action:
    """One kind of step: advance time, fire a breaker, or use a power."""

    kind: str  # "advance" | "fire" | "power"
    breaker: Breaker | None = None
    power: Power | None = None

    @property
    def label(self) -> str:
        if self.breaker is not None:
            return f"fire {self.breaker.name}"
        if self.power is not None:
            return f"power {self.power.id} ({self.power.kind})"
        return "advance"


@dataclass
class Applied:
    guards: Guards
    next: State
    inputs: dict[str, Any]  # name -> z3 const (metrics by atom key, targets, value, seconds)
    domain: list[Any]  # constraints on the fresh inputs (metrics are non-negative)
    metric_atoms: dict[str, Atom] = field(default_factory=dict)


@dataclass
class Model:
    program: Program
    slice: Slice
    actions: list[Action]
    cache: dict[str, object] = field(default_factory=dict)  # encodings built from this model

    @staticmethod
    def build(program: Program, seed: Slice, assuming: Iterable[str]) -> Model:
        sl = slice_program(program, seed, assuming)
        actions = [Action("advance")]
        actions += [Action("fire", breaker=b) for b in sl.breakers]
        actions += [Action("power", power=w) for w in sl.powers]
        return Model(program, sl, actions)

    # --- the state vector ----------------------------------------------------------------

    def keys(self) -> list[tuple[str, Any]]:
        """The state vector: (map name, key) pairs, `now` and `t0` first."""
        cached = self.cache.get("keys")
        if isinstance(cached, list):
            return cached
        keys = self._keys()
        self.cache["keys"] = keys
        return keys

    def _keys(self) -> list[tuple[str, Any]]:
        sl, p = self.slice, self.program
        out: list[tuple[str, Any]] = [("now", None), ("t0", None)]
        for s in sorted(sl.scopes, key=lambda n: p.scope(n).index):
            out += [("paused_until", s), ("paused_since", s)]
            if s in sl.history:
                out.append(("prev_end", s))
        out += [("suspended_until", f) for f in sorted(sl.feeds, key=lambda n: p.feed(n).index)]
        out += [("base", n) for n in sorted(sl.params, key=lambda n: p.param(n).index)]
        kept = {b.name for b in sl.breakers}
        out += [
            ("override_until", k) for k in override_keys(p) if k[0] in sl.params and k[1] in kept
        ]
        out += [("fired_until", b.name) for b in sl.breakers if b.cooldown is not None]
        # a target outside the slice: its effect is skipped, so its cooldown (which could
        # only refuse that target) is left out too, an over-approximation
        inside = sl.scopes | sl.feeds | sl.params | {r.name for r in p.roles}
        out += [
            ("used_until", (w.id, t))
            for w in sl.powers
            if has_use_mark(w)
            for t in w.targets
            if t in inside
        ]
        return out

    def state(self, values: list[Any]) -> State:
        """The state whose kept variables hold `values`; the others are absent, and
        `blocked_until` is always empty (no symbolic step has a sender)."""
        maps: dict[str, dict[Any, Any]] = {m: {} for m in MAPS}
        scalars: dict[str, Any] = {}
        for (name, key), v in zip(self.keys(), values, strict=True):
            if key is None:
                scalars[name] = v
            else:
                maps[name][key] = v
        return State(now=scalars["now"], t0=scalars["t0"], **maps)

    def vector(self, st: State) -> list[Any]:
        out: list[Any] = []
        for name, key in self.keys():
            out.append(getattr(st, name) if key is None else getattr(st, name)[key])
        return out

    def fresh_state(self, tag: str) -> State:
        return self.state([z3.Int(f"{var_name(n, k)}@{tag}") for n, k in self.keys()])

    def initial(self, t0: Any) -> State:
        """The deployment state (`initial_state`) at a symbolic `t0`."""
        deployed = initial_state(self.program, 1)
        return self.state([
            t0 if key is None else getattr(deployed, name)[key] for name, key in self.keys()
        ])

    def horizon(self) -> int:
        """A duration beyond which a past timestamp no longer affects any rule."""
        p = self.program
        consts = [1]
        for b in self.slice.breakers:
            consts += [b.cooldown or 0, *(e.duration for e in b.effects if e.kind != "alert")]
        for w in self.slice.powers:
            consts += [w.cooldown or 0, w.max_duration or 0, w.delay,
                       w.step.period if w.step else 0]
        consts += [s.max_pause or 0 for s in p.scopes] + [s.gap or 0 for s in p.scopes]
        return max(consts) + 1

    def same_up_to_shift(
        self, a: State, b: State, scope: str, horizon: int, o: Ops = Z3
    ) -> BoolVal:
        """`b` behaves like `a` shifted in time, with `scope` still in the same pause.

        Every kept timestamp is "never" (0) in both, or at the same distance from `now`, or
        more than `horizon` in the past in both (no rule distinguishes such stale marks);
        base values are equal; `scope`'s `paused_since` is the same instant.
        """
        conds: list[BoolVal] = []
        for name, key in self.keys():
            if name in ("now", "prev_end"):
                continue
            x = a.t0 if name == "t0" else getattr(a, name)[key]
            y = b.t0 if name == "t0" else getattr(b, name)[key]
            if name == "base":
                conds.append(x == y)
                continue
            rx, ry = x - a.now, y - b.now
            stale = o.and_(rx <= -horizon, ry <= -horizon)
            if name == "paused_since" and key == scope:
                conds.append(x == y)
                if self.program.scope(scope).max_pause is not None:
                    conds.append(stale)
                continue
            never = o.and_(x == 0, y == 0)
            shifted = o.and_(o.not_(x == 0), o.not_(y == 0), o.or_(rx == ry, stale))
            conds.append(o.or_(never, shifted))
        return o.and_(*conds)

    # --- actions -------------------------------------------------------------------------

    def apply(self, action: Action, st: State, tag: str) -> Applied:
        if action.kind == "advance":
            d = z3.Int(f"advance@{tag}")
            guards, nxt = advance(Z3, st, d)
            return Applied(guards, nxt, {"seconds": d}, [])
        if action.breaker is not None:
            return self._fire(action.breaker, st, tag)
        assert action.power is not None
        return self._use(action.power, st, tag)

    def _fire(self, b: Breaker, st: State, tag: str) -> Applied:
        metrics: dict[Atom, Any] = {}

        def metric(atom: Atom) -> Any:
            if atom not in metrics:
                metrics[atom] = z3.Int(f"m{next(_fresh)}_{atom.kind}_{atom.target}@{tag}")
            return metrics[atom]

        failed: Any = False
        if b.onchain and reads_inputs(self.program, b):
            failed = z3.Bool(f"failed_reads_{b.id}@{tag}")
        guards, nxt = fire(Z3, self.program, st, b, metric, failed=failed)
        inputs: dict[str, Any] = {str(i): v for i, v in enumerate(metrics.values())}
        atoms = {str(i): a for i, a in enumerate(metrics)}
        if failed is not False:
            inputs[FAILED] = failed
        domain = [v >= 0 for a, v in metrics.items() if metric_nonnegative(self.program, a)]
        domain += consistency(self.program, metrics)
        return Applied(guards, nxt, inputs, domain, atoms)

    def _use(self, w: Power, st: State, tag: str) -> Applied:
        value = z3.Int(f"value_w{w.id}@{tag}")
        if w.kind == "set":
            include: dict[str, Any] = {w.targets[0]: True}
        else:
            include = {t: z3.Bool(f"w{w.id}_{t}@{tag}") for t in w.targets}
        guards, nxt = use_power(Z3, self.program, st, w, include, value)
        any_target = Z3.or_(*include.values())
        guards = [*guards, ("at least one target", any_target)]
        inputs: dict[str, Any] = {"value": value}
        inputs.update({f"t:{t}": v for t, v in include.items()})
        return Applied(guards, nxt, inputs, [])

    def decode(self, action: Action, applied: Applied, m: z3.ModelRef) -> Step:
        """The concrete step an action took in a model."""

        def val(x: Any) -> int:
            return int(m.eval(x, model_completion=True).as_long())

        if action.kind == "advance":
            return Advance(seconds=val(applied.inputs["seconds"]))
        if action.breaker is not None:
            failed = FAILED in applied.inputs and z3.is_true(
                m.eval(applied.inputs[FAILED], model_completion=True)
            )
            metrics = tuple(
                MetricValue(atom=applied.metric_atoms[k], value=val(v))
                for k, v in applied.inputs.items()
                if k != FAILED and not failed
            )
            return Fire(breaker=action.breaker.name, metrics=metrics, failed_reads=failed)
        w = action.power
        assert w is not None
        targets = tuple(
            t
            for t in w.targets
            if w.kind == "set"
            or z3.is_true(m.eval(applied.inputs[f"t:{t}"], model_completion=True))
        )
        needs_value = w.kind in ("pause", "suspend", "extend", "set")
        return UsePower(
            power=w.id,
            targets=targets,
            value=val(applied.inputs["value"]) if needs_value else None,
            signers=minimal_signers(self.program, w.role),
        )


def var_name(name: str, key: Any) -> str:
    """A state variable's name in certificates: `paused_until[withdrawals]`."""
    if key is None:
        return name
    if isinstance(key, tuple):
        return f"{name}[{key[0]},{key[1]}]"
    return f"{name}[{key}]"


def minimal_signers(program: Program, role: str) -> tuple[str, ...]:
    """A minimal signer set satisfying `role`: drop signers greedily while it stays satisfied."""
    chosen = [s.name for s in program.signers]
    for name in list(chosen):
        rest = [n for n in chosen if n != name]
        if role_satisfied(program, role, rest):
            chosen = rest
    return tuple(chosen)
