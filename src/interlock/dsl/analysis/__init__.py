"""AST -> checked IR `Program`, collecting every diagnostic of the phase.

Data flow: `for each` and groups written out (`expand`) -> `Symbols` (names, unique across
kinds) -> plain declarations (`decls`, `params`, state `reads`) -> roles (`roles`) -> scores,
breakers, powers (`rules`, conditions via `conditions`) -> invariants (`props`) -> acceptances
(`accept`). Every step reports into one `Sink`; `analyze` returns a `Program` only when the
sink holds no error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TypeVar

from interlock.dsl import ast
from interlock.dsl.analysis import decls as D
from interlock.dsl.analysis.accept import acceptance
from interlock.dsl.analysis.common import Sink, Symbols
from interlock.dsl.analysis.conditions import CondBuilder
from interlock.dsl.analysis.expand import expand
from interlock.dsl.analysis.limits import check_counts, check_saturation, check_signers
from interlock.dsl.analysis.params import Units, condition_unit, param
from interlock.dsl.analysis.pricing import price_assets, quotes_of
from interlock.dsl.analysis.props import invariant
from interlock.dsl.analysis.reads import read, read_unit
from interlock.dsl.analysis.roles import build_roles
from interlock.dsl.analysis.rules import RuleBuilder, check_holds
from interlock.ir import codes as C
from interlock.ir import nodes as ir
from interlock.ir.diagnostics import Diagnostic, Label
from interlock.ir.notional import VALUE_DECIMALS

T = TypeVar("T")


@dataclass(frozen=True)
class AnalysisResult:
    program: ir.Program | None
    diagnostics: tuple[Diagnostic, ...]


def _of(module: ast.Module, cls: type[T]) -> list[T]:
    return [d for d in module.decls if isinstance(d, cls)]


def analyze(module: ast.Module, source: str, path: str) -> AnalysisResult:
    sink = Sink()
    module = expand(module, sink)
    protocol = _protocol(module, sink)
    symbols = Symbols(module.decls, sink)
    addrs = D.Addresses(sink)
    signers = [D.signer(d, i, addrs) for i, d in enumerate(_of(module, ast.SignerDecl))]
    agents = [D.agent(d, addrs) for d in _of(module, ast.AgentDecl)]
    scopes = [D.scope(d, i, sink) for i, d in enumerate(_of(module, ast.ScopeDecl))]
    assets = [D.asset(d, addrs, sink) for d in _of(module, ast.AssetDecl)]
    vaults = [D.vault(d, addrs, symbols, sink) for d in _of(module, ast.VaultDecl)]
    feeds = [D.feed(d, i, addrs, sink) for i, d in enumerate(_of(module, ast.FeedDecl))]
    assets = price_assets(_of(module, ast.AssetDecl), assets, _of(module, ast.FeedDecl), feeds,
                          symbols, sink)
    decimals = {x.name: x.decimals for x in assets} | {x.name: x.decimals for x in feeds}
    quotes = quotes_of(assets, feeds)
    decimals |= {q: VALUE_DECIMALS for q in quotes.values()}
    units = Units(symbols, sink, lambda n: decimals.get(n, 0), frozenset(quotes.values()))
    params = [p for i, d in enumerate(_of(module, ast.ParamDecl))
              if (p := param(d, i, units)) is not None]
    located = {x.name: x.address for x in assets} | {x.name: x.address for x in vaults} | {
        x.name: x.address for x in feeds}
    metrics = [m for d in _of(module, ast.MetricDecl)
               if (m := D.metric(d, addrs, symbols, sink, located)) is not None]
    reads = [r for d in _of(module, ast.ReadDecl)
             if (r := read(d, symbols, sink, located, units.unit_of)) is not None]
    roles = build_roles(_of(module, ast.RoleDecl), symbols, sink)

    refs = {f.name for f in feeds if f.reference is not None}
    conds = CondBuilder(symbols, sink, lambda n: decimals.get(n, 0), lambda n: n in refs,
                        {p.name: condition_unit(p, symbols) for p in params},
                        read_units={r.name: read_unit(r, symbols) for r in reads},
                        quotes=quotes)
    rules = RuleBuilder(symbols, sink, conds, {p.name: p for p in params},
                        {r.name: r for r in roles}, units)
    scores = [s for d in _of(module, ast.ScoreDecl) if (s := rules.score(d)) is not None]
    score_map = {s.name: s for s in scores}
    breakers = [b for i, d in enumerate(_of(module, ast.BreakerDecl))
                if (b := rules.breaker(d, i, score_map)) is not None]
    powers = [w for i, d in enumerate(_of(module, ast.AllowDecl))
              if (w := rules.power(d, i)) is not None]
    invariants = [v for d in _of(module, ast.InvariantDecl)
                  if (v := invariant(d, symbols, sink, conds)) is not None]
    acceptances = [a for d in _of(module, ast.AcceptDecl)
                   if (a := acceptance(d, symbols, sink)) is not None]
    check_counts(sink, signers, scopes, feeds)
    check_signers(sink, signers)
    check_saturation(sink, breakers)
    check_holds(sink, breakers, powers)

    diags = tuple(sorted(sink.items, key=lambda d: (d.span.line, d.span.column)))
    if sink.has_errors or protocol is None:
        return AnalysisResult(None, diags)
    program = ir.Program(
        protocol=protocol, source_path=path,
        source_sha256=hashlib.sha256(source.encode("utf-8")).hexdigest(),
        signers=tuple(signers), agents=tuple(agents), roles=tuple(roles), scopes=tuple(scopes),
        assets=tuple(assets), vaults=tuple(vaults), feeds=tuple(feeds), params=tuple(params),
        metrics=tuple(metrics), scores=tuple(scores), breakers=tuple(breakers),
        powers=tuple(powers), invariants=tuple(invariants), span=module.span,
        acceptances=tuple(acceptances), reads=tuple(reads))
    return AnalysisResult(program, diags)


def _protocol(module: ast.Module, sink: Sink) -> str | None:
    protos = _of(module, ast.ProtocolDecl)
    if not module.decls or not isinstance(module.decls[0], ast.ProtocolDecl):
        span = module.decls[0].span if module.decls else ir.Span(
            file=module.span.file, line=1, column=1, end_line=1, end_column=2)
        sink.error(C.MISSING_PROTOCOL, "a rule file must start with `protocol NAME`",
                   span.model_copy(update={"end_line": span.line,
                                           "end_column": span.column + 1}),
                   help="add a first line like `protocol MyVenue`")
    for extra in protos[1:]:
        sink.error(C.DUPLICATE_PROTOCOL, "a rule file has exactly one `protocol` line",
                   extra.span, labels=[Label(span=protos[0].span, message="first here")])
    if not protos:
        return None
    return protos[0].name.text
