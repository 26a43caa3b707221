"""Expressions and conditions -> IR `Cond`, with units checked and comparisons normalised.

Every numeric expression becomes a `Linear`: exact rational coefficients per atom, a rational
constant and a unit. A comparison `L OP R` becomes `sum(c * atom) + k OP 0` for `L - R`, scaled
by the LCM of the denominators so all coefficients are integers (exact, nothing rounded).

Units: `asset:NAME` (base units), `feed:NAME` (price in the feed's decimals), `value:QUOTE` (a
notional value, 18 decimals: `analysis.pricing`), `ratio` (WAD),
`duration` (seconds), `count`, `score`, `param` (a param without a unit; a param with one has
that asset's or feed's unit), and `bare` (a number without unit, which adapts
to the other side; see docs/language-decisions.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from interlock.dsl import ast
from interlock.dsl.analysis.common import INT256_MAX, Sink, Symbols, scaled, window
from interlock.dsl.analysis.pricing import value_literal, value_metric
from interlock.ir import codes as C
from interlock.ir import nodes as ir
from interlock.ir.metric_arith import WAD

BARE = "bare"


@dataclass(frozen=True)
class Linear:
    terms: tuple[tuple[ir.Atom, Fraction], ...]
    const: Fraction
    unit: str

    @property
    def is_const(self) -> bool:
        return not self.terms

    def scale(self, k: Fraction) -> Linear:
        return Linear(tuple((a, c * k) for a, c in self.terms), self.const * k, self.unit)

    def plus(self, other: Linear, unit: str) -> Linear:
        merged: dict[ir.Atom, Fraction] = {}
        for a, c in (*self.terms, *other.terms):
            merged[a] = merged.get(a, Fraction(0)) + c
        return Linear(tuple((a, c) for a, c in merged.items() if c != 0),
                      self.const + other.const, unit)


@dataclass(frozen=True)
class Context:
    """Where a condition appears: decides which atoms are allowed."""

    where: str  # breaker, score, power, always, value
    state_only: bool = False  # powers and invariants: params and state predicates only
    allow_scores: bool = True


@dataclass
class Usage:
    """What a converted condition used (for `onchain` and `per sender` checks)."""

    atoms: list[ir.Atom] = field(default_factory=list)


class CondBuilder:
    def __init__(self, symbols: Symbols, sink: Sink, decimals: Callable[[str], int],
                 has_reference: Callable[[str], bool],
                 param_units: dict[str, str] | None = None,
                 read_units: dict[str, str] | None = None,
                 quotes: dict[str, str] | None = None) -> None:
        self.symbols = symbols
        self.sink = sink
        self.decimals = decimals  # asset or feed name -> decimals
        self.has_reference = has_reference
        self.param_units = param_units or {}  # param name -> `asset:X`, `feed:F` or `param`
        self.read_units = read_units or {}  # state read name -> `asset:X`, `feed:F` or `count`
        self.quotes = quotes or {}  # priced asset -> the quote unit of its value (`USD`)

    # --- conditions -----------------------------------------------------------------------------
    def cond(self, e: ast.Expr, ctx: Context, use: Usage) -> ir.Cond | None:
        if isinstance(e, ast.Paren):
            return self.cond(e.item, ctx, use)
        if isinstance(e, ast.Not):
            inner = self.cond(e.item, ctx, use)
            return ir.Not(item=inner) if inner is not None else None
        if isinstance(e, ast.BoolOp):
            left, right = self.cond(e.left, ctx, use), self.cond(e.right, ctx, use)
            if left is None or right is None:
                return None
            if e.op == "->":
                return ir.Implies(left=left, right=right)
            cls: type[ir.And] | type[ir.Or] = ir.And if e.op == "and" else ir.Or
            items: list[ir.Cond] = []
            for side in (left, right):
                items.extend(side.items if isinstance(side, cls) else (side,))
            return cls(items=tuple(items))
        if isinstance(e, ast.StateCall):
            kind = "scope" if e.pred == "paused" else "feed"
            if self.symbols.resolve(e.target, (kind,)) is None:
                return None
            return ir.StatePred(pred=e.pred, target=e.target.text, span=e.span)
        if isinstance(e, ast.Compare):
            return self._compare(e, ctx, use)
        help = "compare it with something, e.g. `... > 0`"
        sym = self.symbols.table.get(e.name.text) if isinstance(e, ast.Ref) else None
        if isinstance(e, ast.Ref) and sym is not None and sym.kind in ("scope", "feed"):
            pred = "paused" if sym.kind == "scope" else "suspended"
            help = f"did you mean `{pred}({e.name.text})`?"
        self.sink.error(C.NOT_A_CONDITION, "expected a condition, found a number", e.span,
                        help=help)
        return None

    def _compare(self, e: ast.Compare, ctx: Context, use: Usage) -> ir.Compare | None:
        left, right = self.linear(e.left, ctx, use), self.linear(e.right, ctx, use)
        if left is None or right is None:
            return None
        unit = self._unify(left, right, e, "compare")
        if unit is None:
            return None
        left, right = self._adapt(left, unit, e.left), self._adapt(right, unit, e.right)
        if left is None or right is None:
            return None
        diff = left.plus(right.scale(Fraction(-1)), unit)
        dens = [c.denominator for _, c in diff.terms] + [diff.const.denominator]
        lcm = math.lcm(*dens)
        terms = tuple(ir.Term(coef=int(c * lcm), atom=a) for a, c in diff.terms)
        if any(abs(n) > INT256_MAX for n in [int(diff.const * lcm), *(t.coef for t in terms)]):
            self.sink.error(C.OUT_OF_RANGE, "the numbers of this comparison do not fit in "
                                            "256-bit arithmetic", e.span,
                            help="use smaller amounts or simpler fractions")
            return None
        return ir.Compare(terms=terms, constant=int(diff.const * lcm), op=e.op,
                          span=e.span)

    # --- units ----------------------------------------------------------------------------------
    def _unify(self, a: Linear, b: Linear, e: ast.Compare | ast.Binary, how: str) -> str | None:
        if a.unit == b.unit or b.unit == BARE:
            return a.unit
        if a.unit == BARE:
            return b.unit
        verb = "compare" if how == "compare" else "add or subtract"
        help = None
        if "param" in (a.unit, b.unit):
            help = "give the param a unit, e.g. `param cap = 1_000_000 USDC in [0, 2_000_000]`"
        self.sink.error(C.UNIT_MISMATCH,
                        f"cannot {verb} {_unit_text(a.unit)} and {_unit_text(b.unit)}", e.span,
                        help=help)
        return None

    def _adapt(self, lin: Linear, unit: str, e: ast.Expr) -> Linear | None:
        """A bare constant takes the other side's unit (see docs/language-decisions.md)."""
        if lin.unit != BARE or unit == BARE:
            return lin
        if unit.startswith("feed:"):
            name = unit[5:]
            raw = _raw(e)
            base = scaled(lin.const, self.decimals(name), raw, e.span, self.sink, name)
            return None if base is None else Linear((), Fraction(base), unit)
        if unit in ("count", "score", "param"):
            return Linear(lin.terms, lin.const, unit)
        if lin.const == 0:
            return Linear(lin.terms, lin.const, unit)
        hint = {"ratio": "write a percentage, e.g. `3%` or `50bps`",
                "duration": "write a duration, e.g. `1h`"}.get(
            unit, f"write an amount with its unit, e.g. `{_raw(e)} {unit.partition(':')[2]}`")
        self.sink.error(C.NEEDS_UNIT, f"a number compared with {_unit_text(unit)} needs a unit",
                        e.span, help=hint)
        return None

    # --- numeric expressions --------------------------------------------------------------------
    def linear(self, e: ast.Expr, ctx: Context, use: Usage) -> Linear | None:
        if isinstance(e, ast.Paren):
            return self.linear(e.item, ctx, use)
        if isinstance(e, ast.NumberLit):
            return Linear((), e.number.value, BARE)
        if isinstance(e, ast.PercentLit):
            return Linear((), e.percent.ratio * WAD, "ratio")
        if isinstance(e, ast.DurationLit):
            return Linear((), Fraction(e.duration.seconds), "duration")
        if isinstance(e, ast.AmountLit):
            return self._amount(e)
        if isinstance(e, ast.Neg):
            inner = self.linear(e.item, ctx, use)
            return inner.scale(Fraction(-1)) if inner else None
        if isinstance(e, ast.PercentOf):
            inner = self.linear(e.item, ctx, use)
            return inner.scale(e.percent.ratio) if inner else None
        if isinstance(e, ast.Binary):
            return self._binary(e, ctx, use)
        if isinstance(e, ast.Ref):
            return self._ref(e, ctx, use)
        if isinstance(e, ast.MetricCall):
            return self._metric(e, ctx, use)
        if isinstance(e, ast.ValueCall):
            return self._value(e, ctx, use)
        self.sink.error(C.NOT_A_NUMBER, "expected a number, found a condition", e.span)
        return None

    def _amount(self, e: ast.AmountLit) -> Linear | None:
        sym = self.symbols.table.get(e.unit.text)
        if sym is None and e.unit.text in self.quotes.values():
            lit = value_literal(e, e.unit.text, self.sink)
            return None if lit is None else Linear((), Fraction(lit[0]), lit[1])
        if sym is None or sym.kind not in ("asset", "feed"):
            if sym is None:
                self.symbols.resolve(e.unit, ("asset", "feed"))
            else:
                self.sink.error(C.BAD_UNIT_NAME, f"`{e.unit.text}` is a {sym.kind}, not an "
                                                 "asset or a feed, so it cannot be a unit",
                                e.unit.span)
            return None
        base = scaled(e.number.value, self.decimals(e.unit.text), f"{e.number.raw} "
                      f"{e.unit.text}", e.span, self.sink, e.unit.text)
        return None if base is None else Linear((), Fraction(base), f"{sym.kind}:{e.unit.text}")

    def _binary(self, e: ast.Binary, ctx: Context, use: Usage) -> Linear | None:
        left, right = self.linear(e.left, ctx, use), self.linear(e.right, ctx, use)
        if left is None or right is None:
            return None
        if e.op in "+-":
            unit = self._unify(left, right, e, "add")
            if unit is None:
                return None
            left, right = self._adapt(left, unit, e.left), self._adapt(right, unit, e.right)
            if left is None or right is None:
                return None
            return left.plus(right.scale(Fraction(1 if e.op == "+" else -1)), unit)
        if e.op == "*":
            if left.is_const and left.unit in (BARE, "ratio"):
                factor, other = left, right
            elif right.is_const and right.unit in (BARE, "ratio"):
                factor, other = right, left
            else:
                self.sink.error(C.NONLINEAR, "cannot multiply two quantities", e.span,
                                help="one side must be a plain number (conditions are linear)")
                return None
            k = factor.const / WAD if factor.unit == "ratio" else factor.const
            return other.scale(k)
        if not (right.is_const and right.unit == BARE):
            self.sink.error(C.NONLINEAR, "can only divide by a plain number", e.span,
                            help="conditions are linear: multiply the other side instead")
            return None
        if right.const == 0:
            self.sink.error(C.DIVISION_BY_ZERO, "division by zero", e.right.span)
            return None
        return left.scale(1 / right.const)

    def _ref(self, e: ast.Ref, ctx: Context, use: Usage) -> Linear | None:
        kinds = ("param",) if ctx.state_only else ("param", "score", "metric", "read")
        sym = self.symbols.table.get(e.name.text)
        if ctx.state_only and sym is not None and sym.kind in ("score", "metric", "read"):
            self._not_allowed(e.name.text, e.span, ctx)
            return None
        if sym is None or sym.kind not in kinds:
            self.symbols.resolve(e.name, kinds)
            return None
        if sym.kind == "score" and not ctx.allow_scores:
            self.sink.error(C.SCORE_IN_SCORE, f"score `{e.name.text}` cannot be used inside a "
                                              "score", e.span)
            return None
        atom = ir.Atom(kind=sym.kind, target=e.name.text)
        use.atoms.append(atom)
        unit = {"param": self.param_units.get(e.name.text, "param"), "score": "score",
                "metric": "count", "read": self.read_units.get(e.name.text, "count")}[sym.kind]
        return Linear(((atom, Fraction(1)),), Fraction(0), unit)

    def _value(self, e: ast.ValueCall, ctx: Context, use: Usage) -> Linear | None:
        if ctx.state_only:
            self._not_allowed("value", e.span, ctx)
            return None
        made = value_metric(e, self.quotes, self.symbols, self.sink)
        if made is None:
            return None
        use.atoms.append(made[0])
        return Linear(((made[0], Fraction(1)),), Fraction(0), made[1])

    def _not_allowed(self, what: str, span: ir.Span, ctx: Context) -> None:
        where = "a power's `when`" if ctx.where == "power" else "an invariant"
        self.sink.error(C.METRIC_NOT_ALLOWED, f"`{what}` is a metric and cannot be used in "
                                              f"{where}", span,
                        help="only `paused(..)`, `suspended(..)` and params describe the state")

    def _metric(self, e: ast.MetricCall, ctx: Context, use: Usage) -> Linear | None:
        if ctx.state_only:
            self._not_allowed(e.func, e.span, ctx)
            return None
        if e.func == "flow" and ctx.where != "breaker":
            self.sink.error(C.FLOW_OUTSIDE_BREAKER, "`flow(..)` is the flow a vault is "
                            "reporting and may only be used in a breaker's condition", e.span)
            return None
        kind = {"outflow": "asset", "inflow": "asset", "tvl": "asset", "calls": "scope",
                "flow": "asset"}.get(e.func, "feed")
        if self.symbols.resolve(e.target, (kind,)) is None:
            return None
        win = window(e.window, self.sink) if e.window is not None else None
        if e.func == "deviation" and not self.has_reference(e.target.text):
            self.sink.error(C.NO_REFERENCE, f"`deviation({e.target.text})` needs a feed with a "
                                            "`reference`", e.span,
                            help=f"add `reference 0x...` to feed `{e.target.text}`")
            return None
        atom = ir.Atom(kind=e.func, target=e.target.text, window=win,
                       per_sender=e.per_sender)
        use.atoms.append(atom)
        unit = {"outflow": f"asset:{e.target.text}", "inflow": f"asset:{e.target.text}",
                "tvl": f"asset:{e.target.text}", "price": f"feed:{e.target.text}",
                "flow": f"asset:{e.target.text}",
                "deviation": "ratio", "change": "ratio", "staleness": "duration",
                "calls": "count"}[e.func]
        return Linear(((atom, Fraction(1)),), Fraction(0), unit)


def _unit_text(unit: str) -> str:
    kind, _, name = unit.partition(":")
    if kind == "asset":
        return f"an amount of `{name}`"
    if kind == "feed":
        return f"a price of `{name}`"
    if kind == "value":
        return f"a value in `{name}`"
    return {"ratio": "a ratio", "duration": "a duration", "count": "a count",
            "score": "a score", "param": "a param", BARE: "a number"}[unit]


def _raw(e: ast.Expr) -> str:
    if isinstance(e, ast.NumberLit):
        return e.number.raw
    if isinstance(e, ast.Neg):
        return "-" + _raw(e.item)
    return "..."
