"""Invariants -> IR properties."""

from __future__ import annotations

from interlock.dsl import ast
from interlock.dsl.analysis.common import Sink, Symbols, integer, seconds
from interlock.dsl.analysis.conditions import CondBuilder, Context, Usage
from interlock.ir import codes as C
from interlock.ir import nodes as ir

ALWAYS = Context(where="always", state_only=True)
COALITION = ("no_signer", "no_entity", "min")


def invariant(d: ast.InvariantDecl, symbols: Symbols, sink: Sink,
              conds: CondBuilder) -> ir.Invariant | None:
    p = d.prop
    if p.kind in COALITION and d.assuming:
        first, last = d.assuming[0].span, d.assuming[-1].span
        span = first.model_copy(update={"end_line": last.end_line,
                                        "end_column": last.end_column})
        sink.error(C.ASSUMING_ON_COALITION, "`assuming` does not apply to a coalition property",
                   span, help="coalition properties look at every power's role")
        return None
    assuming = _assuming(d.assuming, symbols, sink)
    prop = _prop(p, assuming, symbols, sink, conds)
    if prop is None or assuming is None:
        return None
    return ir.Invariant(name=d.name.text, prop=prop, span=d.span)


def _assuming(names: tuple[ast.Name, ...], symbols: Symbols, sink: Sink) -> tuple[str, ...] | None:
    out: list[str] = []
    ok = True
    for name in names:
        if name.text in out:
            sink.error(C.LISTED_TWICE, f"`{name.text}` is listed twice", name.span)
            ok = False
        elif symbols.resolve(name, ("role",)) is None:
            ok = False
        else:
            out.append(name.text)
    return tuple(out) if ok else None


def _coalition(p: ast.PropAst, sink: Sink) -> ir.Property | None:
    kinds: list[str] = []
    for k in p.except_kinds:
        if k.text in kinds:
            sink.error(C.LISTED_TWICE, f"`{k.text}` is listed twice", k.span)
            return None
        kinds.append(k.text)
    left_out = tuple(kinds)
    if p.kind != "min":
        by = "signer" if p.kind == "no_signer" else "entity"
        return ir.NoUnilateralProp(by=by, except_kinds=left_out)
    assert p.n is not None and p.unit is not None
    n = integer(p.n, sink, "a coalition size", lo=1)
    by = "signer" if p.unit.startswith("signer") else "entity"
    return None if n is None else ir.MinCoalitionProp(by=by, n=n, except_kinds=left_out)


def _prop(p: ast.PropAst, assuming: tuple[str, ...] | None, symbols: Symbols, sink: Sink,
          conds: CondBuilder) -> ir.Property | None:
    assumed = assuming or ()
    if p.kind in COALITION:
        return _coalition(p, sink)
    if p.kind == "always":
        assert p.cond is not None
        cond = conds.cond(p.cond, ALWAYS, Usage())
        return None if cond is None else ir.AlwaysProp(pred=cond, assuming=assumed)
    assert p.scope is not None
    if symbols.resolve(p.scope, ("scope",)) is None:
        return None
    if p.kind == "never_locked":
        return ir.NeverLockedProp(scope=p.scope.text, assuming=assumed)
    if p.kind == "can_pause":
        assert p.role is not None and p.limit is not None
        if symbols.resolve(p.role, ("role",)) is None:
            return None
        within = seconds(p.limit, sink, "a time to pause", positive=True)
        return ir.CanPauseProp(role=p.role.text, scope=p.scope.text, within=within,
                               assuming=assumed)
    assert p.limit is not None
    if p.kind == "blocked":
        limit = seconds(p.limit, sink, "a block limit", positive=True)
        return ir.BlockedAtMostProp(scope=p.scope.text, limit=limit, assuming=assumed)
    limit = seconds(p.limit, sink, "a pause limit", positive=True)
    gap = seconds(p.open_gap, sink, "an open time", positive=True) if p.open_gap else None
    return ir.PausedAtMostProp(scope=p.scope.text, limit=limit, open_gap=gap,
                               assuming=assumed)
