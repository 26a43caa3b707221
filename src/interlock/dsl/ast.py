"""The syntax tree of a rule file: what was written, with a span on every node.

Produced by `interlock.dsl.parser.parse`, read by `interlock.dsl.analysis` (to the IR) and by
`interlock.dsl.fmt` (back to canonical text). Nodes compare equal ignoring their spans, so
`parse(fmt(x)) == parse(x)` is a plain `==`. Literals keep their raw text (`1_000_000`, `72h`)
so the formatter prints them as written; explicit parentheses are kept as `Paren` nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from interlock.ir.nodes import Span

NO_SPAN = Span(file="", line=0, column=0, end_line=0, end_column=0)


@dataclass(frozen=True, kw_only=True)
class Node:
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


# --- leaves -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Name(Node):
    text: str


@dataclass(frozen=True, kw_only=True)
class Address(Node):
    text: str


@dataclass(frozen=True, kw_only=True)
class Duration(Node):
    raw: str  # `72h`

    @property
    def seconds(self) -> int:
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[self.raw[-1]]
        return int(self.raw[:-1].replace("_", "")) * unit


@dataclass(frozen=True, kw_only=True)
class Number(Node):
    raw: str  # `1_000_000`, `2.5`, `-3`

    @property
    def value(self) -> Fraction:
        return Fraction(self.raw.replace("_", ""))


@dataclass(frozen=True, kw_only=True)
class Percent(Node):
    raw: str  # `3%`, `2.5%`, `50bps`

    @property
    def ratio(self) -> Fraction:
        """The value as a fraction of one: `3%` is 3/100, `50bps` is 50/10000."""
        text = self.raw.replace("_", "")
        if text.endswith("bps"):
            return Fraction(text[:-3]) / 10_000
        return Fraction(text[:-1]) / 100


@dataclass(frozen=True, kw_only=True)
class Comment(Node):
    text: str  # including the leading `#`


# --- expressions and conditions (one tree; analysis tells numbers from conditions) -------------


@dataclass(frozen=True, kw_only=True)
class NumberLit(Node):
    number: Number


@dataclass(frozen=True, kw_only=True)
class AmountLit(Node):
    number: Number
    unit: Name  # an asset or a feed


@dataclass(frozen=True, kw_only=True)
class PercentLit(Node):
    percent: Percent


@dataclass(frozen=True, kw_only=True)
class DurationLit(Node):
    duration: Duration


@dataclass(frozen=True, kw_only=True)
class Ref(Node):
    """A bare name in an expression: a param or a score."""

    name: Name


@dataclass(frozen=True, kw_only=True)
class MetricCall(Node):
    func: str  # outflow inflow tvl price deviation change staleness calls flow
    target: Name
    window: Duration | None = None
    per_sender: bool = False


@dataclass(frozen=True, kw_only=True)
class ValueCall(Node):
    """`value(outflow(A, W))`, `value(inflow(*, W))`, `value(tvl(A))`: a notional value."""

    func: str  # outflow inflow tvl
    target: Name | None  # None: `*`, every priced asset
    window: Duration | None = None


@dataclass(frozen=True, kw_only=True)
class StateCall(Node):
    pred: str  # paused suspended
    target: Name


@dataclass(frozen=True, kw_only=True)
class Neg(Node):
    item: Expr


@dataclass(frozen=True, kw_only=True)
class Binary(Node):
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True, kw_only=True)
class PercentOf(Node):
    percent: Percent
    item: Expr


@dataclass(frozen=True, kw_only=True)
class Compare(Node):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, kw_only=True)
class Not(Node):
    item: Expr


@dataclass(frozen=True, kw_only=True)
class BoolOp(Node):
    op: str  # and or ->
    left: Expr
    right: Expr


@dataclass(frozen=True, kw_only=True)
class Paren(Node):
    item: Expr


Expr = (
    NumberLit
    | AmountLit
    | PercentLit
    | DurationLit
    | Ref
    | MetricCall
    | ValueCall
    | StateCall
    | Neg
    | Binary
    | PercentOf
    | Compare
    | Not
    | BoolOp
    | Paren
)

# --- role expressions --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RoleName(Node):
    name: Name


@dataclass(frozen=True, kw_only=True)
class RoleThreshold(Node):
    k: Number
    members: tuple[Name, ...]


@dataclass(frozen=True, kw_only=True)
class RoleOp(Node):
    op: str  # and or
    left: RoleAst
    right: RoleAst


@dataclass(frozen=True, kw_only=True)
class RoleParen(Node):
    item: RoleAst


RoleAst = RoleName | RoleThreshold | RoleOp | RoleParen

# --- effects and powers ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Targets(Node):
    """`*`, `* except a, b`, or `a, b`."""

    star: bool
    names: tuple[Name, ...]  # the listed names, or the `except` names when `star`


@dataclass(frozen=True, kw_only=True)
class Effect(Node):
    kind: str  # pause suspend set block alert hold
    targets: Targets | None = None  # pause, suspend
    param: Name | None = None  # set
    value: Expr | None = None  # set
    scope: Name | None = None  # block ... from SCOPE
    duration: Duration | None = None
    text: str | None = None  # alert, with its quotes


@dataclass(frozen=True, kw_only=True)
class SetStepAst(Node):
    """`by at most 100% per 3d` (`amount` a Percent) or `by at most 5 USDC per 1d`."""

    amount: Number | Percent
    unit: Name | None
    period: Duration


@dataclass(frozen=True, kw_only=True)
class PowerAst(Node):
    kind: str  # pause unpause suspend resume set extend cancel unblock cancel_holds
    targets: Targets  # for set and cancel: the one param or role; none for cancel_holds
    duration: Duration | None = None
    within: tuple[Number, Number] | None = None
    within_units: tuple[Name | None, Name | None] = (None, None)  # `within [1 USDC, 9 USDC]`
    step: SetStepAst | None = None  # `by at most 100% per 3d`


@dataclass(frozen=True, kw_only=True)
class Option(Node):
    """A keyword option as written, in order: `max 72h`, `reference 0x..`, `when COND`."""

    key: str
    value: Duration | Address | Name | Expr  # a name: `quote USD`


# --- properties --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PropAst(Node):
    kind: str  # no_signer no_entity min always paused never_locked can_pause blocked
    role: Name | None = None  # `ROLE can pause S within D`
    except_kinds: tuple[Name, ...] = ()
    n: Number | None = None
    unit: str | None = None  # signers entities (as written)
    cond: Expr | None = None
    scope: Name | None = None
    limit: Duration | None = None
    open_gap: Duration | None = None


# --- declarations ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EventParam(Node):
    type: str  # `uint256`, `address[]`
    indexed: bool
    name: str | None


@dataclass(frozen=True, kw_only=True)
class Event(Node):
    name: str
    params: tuple[EventParam, ...]


@dataclass(frozen=True, kw_only=True)
class Tier(Node):
    weight: Number
    cond: Expr


@dataclass(frozen=True, kw_only=True)
class Decl(Node):
    name: Name


@dataclass(frozen=True, kw_only=True)
class ProtocolDecl(Decl):
    pass


@dataclass(frozen=True, kw_only=True)
class SignerDecl(Decl):
    address: Address
    entity: Name | None


@dataclass(frozen=True, kw_only=True)
class AgentDecl(Decl):
    address: Address


@dataclass(frozen=True, kw_only=True)
class RoleDecl(Decl):
    expr: RoleAst
    after: Duration | None


@dataclass(frozen=True, kw_only=True)
class ScopeDecl(Decl):
    options: tuple[Option, ...]  # max, gap


@dataclass(frozen=True, kw_only=True)
class AssetDecl(Decl):
    address: Address
    decimals: Number
    priced_by: Name | None = None


@dataclass(frozen=True, kw_only=True)
class VaultDecl(Decl):
    address: Address
    holds: tuple[Name, ...]


@dataclass(frozen=True, kw_only=True)
class FeedDecl(Decl):
    address: Address
    decimals: Number
    options: tuple[Option, ...]  # reference, heartbeat, quote


@dataclass(frozen=True, kw_only=True)
class ParamDecl(Decl):
    initial: Number
    low: Number
    high: Number
    safer: str  # lower higher
    unit: Name | None = None  # an asset or a feed: the values are amounts or prices of it
    bound_units: tuple[Name | None, Name | None] = (None, None)  # as written on the bounds


@dataclass(frozen=True, kw_only=True)
class MetricDecl(Decl):
    aggregate: str  # count sum
    event: Event
    field_name: Name | None
    at: Address | Name
    window: Duration


ReadArg = Address | Number | Name  # a constant argument of a read: written as is


@dataclass(frozen=True, kw_only=True)
class ReadDecl(Decl):
    """`read NAME = call TARGET "fn(types)(ret)" [(ARGS)] [UNIT]`; `signature` is the string's
    text without its quotes (its span covers the quotes)."""

    target: Address | Name
    signature: Name
    args: tuple[ReadArg, ...]
    unit: Name | None


@dataclass(frozen=True, kw_only=True)
class ScoreDecl(Decl):
    tiers: tuple[Tier, ...]


@dataclass(frozen=True, kw_only=True)
class BreakerDecl(Decl):
    when: Expr
    effects: tuple[Effect, ...]
    cooldown: Duration | None


@dataclass(frozen=True, kw_only=True)
class AllowDecl(Node):
    role: Name
    power: PowerAst
    options: tuple[Option, ...]  # cooldown, when


@dataclass(frozen=True, kw_only=True)
class InvariantDecl(Decl):
    prop: PropAst
    assuming: tuple[Name, ...]


@dataclass(frozen=True, kw_only=True)
class AcceptDecl(Node):
    """`accept CODE [NAME] because "REASON"`: declares no name; `reason` keeps its quotes."""

    code: Name
    target: Name | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class GroupDecl(Decl):
    """`group NAME = [a, b]`: a named list, spliced into the lists that name it."""

    members: tuple[Name, ...]


@dataclass(frozen=True, kw_only=True)
class ForEachDecl(Node):
    """`for each VAR in [a, b] { ... }` (or `in GROUP`): the body once per item; the front end
    expands it before analysis (`interlock.dsl.expand`)."""

    var: Name
    items: tuple[Name, ...] | Name  # a listed tuple, or a group's name
    body: tuple[Declaration, ...]


Declaration = (
    ProtocolDecl
    | SignerDecl
    | AgentDecl
    | RoleDecl
    | ScopeDecl
    | AssetDecl
    | VaultDecl
    | FeedDecl
    | ParamDecl
    | MetricDecl
    | ReadDecl
    | ScoreDecl
    | BreakerDecl
    | AllowDecl
    | InvariantDecl
    | AcceptDecl
    | GroupDecl
    | ForEachDecl
)


@dataclass(frozen=True, kw_only=True)
class Module(Node):
    decls: tuple[Declaration, ...]
    comments: tuple[Comment, ...] = ()
