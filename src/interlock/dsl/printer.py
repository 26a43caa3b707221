"""AST -> canonical text, one declaration at a time (the formatter's printing half).

Explicit parentheses are kept (`Paren` nodes) and no others are added, so printing a parsed
tree and parsing it again gives the same tree. Literals print as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from interlock.dsl import ast


def expr(e: ast.Expr) -> str:
    if isinstance(e, ast.NumberLit):
        return e.number.raw
    if isinstance(e, ast.AmountLit):
        return f"{e.number.raw} {e.unit.text}"
    if isinstance(e, ast.PercentLit):
        return e.percent.raw
    if isinstance(e, ast.DurationLit):
        return e.duration.raw
    if isinstance(e, ast.Ref):
        return e.name.text
    if isinstance(e, ast.MetricCall):
        args = [e.target.text] + ([e.window.raw] if e.window else [])
        if e.per_sender:
            args.append("per sender")
        return f"{e.func}({', '.join(args)})"
    if isinstance(e, ast.ValueCall):
        args = [e.target.text if e.target else "*"] + ([e.window.raw] if e.window else [])
        return f"value({e.func}({', '.join(args)}))"
    if isinstance(e, ast.StateCall):
        return f"{e.pred}({e.target.text})"
    if isinstance(e, ast.Neg):
        return f"-{expr(e.item)}"
    if isinstance(e, ast.PercentOf):
        return f"{e.percent.raw} of {expr(e.item)}"
    if isinstance(e, ast.Binary | ast.Compare | ast.BoolOp):
        return f"{expr(e.left)} {e.op} {expr(e.right)}"
    if isinstance(e, ast.Not):
        return f"not {expr(e.item)}"
    return f"({expr(e.item)})"


def role(e: ast.RoleAst) -> str:
    if isinstance(e, ast.RoleName):
        return e.name.text
    if isinstance(e, ast.RoleThreshold):
        return f"{e.k.raw} of [{names(e.members)}]"
    if isinstance(e, ast.RoleOp):
        return f"{role(e.left)} {e.op} {role(e.right)}"
    return f"({role(e.item)})"


def names(items: tuple[ast.Name, ...]) -> str:
    return ", ".join(n.text for n in items)


def targets(t: ast.Targets) -> str:
    if t.star:
        return "* except " + names(t.names) if t.names else "*"
    return names(t.names)


def effect(e: ast.Effect) -> str:
    dur = e.duration.raw if e.duration else ""
    if e.kind in ("pause", "suspend"):
        assert e.targets is not None
        return f"{e.kind} {targets(e.targets)} for {dur}"
    if e.kind == "set":
        assert e.param is not None and e.value is not None
        return f"set {e.param.text} to {expr(e.value)} for {dur}"
    if e.kind == "block":
        frm = f" from {e.scope.text}" if e.scope else ""
        return f"block sender{frm} for {dur}"
    if e.kind == "hold":
        return f"hold flow for {dur}"
    return f"alert {e.text}"


def power(p: ast.PowerAst) -> str:
    if p.kind == "cancel_holds":
        return "cancel holds"
    head = f"{p.kind} {targets(p.targets)}"
    if p.kind in ("pause", "suspend"):
        assert p.duration is not None
        return f"{head} for at most {p.duration.raw}"
    if p.kind == "extend":
        assert p.duration is not None
        return f"{head} by at most {p.duration.raw}"
    if p.kind == "set":
        return head + set_bounds(p)
    return head


def set_bounds(p: ast.PowerAst) -> str:
    """` within [0, 9] by at most 100% per 3d`: a `set` power's bounds as written."""
    text = ""
    if p.within is not None:
        low, high = (amount(n, u) for n, u in zip(p.within, p.within_units, strict=True))
        text += f" within [{low}, {high}]"
    if p.step is not None:
        a = p.step.amount
        size = a.raw if isinstance(a, ast.Percent) else amount(a, p.step.unit)
        text += f" by at most {size} per {p.step.period.raw}"
    return text


def amount(num: ast.Number, unit: ast.Name | None) -> str:
    """A number as written, with its unit when it has one (`1_000 USDC`)."""
    return f"{num.raw} {unit.text}" if unit else num.raw


def option(o: ast.Option) -> str:
    v = o.value
    if isinstance(v, ast.Duration):
        return f"{o.key} {v.raw}"
    if isinstance(v, ast.Address | ast.Name):
        return f"{o.key} {v.text}"
    return f"{o.key} {expr(v)}"


def prop(p: ast.PropAst) -> str:
    kinds = f" except {names(p.except_kinds)}" if p.except_kinds else ""
    if p.kind == "no_signer":
        return f"no unilateral signer{kinds}"
    if p.kind == "no_entity":
        return f"no unilateral entity{kinds}"
    if p.kind == "min":
        assert p.n is not None
        return f"every power needs {p.n.raw} {p.unit}{kinds}"
    if p.kind == "always":
        assert p.cond is not None
        return f"always {expr(p.cond)}"
    assert p.scope is not None
    if p.kind == "never_locked":
        return f"{p.scope.text} never locked forever"
    if p.kind == "can_pause":
        assert p.role is not None and p.limit is not None
        return f"{p.role.text} can pause {p.scope.text} within {p.limit.raw}"
    assert p.limit is not None
    if p.kind == "blocked":
        return f"{p.scope.text} blocked at most {p.limit.raw}"
    gap = f" then open {p.open_gap.raw}" if p.open_gap else ""
    return f"{p.scope.text} paused at most {p.limit.raw}{gap}"


def event(ev: ast.Event) -> str:
    params = []
    for p in ev.params:
        words = [p.type] + (["indexed"] if p.indexed else []) + ([p.name] if p.name else [])
        params.append(" ".join(words))
    return f"{ev.name}({', '.join(params)})"


def read_arg(a: ast.ReadArg) -> str:
    return a.raw if isinstance(a, ast.Number) else a.text


def read_tail(d: ast.ReadDecl) -> str:
    """`0x... "balanceOf(address)(uint256)" (pool) USDC`: a read after `call`."""
    args = f" ({', '.join(map(read_arg, d.args))})" if d.args else ""
    unit = f" {d.unit.text}" if d.unit else ""
    return f'{d.target.text} "{d.signature.text}"{args}{unit}'


@dataclass
class Line:
    """One output line and the source lines it stands for."""

    text: str
    first: int  # source lines [first, last]
    last: int
    indent: int = 0
    group: str | None = None  # consecutive lines of one group are aligned on `cols`
    cols: list[str] = field(default_factory=list)


def _simple(decl: ast.Declaration, text: str, group: str | None = None,
            cols: list[str] | None = None) -> Line:
    return Line(text, decl.span.line, decl.span.end_line, group=group, cols=cols or [])


def decl_lines(d: ast.Declaration) -> list[Line]:
    """The output lines of one declaration (several for blocks)."""
    if isinstance(d, ast.ProtocolDecl):
        return [_simple(d, f"protocol {d.name.text}")]
    if isinstance(d, ast.SignerDecl):
        ent = f" entity {d.entity.text}" if d.entity else ""
        return [_simple(d, f"{d.address.text}{ent}", "signer", ["signer", d.name.text])]
    if isinstance(d, ast.AgentDecl):
        return [_simple(d, d.address.text, "signer", ["agent", d.name.text])]
    if isinstance(d, ast.RoleDecl):
        after = f" after {d.after.raw}" if d.after else ""
        return [_simple(d, f"= {role(d.expr)}{after}", "role", ["role", d.name.text])]
    if isinstance(d, ast.ScopeDecl):
        return [_simple(d, " ".join(map(option, d.options)), "scope", ["scope", d.name.text])]
    if isinstance(d, ast.AssetDecl):
        priced = f" priced by {d.priced_by.text}" if d.priced_by else ""
        return [_simple(d, f"{d.address.text} decimals {d.decimals.raw}{priced}", "asset",
                        ["asset", d.name.text])]
    if isinstance(d, ast.VaultDecl):
        return [_simple(d, f"{d.address.text} holds {names(d.holds)}", "vault",
                        ["vault", d.name.text])]
    if isinstance(d, ast.FeedDecl):
        head = f"{d.address.text} decimals {d.decimals.raw}"
        return [_simple(d, " ".join([head, *map(option, d.options)]), "feed",
                        ["feed", d.name.text])]
    if isinstance(d, ast.ParamDecl):
        low, high = (amount(n, u) for n, u in zip((d.low, d.high), d.bound_units, strict=True))
        return [_simple(d, f"= {amount(d.initial, d.unit)} in [{low}, {high}] safer {d.safer}",
                        "param", ["param", d.name.text])]
    if isinstance(d, ast.GroupDecl):
        return [_simple(d, f"= [{names(d.members)}]", "group", ["group", d.name.text])]
    if isinstance(d, ast.ForEachDecl):
        return _foreach_lines(d)
    if isinstance(d, ast.MetricDecl):
        fld = f".{d.field_name.text}" if d.field_name else ""
        at = d.at.text
        return [_simple(d, f"metric {d.name.text} = {d.aggregate}({event(d.event)}{fld} at "
                           f"{at}, {d.window.raw})")]
    if isinstance(d, ast.ReadDecl):
        return [_simple(d, f"read {d.name.text} = call {read_tail(d)}")]
    if isinstance(d, ast.ScoreDecl):
        inner = [Line(f"{t.weight.raw} when {expr(t.cond)}", t.span.line, t.span.end_line, 2)
                 for t in d.tiers]
        return _block(d, f"score {d.name.text} {{", inner)
    if isinstance(d, ast.BreakerDecl):
        inner = [Line(f"when {expr(d.when)}", d.when.span.line, d.when.span.end_line, 2)]
        first, last = d.effects[0].span, d.effects[-1].span
        inner.append(Line(_wrapped("then ", [effect(e) for e in d.effects], indent=2),
                          first.line, last.end_line, 2))
        if d.cooldown:
            inner.append(Line(f"cooldown {d.cooldown.raw}", d.cooldown.span.line,
                              d.cooldown.span.end_line, 2))
        return _block(d, f"breaker {d.name.text} {{", inner)
    if isinstance(d, ast.AllowDecl):
        opts = "".join(" " + option(o) for o in d.options)
        return [_simple(d, f"to {power(d.power)}{opts}", "allow", ["allow", d.role.text])]
    if isinstance(d, ast.AcceptDecl):
        target = f" {d.target.text}" if d.target else ""
        return [_simple(d, f"accept {d.code.text}{target} because {d.reason}")]
    assuming = f" assuming {names(d.assuming)}" if d.assuming else ""
    return [_simple(d, f"{prop(d.prop)}{assuming}", "invariant",
                    ["invariant", d.name.text + ":"])]


def _foreach_lines(d: ast.ForEachDecl) -> list[Line]:
    items = d.items.text if isinstance(d.items, ast.Name) else f"[{names(d.items)}]"
    inner = [ln for b in d.body for ln in decl_lines(b)]
    for ln in inner:
        ln.indent += 2
        ln.text = ln.text.replace("\n", "\n  ")  # a wrapped `then` list keeps its column
    return _block(d, f"for each {d.var.text} in {items} {{", inner)


WIDTH = 100


def _wrapped(head: str, parts: list[str], *, indent: int) -> str:
    """`head` + comma-separated parts, continued under the first part past `WIDTH` columns."""
    lines = [head + parts[0]]
    cont = " " * (indent + len(head))
    for part in parts[1:]:
        if indent + len(lines[-1]) + 2 + len(part) > WIDTH:
            lines[-1] += ","
            lines.append(cont + part)
        else:
            lines[-1] += ", " + part
    return "\n".join(lines)


def _block(d: ast.Declaration, head: str, inner: list[Line]) -> list[Line]:
    closing = Line("}", d.span.end_line, d.span.end_line)
    return [Line(head, d.span.line, d.span.line), *inner, closing]
