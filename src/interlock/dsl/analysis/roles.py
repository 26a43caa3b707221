"""Role expressions -> IR `RoleExpr`; thresholds checked; cycles between roles reported."""

from __future__ import annotations

from interlock.dsl import ast
from interlock.dsl.analysis.common import Sink, Symbols, integer, seconds
from interlock.ir import codes as C
from interlock.ir import nodes as ir
from interlock.ir.diagnostics import Label


def build_roles(decls: list[ast.RoleDecl], symbols: Symbols, sink: Sink) -> list[ir.Role]:
    roles = []
    for decl in decls:
        expr = _expr(decl.expr, symbols, sink)
        delay = seconds(decl.after, sink, "a timelock", positive=False) if decl.after else 0
        if expr is not None:
            roles.append(ir.Role(name=decl.name.text, expr=expr, delay=delay, span=decl.span))
    _report_cycles(roles, {d.name.text: d for d in decls}, sink)
    return roles


def _member(name: ast.Name, symbols: Symbols, sink: Sink) -> ir.RoleExpr | None:
    sym = symbols.table.get(name.text)
    if sym is not None and sym.kind == "agent":
        sink.error(C.AGENT_IN_ROLE, f"agent `{name.text}` cannot be a member of a role",
                   name.span, help="agents only trigger breakers; declare a `signer` instead")
        return None
    sym = symbols.resolve(name, ("signer", "role"))
    if sym is None:
        return None
    if sym.kind == "signer":
        return ir.SignerMember(name=name.text)
    return ir.RoleMember(name=name.text)


def _expr(e: ast.RoleAst, symbols: Symbols, sink: Sink) -> ir.RoleExpr | None:
    if isinstance(e, ast.RoleParen):
        return _expr(e.item, symbols, sink)
    if isinstance(e, ast.RoleName):
        return _member(e.name, symbols, sink)
    if isinstance(e, ast.RoleThreshold):
        return _threshold(e, symbols, sink)
    left, right = _expr(e.left, symbols, sink), _expr(e.right, symbols, sink)
    if left is None or right is None:
        return None
    if e.op == "and":
        items = [*(_flat(left, ir.AllOf)), *(_flat(right, ir.AllOf))]
        return ir.AllOf(items=tuple(items))
    items = [*(_flat(left, ir.AnyOf)), *(_flat(right, ir.AnyOf))]
    return ir.AnyOf(items=tuple(items))


def _flat(e: ir.RoleExpr, cls: type[ir.AllOf] | type[ir.AnyOf]) -> tuple[ir.RoleExpr, ...]:
    return e.items if isinstance(e, cls) else (e,)


def _threshold(e: ast.RoleThreshold, symbols: Symbols, sink: Sink) -> ir.Threshold | None:
    seen: dict[str, ast.Name] = {}
    members = []
    ok = True
    for name in e.members:
        if name.text in seen:
            sink.error(C.LISTED_TWICE, f"`{name.text}` is listed twice", name.span,
                       labels=[Label(span=seen[name.text].span, message="first listed here")])
            ok = False
            continue
        seen[name.text] = name
        member = _member(name, symbols, sink)
        ok = ok and member is not None
        if member is not None:
            members.append(member)
    k = integer(e.k, sink, "a threshold")
    if k is None:
        return None
    if k <= 0:
        sink.error(C.ZERO_THRESHOLD, "a threshold must be at least 1", e.k.span)
        return None
    if k > len(e.members):
        sink.error(C.THRESHOLD_TOO_LARGE, f"threshold {k} is larger than the {len(e.members)} "
                                          "members listed, so the role can never act", e.k.span)
        return None
    return ir.Threshold(k=k, members=tuple(members)) if ok else None


def role_refs(e: ir.RoleExpr) -> list[str]:
    if isinstance(e, ir.RoleMember):
        return [e.name]
    if isinstance(e, ir.SignerMember):
        return []
    items = e.members if isinstance(e, ir.Threshold) else e.items
    return [r for item in items for r in role_refs(item)]


def _find_cycle(graph: dict[str, list[str]], start: str, done: set[str]) -> list[str] | None:
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node):], node]
        if node in done or node not in graph:
            return None
        path.append(node)
        for nxt in graph[node]:
            cycle = visit(nxt)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return None

    return visit(start)


def _report_cycles(roles: list[ir.Role], decls: dict[str, ast.RoleDecl], sink: Sink) -> None:
    graph = {r.name: role_refs(r.expr) for r in roles}
    done: set[str] = set()
    for start in graph:
        cycle = _find_cycle(graph, start, done)
        if cycle:
            done.update(cycle)
            chain = " -> ".join(f"`{n}`" for n in cycle)
            sink.error(C.ROLE_CYCLE, f"role `{cycle[0]}` contains itself: {chain}",
                       decls[cycle[0]].name.span)
