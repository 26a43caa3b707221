"""The state of the guard's state machine (docs/semantics.md, "State").

One `State` type serves both back ends: its values are ints when run concretely and Z3 terms
when the same rules build the transition relation. A symbolic state may hold only a slice of the
variables (the cone of influence of a property); the rules skip updates of absent keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from interlock.ir.nodes import Power, Program

Key = tuple[str, str]  # (param, breaker) for overrides; (sender, scope or "*") for blocks
PowerKey = tuple[int, str]  # (power id, target) for power cooldowns
Initial = Callable[[Program], dict[Any, int]]  # a map variable's keys and values at deployment


def _never(keys: Callable[[Program], list[Any]]) -> Initial:
    return lambda program: dict.fromkeys(keys(program), 0)


def _scopes(program: Program) -> list[str]:
    return [s.name for s in program.scopes]


def _feeds(program: Program) -> list[str]:
    return [f.name for f in program.feeds]


def _breakers(program: Program) -> list[str]:
    return [b.name for b in program.breakers]


def _bases(program: Program) -> dict[Any, int]:
    return {p.name: p.initial for p in program.params}


def _none(program: Program) -> dict[Any, int]:
    return {}


def cooldown_powers(program: Program) -> list[PowerKey]:
    """The (power, target) pairs whose last use a rule reads: a cooldown's or a step bound's."""
    return [(w.id, t) for w in program.powers if has_use_mark(w) for t in w.targets]


def has_use_mark(w: Power) -> bool:
    """Whether the state keeps `used_until` for `w` (its `cooldown` or its step's `per D`)."""
    return w.cooldown is not None or w.step is not None


def override_keys(program: Program) -> list[Key]:
    keys: dict[Key, None] = {}  # ordered, without duplicates (a dict: linear in the breakers)
    for b in program.breakers:
        for e in b.effects:
            if e.kind == "set":
                keys[(e.param, b.name)] = None
    return list(keys)


@dataclass(frozen=True)
class State:
    """A state of the machine: the variables of SPEC §4, declared here only.

    Every other view (the symbolic state vector, the monitor's mirror of the guard, the test
    drivers' `GuardView`) is derived from these fields or checked against them by a test. Treat
    a `State` as immutable: every step returns a new one (`draft` gives a step its own copy).

    - `now`, `t0`: current and initial block timestamps (seconds);
    - `paused_until`, `paused_since` per scope; `suspended_until` per feed; `base` per param;
    - `override_until[(param, breaker)]`: end of breaker's override of param (value: the
      breaker's `set` effect, see `override_value`); `fired_until` per breaker;
    - `used_until[(power id, target)]` for powers with a cooldown or a step bound;
    - `prev_end[scope]`: history, the end of the pause before the current one (0: none); it is
      what `then open G` is checked against and no rule reads it;
    - `blocked_until[(sender, scope or "*")]` for `block sender` effects, keyed by the senders
      blocked so far (concrete runs only: the symbolic steps have no sender).
    """

    now: Any
    t0: Any
    paused_until: dict[str, Any] = field(metadata={"initial": _never(_scopes)})
    paused_since: dict[str, Any] = field(metadata={"initial": _never(_scopes)})
    suspended_until: dict[str, Any] = field(metadata={"initial": _never(_feeds)})
    base: dict[str, Any] = field(metadata={"initial": _bases})
    override_until: dict[Key, Any] = field(metadata={"initial": _never(override_keys)})
    fired_until: dict[str, Any] = field(metadata={"initial": _never(_breakers)})
    used_until: dict[PowerKey, Any] = field(metadata={"initial": _never(cooldown_powers)})
    prev_end: dict[str, Any] = field(metadata={"initial": _never(_scopes)})
    blocked_until: dict[Key, Any] = field(metadata={"initial": _none})

    def __hash__(self) -> int:
        return hash((self.now, self.t0, *(_freeze_hash(getattr(self, m)) for m in MAPS)))

    def paused(self, scope: str) -> bool:
        """Concrete `paused(S)`."""
        return bool(self.now < self.paused_until[scope])

    def suspended(self, feed: str) -> bool:
        return bool(self.now < self.suspended_until[feed])


MAPS: tuple[str, ...] = tuple(f.name for f in fields(State) if "initial" in f.metadata)
"""The map variables of `State`, in declaration order (every field but `now` and `t0`)."""


def _freeze_hash(d: dict[Any, Any]) -> int:
    return hash(tuple(sorted(d.items(), key=repr)))


def at_time(st: State, now: Any) -> State:
    """`st` with `now` changed (what `rules.advance` does): a replay calls this once per block,
    so it copies the fields directly instead of `dataclasses.replace`'s generic field walk.
    The maps are shared, as `replace` shares them; a step that changes one copies it (`draft`)."""
    moved = object.__new__(State)
    moved.__dict__.update(st.__dict__)
    moved.__dict__["now"] = now  # State is frozen: set the field as its __init__ does
    return moved


def draft(st: State) -> State:
    """`st` with its own copy of every map, for one step to fill in before returning it."""
    return replace(st, **{m: dict(getattr(st, m)) for m in MAPS})


def override_value(program: Program, param: str, breaker: str) -> int:
    """The value breaker's override of param holds: its last `set` effect on param."""
    value: int | None = None
    for e in program.breaker(breaker).effects:
        if e.kind == "set" and e.param == param:
            value = e.value
    if value is None:
        raise KeyError(f"breaker {breaker} does not set {param}")
    return value


def initial_state(program: Program, t0: int) -> State:
    """The state at deployment: `now = t0 > 0`, every `*_until`/`*_since` mark 0 ("never")."""
    if t0 <= 0:
        raise ValueError("t0 must be a positive timestamp")
    initial = {f.name: f.metadata["initial"](program) for f in fields(State) if f.name in MAPS}
    return State(now=t0, t0=t0, **initial)
