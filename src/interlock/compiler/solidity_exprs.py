"""IR conditions and role expressions as Solidity expressions (strings for the view model).

Every metric read goes through a helper of the generated contract that saturates the value to
`[0, 2**128]` (`_sat`), so a sum of `coef * atom` terms with the rule file's coefficients can
never overflow `int256` — an attacker-controlled balance or price cannot make a check revert.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.compiler.solidity_names import ConstNames
from interlock.ir.conditions import CondFold
from interlock.ir.nodes import (
    AllOf,
    And,
    AnyOf,
    Atom,
    Compare,
    Cond,
    Or,
    Program,
    RoleExpr,
    RoleMember,
    SignerMember,
    StatePred,
    Threshold,
)
from interlock.ir.notional import VALUE_KINDS, parts


@dataclass(frozen=True)
class Series:
    """One ring buffer of flow buckets: (direction, asset, window)."""

    index: int
    direction: str  # "outflow" | "inflow"
    asset: str
    window: int

    @property
    def bucket(self) -> int:
        return self.window // 12


class ExprCompiler(CondFold[str]):
    """Turns conditions into Solidity; knows the program's ids and flow series."""

    def __init__(self, program: Program, series: tuple[Series, ...], names: ConstNames) -> None:
        self.p = program
        self.names = names
        self.series = {(s.direction, s.asset, s.window): s for s in series}
        self.asset_index = {a.name: i for i, a in enumerate(program.assets)}
        self.score_index = {s.name: i for i, s in enumerate(program.scores)}

    def cond(self, c: Cond) -> str:
        return self.fold(c)

    def const(self, value: bool) -> str:
        return "true" if value else "false"

    def state(self, c: StatePred) -> str:
        if c.pred == "paused":
            return f"_isPaused({self.p.scope(c.target).index})"
        return f"_isSuspended({self.p.feed(c.target).index})"

    def not_(self, item: str) -> str:
        return f"!({item})"

    def and_(self, items: list[str]) -> str:
        return "(" + " && ".join(items) + ")"

    def or_(self, items: list[str]) -> str:
        return "(" + " || ".join(items) + ")"

    def return_lines(self, c: Cond, width: int = 80) -> list[str]:
        """`return <cond>;` as lines: a long top-level `and`/`or` gets one operand a line."""
        text = self.cond(c)
        if len(text) <= width or not isinstance(c, And | Or):
            return [f"return {text};"]
        op = " && " if isinstance(c, And) else " || "
        items = [self.cond(i) for i in c.items]
        lines = [f"return {items[0]}"] + [f"    {op.strip()} {i}" for i in items[1:]]
        lines[-1] += ";"
        return lines

    def compare(self, c: Compare) -> str:
        """`sum(coef * atom) + constant OP 0`, signs written out (`a - 2 * b - 5 > 0`)."""
        text = ""
        for t in c.terms:
            term = self.atom(t.atom) if abs(t.coef) == 1 else f"{abs(t.coef)} * {self.atom(t.atom)}"
            if not text:
                text = term if t.coef > 0 else f"-{term}"
            else:
                text += f" + {term}" if t.coef > 0 else f" - {term}"
        if not text:
            text = f"int256({c.constant})"
        elif c.constant:
            text += f" + {c.constant}" if c.constant > 0 else f" - {-c.constant}"
        return f"({text} {c.op} 0)"

    def _amount(self, a: Atom) -> str:
        """An amount metric unsaturated (uint256)."""
        if a.kind == "tvl":
            return f"_tvl{self.asset_index[a.target]}()"
        assert a.window is not None
        s = self.series[(a.kind, a.target, a.window)]
        return f"_seriesSum({s.index}, {s.bucket})"

    def _value(self, a: Atom) -> str:
        """`value(...)`: each priced asset's `_notional`, added saturating (`ir.notional`)."""
        terms = [f"_notional({self._amount(p.amount)}, _rawPrice({self.names.feed_addr[p.feed]}),"
                 f" {p.mul}, {p.div})" for p in parts(self.p, a)]
        text = terms[0]
        for t in terms[1:]:
            text = f"_addSat({text}, {t})"
        return f"_sat({text})"

    def atom(self, a: Atom) -> str:
        if a.kind in ("outflow", "inflow", "tvl"):
            return f"_sat({self._amount(a)})"
        if a.kind in VALUE_KINDS:
            return self._value(a)
        if a.kind == "price":
            return f"_price({self.names.feed_addr[a.target]})"
        if a.kind == "deviation":
            n = self.names
            return f"_deviation({n.feed_addr[a.target]}, {n.feed_ref[a.target]})"
        if a.kind == "staleness":
            return f"_staleness({self.names.feed_addr[a.target]})"
        if a.kind == "flow":
            return f"_sat(_flowOf({self.names.asset[a.target]}))"
        if a.kind == "param":
            return f"_paramValue({self.p.param(a.target).index})"
        if a.kind == "score":
            return f"_score{self.score_index[a.target]}()"
        raise ValueError(f"metric `{a.kind}` has no on-chain value")


def role_expr(program: Program, expr: RoleExpr, role_ids: dict[str, int]) -> str:
    """A Solidity boolean over `mask` (bit i: signer with index i signed)."""
    if isinstance(expr, SignerMember):
        return f"(mask & {1 << program.signer(expr.name).index:#x} != 0)"
    if isinstance(expr, RoleMember):
        return f"_role{role_ids[expr.name]}(mask)"
    if isinstance(expr, AllOf):
        return "(" + " && ".join(role_expr(program, e, role_ids) for e in expr.items) + ")"
    if isinstance(expr, AnyOf):
        return "(" + " || ".join(role_expr(program, e, role_ids) for e in expr.items) + ")"
    assert isinstance(expr, Threshold)
    direct = [m for m in expr.members if isinstance(m, SignerMember)]
    if len(direct) == len(expr.members):
        bits = sum(1 << program.signer(m.name).index for m in direct)
        return f"(_popcount(mask & {bits:#x}) >= {expr.k})"
    counts = " + ".join(
        f"_b({role_expr(program, m, role_ids)})" for m in expr.members
    )
    return f"({counts} >= {expr.k})"


def role_text(expr: RoleExpr) -> str:
    """The role expression as rule-file text (for the generated NatSpec)."""
    if isinstance(expr, SignerMember | RoleMember):
        return expr.name
    if isinstance(expr, AllOf):
        return "(" + " and ".join(role_text(e) for e in expr.items) + ")"
    if isinstance(expr, AnyOf):
        return "(" + " or ".join(role_text(e) for e in expr.items) + ")"
    assert isinstance(expr, Threshold)
    return f"{expr.k} of [{', '.join(role_text(m) for m in expr.members)}]"
