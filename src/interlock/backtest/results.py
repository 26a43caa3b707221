"""What one backtest of one trace found: the events, and the figures derived from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FiredBy = Literal["flow", "poke", "trip", "tripSender"]
FlowStatus = Literal["paused", "blocked", "refused", "held"]
MAX_POINTS = 2_000  # chart points kept per series (halved when full: memory stays flat)


@dataclass(frozen=True)
class Firing:
    """A breaker fired on the guard: `by` a vault's flow report, or the agent's transaction."""

    breaker: str
    block: int
    time: int
    by: FiredBy
    sender: str | None
    effects: tuple[str, ...]


@dataclass(frozen=True)
class AgentCall:
    """A transaction the monitor decided at `decided` and sent into `block`."""

    breaker: str
    method: str
    sender: str | None
    decided: int
    block: int
    accepted: bool
    reason: str  # why the guard refused it ("" when accepted)


@dataclass(frozen=True)
class StoppedFlow:
    """A guarded call that did not move funds: its scope paused, its sender blocked, or the
    guard refused the flow because it tripped a breaker."""

    block: int
    index: int
    sender: str
    vault: str
    asset: str
    direction: str
    amount: int
    status: FlowStatus
    attacker: bool


@dataclass(frozen=True)
class Alert:
    breaker: str
    block: int
    text: str


@dataclass
class Tally:
    """Flows of one class (attacker or ordinary): counts and value per asset, both worlds."""

    count: int = 0
    stopped: int = 0
    value: dict[str, int] = field(default_factory=dict)  # asset -> out + in, without rules
    out_without: dict[str, int] = field(default_factory=dict)
    out_with: dict[str, int] = field(default_factory=dict)
    stopped_value: dict[str, int] = field(default_factory=dict)

    def add(self, asset: str, direction: str, amount: int, moved: bool) -> None:
        self.count += 1
        self.value[asset] = self.value.get(asset, 0) + amount
        if direction == "out":
            self.out_without[asset] = self.out_without.get(asset, 0) + amount
            if moved:
                self.out_with[asset] = self.out_with.get(asset, 0) + amount
        if not moved:
            self.stopped += 1
            self.stopped_value[asset] = self.stopped_value.get(asset, 0) + amount


@dataclass
class Series:
    """Chart points `(time, value)`, decimated to at most `MAX_POINTS` (every `stride`-th)."""

    stride: int = 1
    seen: int = 0
    points: list[tuple[int, int]] = field(default_factory=list)

    @property
    def due(self) -> bool:
        """Whether the next `add` keeps its point (when not, `skip` counts it unseen)."""
        return self.seen % self.stride == 0

    def skip(self) -> None:
        self.seen += 1

    def add(self, time: int, value: int, *, force: bool = False) -> None:
        if force or self.due:
            self.points.append((time, value))
            if len(self.points) > MAX_POINTS:
                self.points = self.points[::2]
                self.stride *= 2
        self.seen += 1


@dataclass
class TraceResult:
    path: str
    name: str
    kind: str
    first_block: int = 0
    last_block: int = 0
    start: int = 0
    end: int = 0
    blocks: int = 0
    firings: list[Firing] = field(default_factory=list)
    agent: list[AgentCall] = field(default_factory=list)
    stopped: list[StoppedFlow] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    # scope -> [(since, until)]: every pause a firing set
    pauses: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    attacker: Tally = field(default_factory=Tally)
    ordinary: Tally = field(default_factory=Tally)
    first_attack: tuple[int, int] | None = None  # (block, time) of the first attacker flow
    last_attack_moved: tuple[int, int] | None = None  # the last attacker outflow that moved funds
    tvl_with: dict[str, Series] = field(default_factory=dict)
    tvl_without: dict[str, Series] = field(default_factory=dict)
    prices: dict[str, Series] = field(default_factory=dict)
    containable: bool = True
    why_not: str | None = None

    def paused_seconds(self, scope: str) -> int:
        """Time `scope` was paused within the trace: the union of its pauses, clipped."""
        total, reach = 0, self.start
        for since, until in sorted(self.pauses.get(scope, [])):
            lo, hi = max(since, reach, self.start), min(until, self.end)
            if hi > lo:
                total += hi - lo
                reach = hi
        return total

    def containment(self) -> Firing | None:
        """The first firing at or after the first attacker flow after which no attacker
        outflow moved funds; None when the attack was not contained (also when every
        attacker flow moved: a firing after the damage contains nothing)."""
        if self.first_attack is None or self.attacker.stopped == 0:
            return None
        after = self.last_attack_moved[0] if self.last_attack_moved else -1
        for f in self.firings:
            if f.block >= self.first_attack[0] and f.block >= after:
                return f
        return None
