"""Unbounded safety proofs with Z3's CHC engine (Spacer).

The reachable states are the least relation `Inv` with `Inv(init)` and `Inv(x) ∧ guard(x, in)
→ Inv(next(x, in))` for every action; the property holds for executions of any length iff
`Inv(x) ∧ bad(x)` is unsatisfiable. Spacer answers with an inductive invariant (`unsat`), a
derivation of a bad state (`sat`), or gives up (`unknown`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import z3

from interlock.semantics.state import State
from interlock.verifier.budget import Clock
from interlock.verifier.describe import fmt_duration
from interlock.verifier.symbolic import Model, var_name
from interlock.verifier.z3ops import to_z3_bool

BadFn = Callable[[State], Any]


@dataclass(frozen=True)
class ChcResult:
    status: Literal["safe", "unsafe", "unknown"]
    invariant: str | None = None
    reason: str | None = None
    trace: tuple[int, ...] | None = None  # unsafe: indices into `model.actions`, from init


@dataclass(frozen=True)
class _Encoding:
    """The relation, its variables and rules: built once per model, reused by every query."""

    inv: Any
    x: State
    rules: list[tuple[Any, str | None]]  # closed Horn clause (ForAll vars. body -> head), name


def _encoding(model: Model) -> _Encoding:
    cached = model.cache.get("chc")
    if isinstance(cached, _Encoding):
        return cached
    keys = model.keys()
    inv = z3.Function("Inv", *([z3.IntSort()] * len(keys)), z3.BoolSort())
    x = model.fresh_state("x")
    xs = model.vector(x)
    t0 = z3.Int("t0@init")
    rules: list[tuple[Any, str | None]] = [
        (z3.ForAll([t0], z3.Implies(t0 > 0, inv(*model.vector(model.initial(t0))))), None)
    ]
    for i, action in enumerate(model.actions):
        ap = model.apply(action, x, f"a{i}")
        inputs = [v for v in ap.inputs.values() if z3.is_const(v)]
        body = z3.And(inv(*xs), *(to_z3_bool(g) for _, g in ap.guards), *ap.domain)
        clause = z3.ForAll([*xs, *inputs], z3.Implies(body, inv(*model.vector(ap.next))))
        rules.append((clause, f"a{i}"))
    enc = _Encoding(inv, x, rules)
    model.cache["chc"] = enc
    return enc


def chc_check(model: Model, bad: BadFn, clock: Clock, seconds: float) -> ChcResult:
    """Is a state satisfying `bad` reachable in `model`? (`seconds` nominal seconds of Spacer)"""
    enc = _encoding(model)
    fp = z3.Fixedpoint()
    fp.set(engine="spacer")
    clock.arm(fp, seconds)
    inv = enc.inv
    err = z3.Function("Err", z3.BoolSort())
    fp.register_relation(inv)
    fp.register_relation(err)
    for clause, name in enc.rules:  # closed clauses: no declared variables to abstract
        fp.add_rule(clause, name=name)
    xs = model.vector(enc.x)
    fp.add_rule(z3.ForAll(xs, z3.Implies(z3.And(inv(*xs), to_z3_bool(bad(enc.x))), err())))
    keys = model.keys()
    try:
        answer = fp.query(err())
    except z3.Z3Exception as exc:  # the budget or the deadline ran out
        text = exc.value.decode() if isinstance(exc.value, bytes) else str(exc.value)
        clock.gave_up(text)
        why = "solver budget exhausted" if "resource" in text else f"spacer failed: {text}"
        return ChcResult("unknown", reason=f"spacer: {why}{_saved(fp, err)}")
    if answer == z3.unsat:
        cover = fp.get_cover_delta(-1, inv)
        names = [z3.Int(var_name(n, k)) for n, k in keys]
        text = render(z3.substitute_vars(cover, *names))
        return ChcResult("safe", invariant=text)
    if answer == z3.sat:
        return ChcResult("unsafe", trace=_trace(fp))
    why = fp.reason_unknown() or "solver budget exhausted"
    clock.gave_up(why)
    return ChcResult("unknown", reason=f"spacer: {why}{_saved(fp, err)}")


def _saved(fp: z3.Fixedpoint, err: Any) -> str:
    """Save the CHC query of an `unknown` for reproduction (`z3 file.smt2`); where, in words.

    The directory is `$INTERLOCK_QUERY_DIR`, else `interlock-queries` in the temp directory.
    """
    try:
        text = f"{fp.sexpr()}\n(query {err.name()})\n"
        folder = Path(os.environ.get("INTERLOCK_QUERY_DIR") or tempfile.gettempdir())
        folder = folder / "interlock-queries" if "INTERLOCK_QUERY_DIR" not in os.environ else folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.smt2"
        path.write_text(text)
    except (OSError, z3.Z3Exception):
        return ""
    return f" (query saved to {path})"


def _trace(fp: z3.Fixedpoint) -> tuple[int, ...] | None:
    """The actions of Spacer's derivation of the bad state, from the initial state."""
    try:
        names = [str(n) for n in fp.get_rule_names_along_trace()]
    except z3.Z3Exception:  # pragma: no cover - not offered by this z3 build
        return None
    steps = [int(n[1:]) for n in reversed(names) if n.startswith("a") and n[1:].isdigit()]
    return tuple(steps)


_OPS = {
    z3.Z3_OP_LE: "<=",
    z3.Z3_OP_GE: ">=",
    z3.Z3_OP_LT: "<",
    z3.Z3_OP_GT: ">",
    z3.Z3_OP_EQ: "==",
}


def render(e: Any) -> str:
    """A Z3 formula in the language's infix notation (`and`, `or`, `not`, `->`)."""
    if z3.is_true(e):
        return "true"
    if z3.is_false(e):
        return "false"
    if z3.is_and(e):
        return " and ".join(_paren(c) for c in e.children())
    if z3.is_or(e):
        return " or ".join(_paren(c) for c in e.children())
    if z3.is_not(e):
        return _negate(e.arg(0))
    if z3.is_implies(e):
        return f"{_paren(e.arg(0))} -> {_paren(e.arg(1))}"
    if z3.is_app(e) and e.decl().kind() in _OPS:
        return _cmp(e.arg(0), _OPS[e.decl().kind()], e.arg(1))
    return _arith(e)


def _negate(e: Any) -> str:
    flip = {z3.Z3_OP_LE: ">", z3.Z3_OP_GE: "<", z3.Z3_OP_LT: ">=", z3.Z3_OP_GT: "<="}
    if z3.is_app(e) and e.decl().kind() in flip:
        return _cmp(e.arg(0), flip[e.decl().kind()], e.arg(1))
    if z3.is_app(e) and e.decl().kind() == z3.Z3_OP_EQ:
        return _cmp(e.arg(0), "!=", e.arg(1))
    return f"not {_paren(e)}"


def _cmp(lhs: Any, op: str, rhs: Any) -> str:
    """`lhs op rhs` with integer strictness folded (`x < 259201` is `x <= 259200`) and the
    constant shown as a duration when only timestamps are compared (`<= 72h`)."""
    if not z3.is_int_value(rhs):
        return f"{_arith(lhs)} {op} {_arith(rhs)}"
    c = rhs.as_long()
    if op == "<":
        op, c = "<=", c - 1
    elif op == ">":
        op, c = ">=", c + 1
    names = {str(v) for v in _consts(lhs)}
    timely = names and not any(n.startswith("base[") for n in names)
    shown = str(c)
    if timely and abs(c) >= 60:
        shown = fmt_duration(c)
    return f"{_arith(lhs)} {op} {shown}"


def _consts(e: Any) -> list[Any]:
    if z3.is_const(e) and not z3.is_int_value(e):
        return [e]
    return [c for child in e.children() for c in _consts(child)]


def _paren(e: Any) -> str:
    s = render(e)
    return f"({s})" if (z3.is_and(e) or z3.is_or(e) or z3.is_implies(e)) else s


def _arith(e: Any) -> str:
    if z3.is_int_value(e):
        return str(e.as_long())
    if z3.is_add(e):
        out = _arith(e.arg(0))
        for c in e.children()[1:]:
            s = _arith(c)
            out += f" - {s[1:]}" if s.startswith("-") else f" + {s}"
        return out
    if z3.is_mul(e) and e.num_args() == 2 and z3.is_int_value(e.arg(0)):
        k = e.arg(0).as_long()
        if k == -1:
            return f"-{_arith(e.arg(1))}"
        return f"{k}*{_arith(e.arg(1))}"
    if z3.is_app(e) and e.num_args() == 0:
        return str(e)
    if z3.is_app(e) and e.decl().kind() == z3.Z3_OP_ITE:
        return f"(if {render(e.arg(0))} then {_arith(e.arg(1))} else {_arith(e.arg(2))})"
    return str(e)
