"""Text -> `ast.Module`: the Lark LALR parser and the tree-to-AST transformer.

Lark's exceptions never leave this module: `parse` turns them into `Diagnostic`s (codes
E01xx) with friendly terminal names (see `syntax_errors`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedInput, VisitError
from lark.tree import Meta

from interlock.dsl import ast
from interlock.dsl.keywords import install
from interlock.dsl.syntax_errors import convert_error
from interlock.ir import codes as C
from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Span


@dataclass(frozen=True)
class ParseResult:
    module: ast.Module | None  # None when there is a syntax error
    diagnostics: tuple[Diagnostic, ...]


@cache
def lark_parser() -> Lark:
    text = resources.files("interlock.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return install(Lark(text, parser="lalr", propagate_positions=True, maybe_placeholders=True))


MAX_NESTING = 100  # parentheses and brackets; far beyond any real rule, far below the stack


def parse(text: str, path: str) -> ParseResult:
    """Parse a whole rule file; on a syntax error return its diagnostic and no module."""
    deep = _too_deep_at(text, path)
    if deep is not None:
        return ParseResult(None, (deep,))
    try:
        tree = lark_parser().parse(text)
        decls = _ToAst(path).transform(tree)
    except UnexpectedInput as err:
        first = convert_error(err, text, path, lark_parser())
        return ParseResult(None, (first, *_later_errors(text, path, first.span.line)))
    except VisitError as err:
        if isinstance(err.orig_exc, RecursionError):
            return ParseResult(None, (too_deep(path),))
        raise err.orig_exc from err  # pragma: no cover - a transformer bug, re-raised unwrapped
    except RecursionError:
        return ParseResult(None, (too_deep(path),))
    comments = tuple(_comments(text, path))
    module = ast.Module(decls=tuple(decls), comments=comments, span=_file_span(text, path))
    return ParseResult(module, ())


_DECL_START = re.compile(
    r"(protocol|signer|agent|role|scope|asset|vault|feed|param|metric|score|breaker|allow|"
    r"invariant|accept|group|for|read)\b")


def _later_errors(text: str, path: str, after_line: int) -> list[Diagnostic]:
    """The first syntax error of each declaration that starts after the chunk holding line
    `after_line`, so one mistake does not hide the next (declarations start at column 1)."""
    lines = text.split("\n")
    starts = [n for n, line in enumerate(lines) if _DECL_START.match(line)]
    later = [n for n in starts if n + 1 > after_line]
    found: list[Diagnostic] = []
    for i, start in enumerate(later):
        end = later[i + 1] if i + 1 < len(later) else len(lines)
        chunk = "\n" * start + "\n".join(lines[start:end])
        try:
            lark_parser().parse(chunk)
        except UnexpectedInput as err:
            diag = convert_error(err, chunk, path, lark_parser())
            if diag.code != C.UNEXPECTED_EOF or end == len(lines):
                found.append(diag)
    return found


def _too_deep_at(text: str, path: str) -> Diagnostic | None:
    """The first bracket nested deeper than `MAX_NESTING`, checked before parsing so the
    answer does not depend on how much stack the process happens to have left."""
    depth = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        for m in _BRACKET.finditer(line):
            if m.group() in ("(", "["):
                depth += 1
                if depth > MAX_NESTING:
                    col = m.start() + 1
                    span = Span(file=path, line=lineno, column=col, end_line=lineno,
                                end_column=col + 1)
                    return too_deep(path).model_copy(update={"span": span})
            elif m.group() in (")", "]"):
                depth = max(0, depth - 1)
    return None


_BRACKET = re.compile(r'"[^"\n]*"|#[^\n]*|[()\[\]]')


def too_deep(path: str) -> Diagnostic:
    return Diagnostic(code=C.TOO_DEEP, severity="error",
                      message="expressions are nested too deeply to process",
                      span=Span(file=path, line=1, column=1, end_line=1, end_column=1),
                      help="use fewer levels of parentheses")


def _file_span(text: str, path: str) -> Span:
    lines = text.split("\n")
    return Span(file=path, line=1, column=1, end_line=len(lines), end_column=len(lines[-1]) + 1)


_COMMENT = re.compile(r'"[^"\n]*"|#[^\n]*')


def _comments(text: str, path: str) -> list[ast.Comment]:
    out = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        for m in _COMMENT.finditer(line):
            if m.group().startswith("#"):
                span = Span(file=path, line=lineno, column=m.start() + 1, end_line=lineno,
                            end_column=m.end() + 1)
                out.append(ast.Comment(text=m.group().rstrip(), span=span))
    return out


def _tok_span(tok: Token, path: str) -> Span:
    return Span(file=path, line=tok.line or 0, column=tok.column or 0,
                end_line=tok.end_line or 0, end_column=tok.end_column or 0)


@v_args(meta=True)
class _ToAst(Transformer[Token, Any]):
    """Builds `ast` nodes; every method gets Lark's `meta` for its span."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def _s(self, meta: Meta) -> Span:
        if meta.empty:
            return ast.NO_SPAN
        return Span(file=self.path, line=meta.line, column=meta.column,
                    end_line=meta.end_line, end_column=meta.end_column)

    # --- leaves ---------------------------------------------------------------------------------
    def start(self, meta: Meta, c: list[Any]) -> list[Any]:
        return c

    def name(self, meta: Meta, c: list[Token]) -> ast.Name:
        return ast.Name(text=str(c[0]), span=self._s(meta))

    def address(self, meta: Meta, c: list[Token]) -> ast.Address:
        return ast.Address(text=str(c[0]), span=self._s(meta))

    def duration(self, meta: Meta, c: list[Token]) -> ast.Duration:
        return ast.Duration(raw=str(c[0]), span=self._s(meta))

    def number(self, meta: Meta, c: list[Token]) -> ast.Number:
        return ast.Number(raw=str(c[0]), span=self._s(meta))

    def signed(self, meta: Meta, c: list[Token]) -> ast.Number:
        return ast.Number(raw="".join(str(t) for t in c), span=self._s(meta))

    def percent(self, meta: Meta, c: list[Token]) -> ast.Percent:
        return ast.Percent(raw=str(c[0]), span=self._s(meta))

    def _word(self, meta: Meta, c: list[Token]) -> str:
        return str(c[0])

    aggregate = safer_dir = coalition_unit = metric1 = metric2 = state_kw = value_flow = _word

    def power_kind(self, meta: Meta, c: list[Token]) -> ast.Name:
        return ast.Name(text=str(c[0]), span=self._s(meta))

    def name_list(self, meta: Meta, c: list[ast.Name]) -> tuple[ast.Name, ...]:
        return tuple(c)

    def _opt(self, meta: Meta, c: list[Any]) -> Any:
        return c[0] if c else None

    entity_opt = after_opt = accept_target = field_opt = cooldown_opt = block_from = open_opt = _opt
    unit_opt = priced_opt = _opt

    def assuming_opt(self, meta: Meta, c: list[Any]) -> tuple[ast.Name, ...]:
        return c[0] if c and c[0] is not None else ()

    except_opt = assuming_opt

    def except_kinds(self, meta: Meta, c: list[ast.Name]) -> tuple[ast.Name, ...]:
        return tuple(x for x in c if x is not None)

    def within_opt(self, meta: Meta, c: list[Any]) -> tuple[Any, ...] | None:
        """(low, high, low's unit, high's unit), or None when there is no `within`."""
        return (c[0], c[2], c[1], c[3]) if c and c[0] is not None else None

    def step_opt(self, meta: Meta, c: list[Any]) -> ast.SetStepAst | None:
        if not c or c[0] is None:
            return None
        amount, unit = c[0]
        return ast.SetStepAst(amount=amount, unit=unit, period=c[1], span=self._s(meta))

    def step_amount(self, meta: Meta, c: list[Any]) -> tuple[Any, ast.Name | None]:
        """(the percent or number, the unit written after a number)."""
        return (c[0], c[1] if len(c) > 1 else None)

    def per_sender(self, meta: Meta, c: list[Any]) -> bool:
        return not meta.empty

    # --- declarations ---------------------------------------------------------------------------
    def protocol_decl(self, meta: Meta, c: list[Any]) -> ast.ProtocolDecl:
        return ast.ProtocolDecl(name=c[0], span=self._s(meta))

    def signer_decl(self, meta: Meta, c: list[Any]) -> ast.SignerDecl:
        return ast.SignerDecl(name=c[0], address=c[1], entity=c[2], span=self._s(meta))

    def agent_decl(self, meta: Meta, c: list[Any]) -> ast.AgentDecl:
        return ast.AgentDecl(name=c[0], address=c[1], span=self._s(meta))

    def role_decl(self, meta: Meta, c: list[Any]) -> ast.RoleDecl:
        return ast.RoleDecl(name=c[0], expr=c[1], after=c[2], span=self._s(meta))

    def _option(self, meta: Meta, c: list[Any]) -> ast.Option:
        return ast.Option(key=str(c[0]), value=c[1], span=self._s(meta))

    scope_opt = feed_opt = power_opt = _option

    def scope_decl(self, meta: Meta, c: list[Any]) -> ast.ScopeDecl:
        return ast.ScopeDecl(name=c[0], options=tuple(c[1:]), span=self._s(meta))

    def asset_decl(self, meta: Meta, c: list[Any]) -> ast.AssetDecl:
        return ast.AssetDecl(name=c[0], address=c[1], decimals=c[2], priced_by=c[3],
                             span=self._s(meta))
    def vault_decl(self, meta: Meta, c: list[Any]) -> ast.VaultDecl:
        return ast.VaultDecl(name=c[0], address=c[1], holds=c[2], span=self._s(meta))

    def feed_decl(self, meta: Meta, c: list[Any]) -> ast.FeedDecl:
        return ast.FeedDecl(name=c[0], address=c[1], decimals=c[2], options=tuple(c[3:]),
                            span=self._s(meta))

    def param_decl(self, meta: Meta, c: list[Any]) -> ast.ParamDecl:
        return ast.ParamDecl(name=c[0], initial=c[1], unit=c[2], low=c[3], high=c[5],
                             bound_units=(c[4], c[6]), safer=c[7], span=self._s(meta))

    def group_decl(self, meta: Meta, c: list[Any]) -> ast.GroupDecl:
        return ast.GroupDecl(name=c[0], members=c[1], span=self._s(meta))

    def foreach_decl(self, meta: Meta, c: list[Any]) -> ast.ForEachDecl:
        return ast.ForEachDecl(var=c[0], items=c[1], body=tuple(c[2:]), span=self._s(meta))

    def event_param(self, meta: Meta, c: list[Token]) -> ast.EventParam:
        typ = str(c[0])
        rest = list(c[1:])
        if rest and rest[0].type == "ARRAY_SUFFIX":
            typ += str(rest.pop(0))
        indexed = bool(rest) and rest[0].type == "INDEXED"
        if indexed:
            rest.pop(0)
        name = str(rest[0]) if rest else None
        return ast.EventParam(type=typ, indexed=indexed, name=name, span=self._s(meta))

    def event(self, meta: Meta, c: list[Any]) -> ast.Event:
        params = tuple(p for p in c[1:] if p is not None)
        return ast.Event(name=str(c[0]), params=params, span=self._s(meta))

    def metric_decl(self, meta: Meta, c: list[Any]) -> ast.MetricDecl:
        return ast.MetricDecl(name=c[0], aggregate=c[1], event=c[2], field_name=c[3], at=c[4],
                              window=c[5], span=self._s(meta))

    def read_args(self, meta: Meta, c: list[Any]) -> tuple[ast.ReadArg, ...]:
        return tuple(x for x in c if x is not None)

    def read_decl(self, meta: Meta, c: list[Any]) -> ast.ReadDecl:
        sig = ast.Name(text=str(c[2])[1:-1], span=_tok_span(c[2], self.path))
        return ast.ReadDecl(name=c[0], target=c[1], signature=sig, args=c[3], unit=c[4],
                            span=self._s(meta))

    def tier(self, meta: Meta, c: list[Any]) -> ast.Tier:
        return ast.Tier(weight=c[0], cond=c[1], span=self._s(meta))

    def score_decl(self, meta: Meta, c: list[Any]) -> ast.ScoreDecl:
        return ast.ScoreDecl(name=c[0], tiers=tuple(c[1:]), span=self._s(meta))

    def breaker_decl(self, meta: Meta, c: list[Any]) -> ast.BreakerDecl:
        return ast.BreakerDecl(name=c[0], when=c[1], effects=tuple(c[2:-1]), cooldown=c[-1],
                               span=self._s(meta))

    def allow_decl(self, meta: Meta, c: list[Any]) -> ast.AllowDecl:
        return ast.AllowDecl(role=c[0], power=c[1], options=tuple(c[2:]), span=self._s(meta))

    def invariant_decl(self, meta: Meta, c: list[Any]) -> ast.InvariantDecl:
        return ast.InvariantDecl(name=c[0], prop=c[1], assuming=c[2], span=self._s(meta))

    def accept_decl(self, meta: Meta, c: list[Any]) -> ast.AcceptDecl:
        return ast.AcceptDecl(code=c[0], target=c[1], reason=str(c[2]), span=self._s(meta))

    # --- roles ----------------------------------------------------------------------------------
    def role_name(self, meta: Meta, c: list[Any]) -> ast.RoleName:
        return ast.RoleName(name=c[0], span=self._s(meta))

    def role_threshold(self, meta: Meta, c: list[Any]) -> ast.RoleThreshold:
        return ast.RoleThreshold(k=c[0], members=c[1], span=self._s(meta))

    def role_paren(self, meta: Meta, c: list[Any]) -> ast.RoleParen:
        return ast.RoleParen(item=c[0], span=self._s(meta))

    def role_any(self, meta: Meta, c: list[Any]) -> ast.RoleOp:
        return ast.RoleOp(op="or", left=c[0], right=c[1], span=self._s(meta))

    def role_all(self, meta: Meta, c: list[Any]) -> ast.RoleOp:
        return ast.RoleOp(op="and", left=c[0], right=c[1], span=self._s(meta))

    # --- targets, effects, powers ---------------------------------------------------------------
    def targets_star(self, meta: Meta, c: list[Any]) -> ast.Targets:
        return ast.Targets(star=True, names=c[1], span=self._s(meta))

    def targets_names(self, meta: Meta, c: list[Any]) -> ast.Targets:
        return ast.Targets(star=False, names=c[0], span=self._s(meta))

    def eff_pause(self, meta: Meta, c: list[Any]) -> ast.Effect:
        return ast.Effect(kind="pause", targets=c[0], duration=c[1], span=self._s(meta))

    def eff_suspend(self, meta: Meta, c: list[Any]) -> ast.Effect:
        return ast.Effect(kind="suspend", targets=c[0], duration=c[1], span=self._s(meta))

    def eff_set(self, meta: Meta, c: list[Any]) -> ast.Effect:
        return ast.Effect(kind="set", param=c[0], value=c[1], duration=c[2], span=self._s(meta))

    def eff_block(self, meta: Meta, c: list[Any]) -> ast.Effect:
        return ast.Effect(kind="block", scope=c[0], duration=c[1], span=self._s(meta))

    def eff_alert(self, meta: Meta, c: list[Any]) -> ast.Effect:
        return ast.Effect(kind="alert", text=str(c[0]), span=self._s(meta))

    def eff_hold(self, meta: Meta, c: list[Any]) -> ast.Effect:
        return ast.Effect(kind="hold", duration=c[1], span=self._s(meta))

    def _one(self, meta: Meta, name: ast.Name) -> ast.Targets:
        return ast.Targets(star=False, names=(name,), span=name.span)

    def pow_pause(self, meta: Meta, c: list[Any]) -> ast.PowerAst:
        return ast.PowerAst(kind="pause", targets=c[0], duration=c[1], span=self._s(meta))

    def pow_unpause(self, meta: Meta, c: list[Any]) -> ast.PowerAst:
        return ast.PowerAst(kind="unpause", targets=c[0], span=self._s(meta))

    def pow_suspend(self, meta: Meta, c: list[Any]) -> ast.PowerAst:
        return ast.PowerAst(kind="suspend", targets=c[0], duration=c[1], span=self._s(meta))

    def pow_resume(self, meta: Meta, c: list[Any]) -> ast.PowerAst:
        return ast.PowerAst(kind="resume", targets=c[0], span=self._s(meta))

    def pow_set(self, meta: Meta, c: list[Any]) -> ast.PowerAst:
        within = c[1]
        return ast.PowerAst(kind="set", targets=self._one(meta, c[0]),
                            within=within[:2] if within else None,
                            within_units=within[2:] if within else (None, None),
                            step=c[2], span=self._s(meta))

    def pow_extend(self, meta: Meta, c: list[Any]) -> ast.PowerAst:
        return ast.PowerAst(kind="extend", targets=c[0], duration=c[1], span=self._s(meta))

    def pow_cancel(self, meta: Meta, c: list[Any]) -> ast.PowerAst:
        return ast.PowerAst(kind="cancel", targets=self._one(meta, c[0]), span=self._s(meta))

    def pow_cancel_holds(self, meta: Meta, c: list[Any]) -> ast.PowerAst:
        return ast.PowerAst(kind="cancel_holds", targets=ast.Targets(star=False, names=(),
                                                                      span=self._s(meta)),
                            span=self._s(meta))

    def pow_unblock(self, meta: Meta, c: list[Any]) -> ast.PowerAst:
        return ast.PowerAst(kind="unblock", targets=c[0], span=self._s(meta))

    # --- properties -----------------------------------------------------------------------------
    def prop_no_signer(self, meta: Meta, c: list[Any]) -> ast.PropAst:
        return ast.PropAst(kind="no_signer", except_kinds=c[0], span=self._s(meta))

    def prop_no_entity(self, meta: Meta, c: list[Any]) -> ast.PropAst:
        return ast.PropAst(kind="no_entity", except_kinds=c[0], span=self._s(meta))

    def prop_min(self, meta: Meta, c: list[Any]) -> ast.PropAst:
        return ast.PropAst(kind="min", n=c[0], unit=c[1], except_kinds=c[2], span=self._s(meta))

    def prop_always(self, meta: Meta, c: list[Any]) -> ast.PropAst:
        return ast.PropAst(kind="always", cond=c[0], span=self._s(meta))

    def prop_paused(self, meta: Meta, c: list[Any]) -> ast.PropAst:
        return ast.PropAst(kind="paused", scope=c[0], limit=c[1], open_gap=c[2],
                           span=self._s(meta))

    def prop_blocked(self, meta: Meta, c: list[Any]) -> ast.PropAst:
        return ast.PropAst(kind="blocked", scope=c[0], limit=c[1], span=self._s(meta))

    def prop_never_locked(self, meta: Meta, c: list[Any]) -> ast.PropAst:
        return ast.PropAst(kind="never_locked", scope=c[0], span=self._s(meta))

    def prop_can_pause(self, meta: Meta, c: list[Any]) -> ast.PropAst:
        return ast.PropAst(kind="can_pause", role=c[0], scope=c[1], limit=c[2],
                           span=self._s(meta))

    # --- expressions ----------------------------------------------------------------------------
    def implies(self, meta: Meta, c: list[Any]) -> ast.BoolOp:
        return ast.BoolOp(op="->", left=c[0], right=c[1], span=self._s(meta))

    def or_(self, meta: Meta, c: list[Any]) -> ast.BoolOp:
        return ast.BoolOp(op="or", left=c[0], right=c[1], span=self._s(meta))

    def and_(self, meta: Meta, c: list[Any]) -> ast.BoolOp:
        return ast.BoolOp(op="and", left=c[0], right=c[1], span=self._s(meta))

    def not_(self, meta: Meta, c: list[Any]) -> ast.Not:
        return ast.Not(item=c[0], span=self._s(meta))

    def compare(self, meta: Meta, c: list[Any]) -> ast.Compare:
        return ast.Compare(op=str(c[1]), left=c[0], right=c[2], span=self._s(meta))

    def binary(self, meta: Meta, c: list[Any]) -> ast.Binary:
        return ast.Binary(op=str(c[1]), left=c[0], right=c[2], span=self._s(meta))

    def neg_expr(self, meta: Meta, c: list[Any]) -> ast.Neg:
        return ast.Neg(item=c[0], span=self._s(meta))

    def amount(self, meta: Meta, c: list[Any]) -> ast.AmountLit:
        return ast.AmountLit(number=c[0], unit=c[1], span=self._s(meta))

    def percent_of(self, meta: Meta, c: list[Any]) -> ast.PercentOf:
        return ast.PercentOf(percent=c[0], item=c[1], span=self._s(meta))

    def ref(self, meta: Meta, c: list[Any]) -> ast.Ref:
        return ast.Ref(name=c[0], span=self._s(meta))

    def call1(self, meta: Meta, c: list[Any]) -> ast.MetricCall:
        return ast.MetricCall(func=c[0], target=c[1], span=self._s(meta))

    def call2(self, meta: Meta, c: list[Any]) -> ast.MetricCall:
        return ast.MetricCall(func=c[0], target=c[1], window=c[2], span=self._s(meta))

    def call_calls(self, meta: Meta, c: list[Any]) -> ast.MetricCall:
        return ast.MetricCall(func="calls", target=c[0], window=c[1], per_sender=c[2],
                              span=self._s(meta))

    def value_call(self, meta: Meta, c: list[Any]) -> ast.ValueCall:
        return ast.ValueCall(func=str(c[0]), target=c[1], window=c[2] if len(c) > 2 else None,
                             span=self._s(meta))

    def value_target(self, meta: Meta, c: list[Any]) -> ast.Name | None:
        return c[0] if isinstance(c[0], ast.Name) else None

    def state_pred(self, meta: Meta, c: list[Any]) -> ast.StateCall:
        return ast.StateCall(pred=c[0], target=c[1], span=self._s(meta))

    def paren(self, meta: Meta, c: list[Any]) -> ast.Paren:
        return ast.Paren(item=c[0], span=self._s(meta))

    def num_lit(self, meta: Meta, c: list[Any]) -> ast.NumberLit:
        return ast.NumberLit(number=c[0], span=self._s(meta))

    def pct_lit(self, meta: Meta, c: list[Any]) -> ast.PercentLit:
        return ast.PercentLit(percent=c[0], span=self._s(meta))

    def dur_lit(self, meta: Meta, c: list[Any]) -> ast.DurationLit:
        return ast.DurationLit(duration=c[0], span=self._s(meta))
