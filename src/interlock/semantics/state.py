"""The state of the guard's state machine (docs/semantics.md, "State").

One `State` type serves both back ends: its values are ints when run concretely and Z3 terms
when the same rules build the transition relation. A symbolic state may hold only a slice of the
variables (the cone of influence of a property); the rules skip updates of absent keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interlock.ir.nodes import Program

Key = tuple[str, str]  # (param, breaker) for overrides; (sender, scope or "*") for blocks
PowerKey = tuple[int, str]  # (power id, target) for power cooldowns


def _freeze_hash(d: dict[Any, Any]) -> int:
    return hash(tuple(sorted(d.items(), key=repr)))


@dataclass(frozen=True)
class State:
    """A state of the machine. Treat it as immutable: every step returns a new one.

    - `now`, `t0`: current and initial block timestamps (seconds);
    - `paused_until`, `paused_since` per scope; `suspended_until` per feed; `base` per param;
    - `override_until[(param, breaker)]`: end of breaker's override of param (value: the
      breaker's `set` effect, see `override_value`); `fired_until` per breaker;
    - `used_until[(power id, target)]` for powers with a cooldown;
    - `prev_end[scope]`: history, the end of the pause before the current one (0: none); it is
      what `then open G` is checked against and no rule reads it;
    - `blocked_until[(sender, scope or "*")]` for `block sender` effects (concrete runs only).
    """

    now: Any
    t0: Any
    paused_until: dict[str, Any]
    paused_since: dict[str, Any]
    suspended_until: dict[str, Any]
    base: dict[str, Any]
    override_until: dict[Key, Any]
    fired_until: dict[str, Any]
    used_until: dict[PowerKey, Any] = field(default_factory=dict)
    prev_end: dict[str, Any] = field(default_factory=dict)
    blocked_until: dict[Key, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(
            (
                self.now,
                self.t0,
                _freeze_hash(self.paused_until),
                _freeze_hash(self.paused_since),
                _freeze_hash(self.suspended_until),
                _freeze_hash(self.base),
                _freeze_hash(self.override_until),
                _freeze_hash(self.fired_until),
                _freeze_hash(self.used_until),
                _freeze_hash(self.prev_end),
                _freeze_hash(self.blocked_until),
            )
        )

    def paused(self, scope: str) -> bool:
        """Concrete `paused(S)`."""
        return bool(self.now < self.paused_until[scope])

    def suspended(self, feed: str) -> bool:
        return bool(self.now < self.suspended_until[feed])


def cooldown_powers(program: Program) -> list[PowerKey]:
    return [(w.id, t) for w in program.powers if w.cooldown is not None for t in w.targets]


def override_keys(program: Program) -> list[Key]:
    keys: list[Key] = []
    for b in program.breakers:
        for e in b.effects:
            if e.kind == "set" and (e.param, b.name) not in keys:
                keys.append((e.param, b.name))
    return keys


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
    scopes = [s.name for s in program.scopes]
    return State(
        now=t0,
        t0=t0,
        paused_until=dict.fromkeys(scopes, 0),
        paused_since=dict.fromkeys(scopes, 0),
        suspended_until={f.name: 0 for f in program.feeds},
        base={p.name: p.initial for p in program.params},
        override_until=dict.fromkeys(override_keys(program), 0),
        fired_until={b.name: 0 for b in program.breakers},
        used_until=dict.fromkeys(cooldown_powers(program), 0),
        prev_end=dict.fromkeys(scopes, 0),
    )
