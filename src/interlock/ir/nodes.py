"""The checked intermediate representation: the one structure every back end reads.

The front end (`interlock.dsl.analysis.analyze`) is the only producer. The verifier, the
Solidity generator and the monitor generator accept only `Program`, never the AST, so a rule
reaches a back end only after every name is resolved and every unit checked.

Conventions (see docs/language.md, "Numbers and rounding"):
- durations and timestamps are integer seconds;
- amounts are integer base units of their asset (`1_000 USDC` with 6 decimals is 10**9);
- prices are integers in the feed's decimals;
- ratios (`deviation`, `change`, percentages, basis points) are WAD-scaled integers: 10**18 = 100%
  (`interlock.ir.metric_arith.WAD`);
- every comparison is normalised to `sum(coef * atom) + constant OP 0` with integer coefficients,
  so all three back ends compare exactly and nothing is rounded except the one division that
  defines a ratio metric (floor, see `Atom`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

IR_VERSION = "3"  # 2: `Param.unit`, `Span.via`
# 3: flow() metric and hold effect (`Atom.kind` "flow", `HoldEffect`, power kind "cancel_holds")
# 3: custom state reads (`Program.reads`, `StateRead`, atom kind `read`)
# 3: relative set bounds (`Power.step`: `set P by at most X% per D` / `by at most N per D`)
# 3: notional value metrics (`Asset.priced_by`, `Feed.quote`, atoms `value_outflow`,
#    `value_inflow`, `value_tvl`)


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(Node):
    """1-based source location; `end_column` is exclusive.

    `via`: for a node written out by a `for each`, the list item that produced this instance
    (the span itself is the template's); nested repetitions chain, innermost first."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    via: Span | None = None


# --- keys and roles ------------------------------------------------------------------------


class Signer(Node):
    name: str
    address: str  # EIP-55 checksummed
    entity: str  # the signer's own name when no `entity` is given
    index: int  # bit position in signer bitmasks (declaration order)
    span: Span


class Agent(Node):
    name: str
    address: str
    span: Span


class SignerMember(Node):
    kind: Literal["signer"] = "signer"
    name: str


class RoleMember(Node):
    """A reference to another role; satisfied when that role's expression is."""

    kind: Literal["role"] = "role"
    name: str


class Threshold(Node):
    """`k of [members]`: at least `k` members satisfied; a role member counts once."""

    kind: Literal["threshold"] = "threshold"
    k: int
    members: tuple[RoleExpr, ...]


class AllOf(Node):
    kind: Literal["all"] = "all"
    items: tuple[RoleExpr, ...]


class AnyOf(Node):
    kind: Literal["any"] = "any"
    items: tuple[RoleExpr, ...]


RoleExpr = Annotated[
    SignerMember | RoleMember | Threshold | AllOf | AnyOf, Field(discriminator="kind")
]


QUEUE_GRACE = 14 * 86_400
"""How long a queued operation of a timelocked role stays executable after its eta (`queued
at + delay`): afterwards `executeQueued` reverts `QueueExpired` (docs/semantics.md, "Timelocked
roles"; Compound's Timelock has the same 14 days)."""


class Role(Node):
    name: str
    expr: RoleExpr
    delay: int  # seconds; 0 when the role has no `after`
    span: Span


# --- what the guard controls -----------------------------------------------------------------


class Scope(Node):
    name: str
    index: int  # declaration order; the scope's id on chain
    max_pause: int | None  # `max`: longest continuous pause the guard allows (seconds)
    gap: int | None  # `gap`: minimum open time after a pause before a new one (seconds)
    span: Span


class Asset(Node):
    """`priced_by`: the feed whose price values the asset (`asset WETH ... priced by ETH_USD`);
    the `value(...)` metrics of the asset read it (docs/language.md, "Value metrics")."""

    name: str
    address: str
    decimals: int
    span: Span
    priced_by: str | None = None


class Vault(Node):
    name: str
    address: str
    holds: tuple[str, ...]  # asset names
    span: Span


class Feed(Node):
    name: str
    index: int
    address: str
    decimals: int
    reference: str | None  # address of the reference feed used by `deviation`
    heartbeat: int | None
    span: Span
    quote: str | None = None  # `quote USD`: the unit its prices are in (the unit of values)


class Param(Node):
    """A stored protocol parameter. With a `unit` (an asset's or a feed's name, or a quote
    unit) `initial`, `min`, `max` and every value set on chain are base units of that asset,
    prices in that feed's decimals, or values with 18 decimals, exactly as the metrics it is
    compared with; without one, a plain integer."""

    name: str
    index: int
    initial: int
    min: int
    max: int
    safer: Literal["lower", "higher"]
    unit: str | None = None
    span: Span


class EventParam(Node):
    type: str  # a Solidity ABI type: `uint256`, `address`, `bytes32[]`
    name: str | None
    indexed: bool | None  # None: declared by its type alone (the monitor then takes the first
    # `len(topics) - 1` parameters as the indexed ones)


class EventSignature(Node):
    """A custom metric's event as declared: `Borrow(address indexed who, uint256 amount)`."""

    name: str
    params: tuple[EventParam, ...]

    def canonical(self) -> str:
        """The form whose keccak is the log's topic: types alone, `Borrow(address,uint256)`."""
        return f"{self.name}({','.join(p.type for p in self.params)})"

    def text(self) -> str:
        """The declaration, spacing normalised (for messages and generated comments)."""
        params = [" ".join([p.type, *(["indexed"] if p.indexed else []), *([p.name] if p.name
                                                                             else [])])
                  for p in self.params]
        return f"{self.name}({', '.join(params)})"


class CustomMetric(Node):
    name: str
    aggregate: Literal["count", "sum"]
    event: EventSignature
    field: str | None  # the summed parameter's name for `sum`
    address: str  # resolved contract address
    window: int
    span: Span

    def summed_param(self) -> EventParam | None:
        """The event parameter a `sum` adds up (None for `count`, or a field it lacks)."""
        return next((p for p in self.event.params if p.name == self.field), None) \
            if self.field is not None else None


class StateRead(Node):
    """`read NAME = call TARGET "fn(types)(ret)" [(ARGS)] [UNIT]`: an off-chain metric whose
    value is one `eth_call` of `function(arg_types)` with the constant `args` at `address`,
    decoded as the single integer `returns`. With a `unit` (an asset's or a feed's name) the
    value is base units of that asset or a price in that feed's decimals; without one, a plain
    integer. Off chain only: the guard never makes this call (docs/language.md, "Reads")."""

    name: str
    address: str  # EIP-55 checksummed
    function: str  # `totalSupply`
    arg_types: tuple[str, ...]  # canonical ABI types (`uint` normalised to `uint256`)
    args: tuple[str, ...]  # the constants, one per type: a checksummed address or an integer
    returns: str  # `uint256`, `int128`, ...
    unit: str | None = None
    span: Span

    def canonical(self) -> str:
        """What the selector is the keccak of: `balanceOf(address)`."""
        return f"{self.function}({','.join(self.arg_types)})"

    def text(self) -> str:
        """The signature as a rule file writes it: `balanceOf(address)(uint256)`."""
        return f"{self.canonical()}({self.returns})"


# --- conditions ------------------------------------------------------------------------------

AtomKind = Literal[
    "outflow",  # target=asset, window
    "inflow",  # target=asset, window
    "tvl",  # target=asset
    "price",  # target=feed
    "deviation",  # target=feed; WAD ratio floor(|price - ref| * WAD / ref)
    "change",  # target=feed, window; WAD ratio, off chain only
    "staleness",  # target=feed; seconds
    "calls",  # target=scope, window, per_sender; off chain only
    "metric",  # target=custom metric name; off chain only
    "read",  # target=state read name (`Program.reads`); off chain only
    "score",  # target=score name; integer sum of weights
    "param",  # target=param name; the effective value (state, not a metric)
    "flow",  # target=asset; the outflow being reported (0 at `poke` and off chain)
    # notional values (`ir.notional`): target=asset or `*` (every priced asset); the amount
    # times the price of the asset's `priced by` feed, in its quote unit with 18 decimals
    "value_outflow",  # window
    "value_inflow",  # window
    "value_tvl",
]

ONCHAIN_ATOMS: frozenset[str] = frozenset(
    {"outflow", "inflow", "tvl", "price", "deviation", "staleness", "param", "flow",
     "value_outflow", "value_inflow", "value_tvl"}
)


class Atom(Node):
    kind: AtomKind
    target: str
    window: int | None = None
    per_sender: bool = False


class Term(Node):
    coef: int
    atom: Atom


class Compare(Node):
    """`sum(coef * atom) + constant OP 0`."""

    kind: Literal["compare"] = "compare"
    terms: tuple[Term, ...]
    constant: int
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    span: Span


class StatePred(Node):
    kind: Literal["state"] = "state"
    pred: Literal["paused", "suspended"]
    target: str  # scope or feed name
    span: Span


class BoolConst(Node):
    kind: Literal["bool"] = "bool"
    value: bool


class Not(Node):
    kind: Literal["not"] = "not"
    item: Cond


class And(Node):
    kind: Literal["and"] = "and"
    items: tuple[Cond, ...]


class Or(Node):
    kind: Literal["or"] = "or"
    items: tuple[Cond, ...]


class Implies(Node):
    kind: Literal["implies"] = "implies"
    left: Cond
    right: Cond


Cond = Annotated[
    Compare | StatePred | BoolConst | Not | And | Or | Implies, Field(discriminator="kind")
]


class ScoreTier(Node):
    weight: int
    when: Cond
    span: Span


class Score(Node):
    name: str
    tiers: tuple[ScoreTier, ...]
    span: Span


# --- automation ------------------------------------------------------------------------------


class PauseEffect(Node):
    kind: Literal["pause"] = "pause"
    scopes: tuple[str, ...]
    duration: int
    span: Span


class SuspendEffect(Node):
    kind: Literal["suspend"] = "suspend"
    feeds: tuple[str, ...]
    duration: int
    span: Span


class SetEffect(Node):
    kind: Literal["set"] = "set"
    param: str
    value: int  # always inside the param's range and on its safer side of `initial`
    duration: int
    span: Span


class BlockEffect(Node):
    kind: Literal["block"] = "block"
    scope: str | None  # None: every scope
    duration: int
    span: Span


class AlertEffect(Node):
    kind: Literal["alert"] = "alert"
    text: str
    span: Span


class HoldEffect(Node):
    """`hold flow for D`: the outflow being reported is not paid now but held for `duration`
    seconds, then claimable once unless a `cancel holds` power cancels it (docs/guard.md,
    "Held flows"). Only in a breaker whose condition reads `flow(..)`."""

    kind: Literal["hold"] = "hold"
    duration: int
    span: Span


Effect = Annotated[
    PauseEffect | SuspendEffect | SetEffect | BlockEffect | AlertEffect | HoldEffect,
    Field(discriminator="kind"),
]


class Breaker(Node):
    name: str
    id: int  # rule id on chain: declaration order among breakers, from 0
    when: Cond
    effects: tuple[Effect, ...]
    cooldown: int | None
    onchain: bool  # every atom of `when` (scores expanded) has an on-chain column
    span: Span


# --- manual powers ---------------------------------------------------------------------------

PowerKind = Literal[
    "pause", "unpause", "suspend", "resume", "set", "extend", "cancel", "unblock", "cancel_holds"
]


class SetStep(Node):
    """`by at most 100% per 3d` / `by at most 50_000_000 USDC per 1d` on a `set` power
    (docs/language.md, "Step bounds"): a use that moves the base from `b` to `v` (after the
    `within` clamp) is allowed iff `WAD * |v - b| <= amount * b` (relative; the param's range is
    non-negative) or `|v - b| <= amount` (absolute), and `period` seconds have passed since this
    power's previous use on the param (the first use is free). Both directions are bounded."""

    relative: bool  # True: `amount` is a WAD ratio of the base (10**18 = 100%)
    amount: int  # a WAD ratio, or base units of the param (> 0)
    period: int  # seconds (> 0)


class Power(Node):
    id: int  # declaration order among powers, from 0
    role: str
    kind: PowerKind
    targets: tuple[str, ...]  # scopes (pause/unpause/extend/unblock), feeds (suspend/resume),
    # the param (set), the cancelled role (cancel), or `holds` (cancel_holds); `*` and
    # `except` already expanded
    max_duration: int | None  # `for at most` / `by at most`
    within: tuple[int, int] | None  # for `set`: the allowed base range, already intersected
    # with the param's declared range
    cooldown: int | None  # per target
    when: Cond | None  # state predicates and params only
    delay: int  # the role's timelock (0: immediate)
    span: Span
    step: SetStep | None = None  # for `set`: `by at most ... per D`


# --- properties ------------------------------------------------------------------------------


class AlwaysProp(Node):
    kind: Literal["always"] = "always"
    pred: Cond
    assuming: tuple[str, ...]


class PausedAtMostProp(Node):
    kind: Literal["paused_at_most"] = "paused_at_most"
    scope: str
    limit: int
    open_gap: int | None  # `then open G`
    assuming: tuple[str, ...]


class BlockedAtMostProp(Node):
    """`S blocked at most D`: no sender is continuously blocked from S (by `block sender from
    S` or `block sender`) longer than D; an `unblock` of S ends a block (docs/semantics.md,
    "Blocks")."""

    kind: Literal["blocked_at_most"] = "blocked_at_most"
    scope: str
    limit: int
    assuming: tuple[str, ...]


class NeverLockedProp(Node):
    kind: Literal["never_locked"] = "never_locked"
    scope: str
    assuming: tuple[str, ...]


class CanPauseProp(Node):
    """`ROLE can pause S within D`: in every reachable state, S is paused or one of ROLE's
    `pause`/`extend` powers over S (without a `when`) could pause it within D, time passing
    alone (its cooldown, S's `gap` and the role's timelock all allowing it by then)."""

    kind: Literal["can_pause"] = "can_pause"
    role: str
    scope: str
    within: int
    assuming: tuple[str, ...]


class NoUnilateralProp(Node):
    kind: Literal["no_unilateral"] = "no_unilateral"
    by: Literal["signer", "entity"]
    except_kinds: tuple[PowerKind, ...]  # `except pause, set`: power kinds left out


class MinCoalitionProp(Node):
    kind: Literal["min_coalition"] = "min_coalition"
    by: Literal["signer", "entity"]
    n: int
    except_kinds: tuple[PowerKind, ...] = ()  # `except set`: power kinds left out


Property = Annotated[
    AlwaysProp
    | PausedAtMostProp
    | BlockedAtMostProp
    | NeverLockedProp
    | CanPauseProp
    | NoUnilateralProp
    | MinCoalitionProp,
    Field(discriminator="kind"),
]


class Invariant(Node):
    name: str
    prop: Property
    span: Span


class Acceptance(Node):
    """`accept CODE [NAME] because "REASON"`: a finding the team accepts on purpose; `target`
    is the declaration the finding is about (None: every finding with that code)."""

    code: str
    target: str | None
    reason: str
    span: Span


class Program(Node):
    """A checked rule file."""

    ir_version: str = IR_VERSION
    protocol: str
    source_path: str
    source_sha256: str
    signers: tuple[Signer, ...]
    agents: tuple[Agent, ...]
    roles: tuple[Role, ...]
    scopes: tuple[Scope, ...]
    assets: tuple[Asset, ...]
    vaults: tuple[Vault, ...]
    feeds: tuple[Feed, ...]
    params: tuple[Param, ...]
    metrics: tuple[CustomMetric, ...]
    scores: tuple[Score, ...]
    breakers: tuple[Breaker, ...]
    powers: tuple[Power, ...]
    invariants: tuple[Invariant, ...]
    span: Span
    acceptances: tuple[Acceptance, ...] = ()
    reads: tuple[StateRead, ...] = ()  # IR 3

    def signer(self, name: str) -> Signer:
        return next(s for s in self.signers if s.name == name)

    def role(self, name: str) -> Role:
        return next(r for r in self.roles if r.name == name)

    def scope(self, name: str) -> Scope:
        return next(s for s in self.scopes if s.name == name)

    def feed(self, name: str) -> Feed:
        return next(f for f in self.feeds if f.name == name)

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def asset(self, name: str) -> Asset:
        return next(a for a in self.assets if a.name == name)

    def score(self, name: str) -> Score:
        return next(s for s in self.scores if s.name == name)

    def breaker(self, name: str) -> Breaker:
        return next(b for b in self.breakers if b.name == name)

    def read(self, name: str) -> StateRead:
        return next(r for r in self.reads if r.name == name)


for _model in (Threshold, AllOf, AnyOf, Not, And, Or, Implies, Role, ScoreTier, Breaker, Power):
    _model.model_rebuild()
