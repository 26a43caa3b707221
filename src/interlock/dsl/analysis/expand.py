"""`for each` and `group`: the syntax tree with every repetition written out.

`expand` is the first step of the analysis: it replaces each `for each VAR in [ITEMS] { BODY }`
by one copy of BODY per item, and splices each group into the lists that name it, so the rest of
the analysis and every back end see ordinary declarations. In a copy, a name equal to VAR
becomes the item and `{VAR}` inside a name becomes the item's name (`drain_{a}` -> `drain_USDC`).

A copied node keeps the span of the template it came from, with `via` set to the item that
produced it (nested repetitions chain, innermost first); `Diagnostic` turns a `via` into a note,
so an error in an instance names the template line and the instance.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields, replace
from functools import partial
from typing import Any

from interlock.dsl import ast
from interlock.dsl.analysis.common import Sink
from interlock.ir import codes as C
from interlock.ir.diagnostics import Label
from interlock.ir.nodes import Span

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _map(node: Any, name: Callable[[ast.Name], ast.Name], span: Callable[[Span], Span],
         hook: Callable[[ast.Node], ast.Node] = lambda n: n) -> Any:
    """`node` rebuilt bottom-up: every span through `span`, every name through `name`, every
    other node through `hook` (frozen dataclasses, so nothing is changed in place)."""
    if isinstance(node, Span):
        return span(node)
    if isinstance(node, tuple):
        return tuple(_map(x, name, span, hook) for x in node)
    if isinstance(node, ast.Node):
        new = replace(node, **{f.name: _map(getattr(node, f.name), name, span, hook)
                               for f in fields(node)})
        return name(new) if isinstance(new, ast.Name) else hook(new)
    return node


def _same(x: Any) -> Any:
    return x


def expand(module: ast.Module, sink: Sink) -> ast.Module:
    """`module` without `for each` and with groups spliced; problems reported into `sink`."""
    groups = {d.name.text: d for d in module.decls if isinstance(d, ast.GroupDecl)}
    declared = {d.name.text for d in module.decls if isinstance(d, ast.Decl)}
    decls = _expand_all(module.decls, _Scope(groups, declared, ()), sink)
    resolved = _Groups({d.name.text: d for d in decls if isinstance(d, ast.GroupDecl)}, sink)
    decls = tuple(_map(d, _same, _same, resolved.splice_lists) for d in decls)
    for d in decls:
        _map(d, lambda n: _check_placeholders(n, sink), _same)
    return replace(module, decls=decls)


class _Scope:
    """What a `for each` body is expanded against: the file's groups and names, and the
    variables of the enclosing repetitions."""

    def __init__(self, groups: dict[str, ast.GroupDecl], declared: set[str],
                 outer: tuple[str, ...]) -> None:
        self.groups = groups
        self.declared = declared
        self.outer = outer


def _expand_all(decls: tuple[ast.Declaration, ...], scope: _Scope,
                sink: Sink) -> tuple[ast.Declaration, ...]:
    out: list[ast.Declaration] = []
    for d in decls:
        if isinstance(d, ast.ForEachDecl):
            out += _expand_one(d, scope, sink)
        else:
            out.append(d)
    return tuple(out)


def _expand_one(d: ast.ForEachDecl, scope: _Scope, sink: Sink) -> list[ast.Declaration]:
    var = d.var.text
    if not _well_formed(d, scope, sink):
        return []
    items = _items(d, scope, sink)
    inner_scope = _Scope(scope.groups, scope.declared, (*scope.outer, var))
    out: list[ast.Declaration] = []
    for item in items:
        copy = _map(d.body, _substitute(var, item), partial(_via, item=item.span))
        out += _expand_all(copy, inner_scope, sink)
    return out


def _well_formed(d: ast.ForEachDecl, scope: _Scope, sink: Sink) -> bool:
    """Checked before anything is substituted: a copy would hide these mistakes (an inner
    variable equal to the outer one would itself be replaced by the item)."""
    var, ok = d.var.text, True
    if var in scope.declared or var in scope.outer:
        what = "an enclosing `for each`" if var in scope.outer else "a declaration"
        sink.error(C.LOOP_VAR_SHADOWS, f"`{var}` is already a name of {what}", d.var.span,
                   help=f"name the variable something else, e.g. `each_{var}`")
        ok = False
    for inner in d.body:
        if isinstance(inner, ast.ProtocolDecl):
            sink.error(C.NOT_REPEATABLE, "`protocol` cannot be repeated by a `for each`",
                       inner.span)
            ok = False
        if isinstance(inner, ast.ForEachDecl):
            ok = _well_formed(inner, _Scope(scope.groups, scope.declared, (*scope.outer, var)),
                              sink) and ok
    return ok


def _via(span: Span, item: Span) -> Span:
    return span.model_copy(update={"via": item}) if span.line else span


def _substitute(var: str, item: ast.Name) -> Callable[[ast.Name], ast.Name]:
    whole = "{" + var + "}"

    def name(n: ast.Name) -> ast.Name:
        if n.text == var:
            return replace(n, text=item.text)
        if whole in n.text:
            return replace(n, text=n.text.replace(whole, item.text))
        return n

    return name


def _items(d: ast.ForEachDecl, scope: _Scope, sink: Sink) -> list[ast.Name]:
    """The items a `for each` runs over: its list, with groups spliced, or a group's members."""
    listed = (d.items,) if isinstance(d.items, ast.Name) else d.items
    if isinstance(d.items, ast.Name) and d.items.text not in scope.groups:
        sink.error(C.UNKNOWN_NAME, f"unknown group `{d.items.text}`", d.items.span,
                   help="declare it with `group NAME = [...]` or list the items in `[...]`")
        return []
    names = _Groups(scope.groups, Sink()).splice(listed)  # cycles are reported once, later
    seen: dict[str, ast.Name] = {}
    out = []
    for n in names:
        if n.text in seen:
            sink.error(C.LISTED_TWICE, f"`{n.text}` is listed twice", n.span,
                       labels=[Label(span=seen[n.text].span, message="first listed here")])
            continue
        seen[n.text] = n
        out.append(n)
    return out


class _Groups:
    """Splices groups into lists: a listed group's name becomes its members (nested groups
    too), each member's span saying, in `via`, where the group was named."""

    def __init__(self, decls: dict[str, ast.GroupDecl], sink: Sink) -> None:
        self.decls = decls
        self.sink = sink
        self.members: dict[str, tuple[ast.Name, ...]] = {}
        for name in decls:
            self._resolve(name, ())

    def _resolve(self, group: str, stack: tuple[str, ...]) -> tuple[ast.Name, ...]:
        if group in self.members:
            return self.members[group]
        if group in stack:
            chain = " -> ".join(f"`{n}`" for n in (*stack[stack.index(group):], group))
            self.sink.error(C.GROUP_CYCLE, f"group `{group}` contains itself: {chain}",
                            self.decls[group].name.span)
            self.members[group] = ()
            return ()
        out: list[ast.Name] = []
        for m in self.decls[group].members:
            out += self._resolve(m.text, (*stack, group)) if m.text in self.decls else [m]
        self.members.setdefault(group, tuple(out))
        return self.members[group]

    def splice(self, names: tuple[ast.Name, ...]) -> tuple[ast.Name, ...]:
        out: list[ast.Name] = []
        for n in names:
            if n.text in self.members:
                out += [replace(m, span=m.span.model_copy(update={"via": n.span}))
                        for m in self.members[n.text]]
            else:
                out.append(n)
        return tuple(out)

    def splice_lists(self, node: ast.Node) -> ast.Node:
        """The lists that may name a group: role members, a vault's assets, `assuming`, and the
        targets of a pause, unpause, suspend, resume or extend."""
        if isinstance(node, ast.RoleThreshold):
            return replace(node, members=self.splice(node.members))
        if isinstance(node, ast.VaultDecl):
            return replace(node, holds=self.splice(node.holds))
        if isinstance(node, ast.InvariantDecl):
            return replace(node, assuming=self.splice(node.assuming))
        if isinstance(node, ast.GroupDecl):
            return replace(node, members=self.splice(node.members))
        if isinstance(node, ast.Effect | ast.PowerAst) and node.targets is not None and \
                node.kind not in ("set", "cancel"):
            return replace(node, targets=replace(node.targets,
                                                 names=self.splice(node.targets.names)))
        return node


def _check_placeholders(n: ast.Name, sink: Sink) -> ast.Name:
    m = _PLACEHOLDER.search(n.text)
    if m is not None:
        sink.error(C.UNKNOWN_PLACEHOLDER, f"`{{{m.group(1)}}}` in `{n.text}` is not the "
                                          "variable of an enclosing `for each`", n.span,
                   help="placeholders are filled in by `for each VAR in [...] { ... }`")
    return n
