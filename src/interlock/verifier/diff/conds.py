"""Two conditions compared by Z3 implication, with a witness state for each direction.

Both conditions are encoded by the verifier's `CondEncoder` (one per program, so a score
expands to the tiers its own file gives it) over shared variables: every metric is a free
integer (never negative, as in `condsmt`, unless one file makes it a signed custom sum),
a param's effective value lies in the hull of its declared ranges in the two files, and
`paused(S)` / `suspended(F)` are free booleans. So "old implies new" means: in every state
and for all metric values, whenever the old condition holds the new one does.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from interlock.ir.conditions import subconditions
from interlock.ir.metric_arith import WAD, metric_nonnegative
from interlock.ir.nodes import Atom, Cond, Program, Span
from interlock.verifier.condsmt import CondEncoder
from interlock.verifier.describe import fmt_duration
from interlock.verifier.diff.model import Verdict

TIMEOUT_MS = 5_000
UNDECIDED = "not decided within 5s"


class PairEncoder(CondEncoder):
    """Encodes one program's conditions over the variables of `other` (the other file)."""

    def __init__(self, program: Program, other: PairEncoder | None = None) -> None:
        super().__init__(program)
        self.programs: tuple[Program, ...] = (program,)
        if other is not None:
            self.metrics, self.preds, self.domain = other.metrics, other.preds, other.domain
            self.programs = (other.program, program)

    def _metric(self, atom: Atom) -> z3.ArithRef:
        if atom not in self.metrics:
            var = z3.Int(f"m{len(self.metrics)}_{atom.kind}_{atom.target}")
            self.metrics[atom] = var
            if atom.kind == "param":
                ranges = [(p.min, p.max) for q in self.programs for p in q.params
                          if p.name == atom.target]
                lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
                self.domain.append(z3.And(var >= lo, var <= hi))
            elif all(metric_nonnegative(q, atom) for q in self.programs):
                self.domain.append(var >= 0)
        return self.metrics[atom]

    def consistency(self) -> list[z3.BoolRef]:
        """None: the two programs may price different assets, so a `*` means two sums."""
        return []

    def pred(self, pred: str, target: str) -> z3.BoolRef:
        key = (pred, target)
        if key not in self.preds:
            self.preds[key] = z3.Bool(f"{pred}_{target}")
        return self.preds[key]


@dataclass(frozen=True)
class Implication:
    """`only_old`: a state where the old condition holds and the new one does not (None: old
    implies new); `only_new` the other way round. `UNDECIDED` when Z3 gave no answer."""

    only_old: str | None
    only_new: str | None


def verdict_of(imp: Implication, *, more_is_weaker: bool) -> Verdict:
    """`more_is_weaker`: holding in more states weakens (a power's `when`), or strengthens (a
    breaker's `when`: it fires more)."""
    if imp.only_new and imp.only_old:
        return "incomparable"
    if not (imp.only_new or imp.only_old):
        return "neutral"
    return "weakens" if bool(imp.only_new) == more_is_weaker else "strengthens"


def evidence_of(imp: Implication, verb: str) -> str:
    """Both witness states: `fires now and not before when ...; fired before ...`."""
    parts = []
    if imp.only_new:
        parts.append(f"{verb} now and not before when {imp.only_new}")
    if imp.only_old:
        parts.append(f"{verb} before and not now when {imp.only_old}")
    return "; ".join(parts) or "the two conditions hold in the same states"


def compare_conds(old: Program, old_cond: Cond | None, new: Program,
                  new_cond: Cond | None) -> Implication:
    """Both implications between two conditions (None: no condition, always true)."""
    old_enc = PairEncoder(old)
    new_enc = PairEncoder(new, old_enc)
    a = old_enc.cond(old_cond) if old_cond is not None else z3.BoolVal(True)
    b = new_enc.cond(new_cond) if new_cond is not None else z3.BoolVal(True)
    programs = (new, old)
    return Implication(_witness(new_enc, z3.And(a, z3.Not(b)), programs),
                       _witness(new_enc, z3.And(b, z3.Not(a)), programs))


def _witness(enc: PairEncoder, formula: z3.BoolRef,
             programs: tuple[Program, ...]) -> str | None:
    solver = z3.Solver()
    solver.set("timeout", TIMEOUT_MS)
    solver.add(formula, *enc.domain)
    answer = solver.check()
    if answer == z3.unsat:
        return None
    if answer != z3.sat:
        return UNDECIDED
    model = solver.model()
    facts = [f"{atom_label(a)} = {fmt_value(programs, a, model.eval(v, True).as_long())}"
             for a, v in enc.metrics.items()]
    facts += [f"{p}({t}) = {'true' if z3.is_true(model.eval(v, True)) else 'false'}"
              for (p, t), v in enc.preds.items() if not z3.is_false(v)]
    return ", ".join(facts) or "in every state"


def atom_label(atom: Atom) -> str:
    """An atom as the rule file writes it: `outflow(USDC, 1h)`, `max_leverage`."""
    if atom.kind in ("score", "param", "metric", "read"):
        return atom.target
    args = [atom.target]
    if atom.window is not None:
        args.append(fmt_duration(atom.window))
    if atom.per_sender:
        args.append("per sender")
    return f"{atom.kind}({', '.join(args)})"


def fmt_value(programs: tuple[Program, ...], atom: Atom, value: int) -> str:
    """A metric value in the rule file's units: `1000.5 USDC`, `3.1%`, `6h`."""
    if atom.kind == "read":  # valued in its unit, if it has one
        unit = next((r.unit for p in programs for r in p.reads if r.name == atom.target), None)
        kind = "tvl" if any(a.name == unit for p in programs for a in p.assets) else "price"
        return str(value) if unit is None else fmt_value(
            programs, Atom(kind=kind, target=unit), value)
    if atom.kind in ("outflow", "inflow", "tvl"):
        asset = next(a for p in programs for a in p.assets if a.name == atom.target)
        return f"{_decimal(value, asset.decimals)} {atom.target}"
    if atom.kind == "price":
        feed = next(f for p in programs for f in p.feeds if f.name == atom.target)
        return _decimal(value, feed.decimals)
    if atom.kind in ("deviation", "change"):
        return _decimal(value * 100, len(str(WAD)) - 1) + "%"
    if atom.kind == "staleness":
        return fmt_duration(value)
    return str(value)


def _decimal(value: int, decimals: int) -> str:
    whole, frac = divmod(abs(value), 10**decimals)
    digits = str(frac).rjust(decimals, "0").rstrip("0")
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def _leaf_spans(cond: Cond) -> list[Span]:
    return [c.span for c in subconditions(cond) if c.kind in ("compare", "state")]


def cond_text(source: str, cond: Cond | None) -> str:
    """A condition as written in `source` (whitespace normalised); `true` for no condition."""
    if cond is None:
        return "true"
    spans = _leaf_spans(cond)
    lines = source.splitlines()
    if not spans or not lines:
        return "true" if cond.kind != "bool" or cond.value else "false"
    first = min(spans, key=lambda s: (s.line, s.column))
    last = max(spans, key=lambda s: (s.end_line, s.end_column))
    head = lines[first.line - 1]
    start = first.column - 1
    when = head.rfind("when ", 0, start)  # keep a leading `not` or `(`
    start = when + len("when ") if when >= 0 else start
    chunk = lines[first.line - 1:last.end_line]
    chunk[-1] = chunk[-1][: last.end_column - 1]
    chunk[0] = chunk[0][start:]
    text = " ".join(" ".join(chunk).split())
    return text + ")" * (text.count("(") - text.count(")"))
