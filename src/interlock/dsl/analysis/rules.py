"""Scores, breakers (with their effects) and powers -> IR."""

from __future__ import annotations

from interlock.dsl import ast
from interlock.dsl.analysis.common import Sink, Symbols, integer, seconds
from interlock.dsl.analysis.conditions import CondBuilder, Context, Usage
from interlock.dsl.analysis.decls import options
from interlock.dsl.analysis.params import Units, condition_unit
from interlock.dsl.analysis.steps import set_step
from interlock.ir import codes as C
from interlock.ir import nodes as ir
from interlock.ir.conditions import atoms as cond_atoms
from interlock.ir.diagnostics import Label

BREAKER = Context(where="breaker")
SCORE = Context(where="score", allow_scores=False)
POWER = Context(where="power", state_only=True)


class RuleBuilder:
    def __init__(self, symbols: Symbols, sink: Sink, conds: CondBuilder,
                 params: dict[str, ir.Param], roles: dict[str, ir.Role], units: Units) -> None:
        self.symbols = symbols
        self.sink = sink
        self.conds = conds
        self.params = params
        self.roles = roles
        self.units = units

    # --- targets --------------------------------------------------------------------------------
    def targets(self, t: ast.Targets, kind: str) -> tuple[str, ...] | None:
        listed: list[str] = []
        ok = True
        for name in t.names:
            if name.text in listed:
                self.sink.error(C.LISTED_TWICE, f"`{name.text}` is listed twice", name.span)
                ok = False
            elif self.symbols.resolve(name, (kind,)) is None:
                ok = False
            else:
                listed.append(name.text)
        if not ok:
            return None
        if not t.star:
            return tuple(listed)
        chosen = tuple(n for n in self.symbols.names_of((kind,)) if n not in listed)
        if not chosen:
            self.sink.error(C.EMPTY_TARGETS, f"`*` leaves no {kind}", t.span)
            return None
        return chosen

    # --- scores ---------------------------------------------------------------------------------
    def score(self, d: ast.ScoreDecl) -> ir.Score | None:
        tiers = []
        for tier in d.tiers:
            weight = integer(tier.weight, self.sink, "a score weight", lo=1)
            cond = self.conds.cond(tier.cond, SCORE, Usage())
            if weight is not None and cond is not None:
                tiers.append(ir.ScoreTier(weight=weight, when=cond, span=tier.span))
        if len(tiers) != len(d.tiers):
            return None
        return ir.Score(name=d.name.text, tiers=tuple(tiers), span=d.span)

    # --- breakers -------------------------------------------------------------------------------
    def breaker(self, d: ast.BreakerDecl, index: int,
                scores: dict[str, ir.Score]) -> ir.Breaker | None:
        use = Usage()
        when = self.conds.cond(d.when, BREAKER, use)
        per_sender = any(a.per_sender for a in use.atoms)
        effects = [self.effect(e, per_sender) for e in d.effects]
        cooldown = seconds(d.cooldown, self.sink, "a cooldown", positive=False) \
            if d.cooldown else None
        if when is None or any(e is None for e in effects):
            return None
        atoms = list(use.atoms)
        for atom in use.atoms:
            if atom.kind == "score" and atom.target in scores:
                atoms += [a for t in scores[atom.target].tiers for a in cond_atoms(t.when)]
        onchain = all(a.kind in ir.ONCHAIN_ATOMS for a in atoms if a.kind != "score")
        if not self._flow_rules(d, atoms, onchain, effects):
            return None
        return ir.Breaker(name=d.name.text, id=index, when=when,
                          effects=tuple(e for e in effects if e is not None),
                          cooldown=cooldown, onchain=onchain, span=d.span)

    def _flow_rules(self, d: ast.BreakerDecl, atoms: list[ir.Atom], onchain: bool,
                    effects: list[ir.Effect | None]) -> bool:
        """`flow(..)` only in rules the guard evaluates; `hold flow` only where it is read."""
        reads_flow = any(a.kind == "flow" for a in atoms)
        if reads_flow and not onchain:
            off = next(a.kind for a in atoms if a.kind not in ir.ONCHAIN_ATOMS
                       and a.kind != "score")
            self.sink.error(C.FLOW_OFFCHAIN, f"`{d.name.text}` reads `flow(..)` but also "
                            f"`{off}`, which only the monitor measures", d.when.span,
                            help="the guard decides flow rules on each report: use on-chain "
                                 "metrics only")
            return False
        hold = next((e for e in effects if isinstance(e, ir.HoldEffect)), None)
        if hold is not None and not reads_flow:
            self.sink.error(C.HOLD_WITHOUT_FLOW, "`hold flow` needs a condition that reads "
                            "`flow(..)`", hold.span,
                            help="otherwise the rule may fire with no flow to hold")
            return False
        return True

    def effect(self, e: ast.Effect, per_sender: bool) -> ir.Effect | None:
        dur = seconds(e.duration, self.sink, "an effect's duration", positive=True) \
            if e.duration else 0
        if e.kind in ("pause", "suspend"):
            assert e.targets is not None
            names = self.targets(e.targets, "scope" if e.kind == "pause" else "feed")
            if names is None:
                return None
            if e.kind == "pause":
                return ir.PauseEffect(scopes=names, duration=dur, span=e.span)
            return ir.SuspendEffect(feeds=names, duration=dur, span=e.span)
        if e.kind == "set":
            return self._set_effect(e, dur)
        if e.kind == "block":
            if not per_sender:
                self.sink.error(C.BLOCK_WITHOUT_PER_SENDER, "`block sender` needs a condition "
                                "that uses `calls(..., per sender)`", e.span,
                                help="otherwise there is no sender to block")
                return None
            if e.scope is not None and self.symbols.resolve(e.scope, ("scope",)) is None:
                return None
            return ir.BlockEffect(scope=e.scope.text if e.scope else None, duration=dur,
                                  span=e.span)
        if e.kind == "hold":
            return ir.HoldEffect(duration=dur, span=e.span)
        assert e.text is not None
        return ir.AlertEffect(text=e.text[1:-1], span=e.span)

    def _set_effect(self, e: ast.Effect, dur: int) -> ir.SetEffect | None:
        assert e.param is not None and e.value is not None
        sym = self.symbols.resolve(e.param, ("param",))
        lin = self.conds.linear(e.value, Context(where="value", state_only=True), Usage())
        if sym is None or lin is None or e.param.text not in self.params:
            return None
        p = self.params[e.param.text]
        unit = condition_unit(p, self.symbols)
        if not lin.is_const or lin.const.denominator != 1 or lin.unit not in ("bare", unit):
            self.sink.error(C.NOT_CONSTANT, "a `set` value must be a whole number"
                            + (f" or an amount of `{p.unit}`" if p.unit else ""), e.value.span)
            return None
        if p.unit is not None and lin.unit == "bare" and lin.const != 0:
            self.sink.error(C.NEEDS_UNIT, f"a value for `{p.name}` needs its unit", e.value.span,
                            help=f"write an amount, e.g. `{lin.const} {p.unit}`")
            return None
        value = int(lin.const)
        if not p.min <= value <= p.max:
            self.sink.error(C.SET_OUT_OF_RANGE, f"value {value} is outside `{p.name}`'s range "
                                                f"[{p.min}, {p.max}]", e.value.span)
            return None
        unsafe = value > p.initial if p.safer == "lower" else value < p.initial
        if unsafe:
            word = "raises" if p.safer == "lower" else "lowers"
            self.sink.error(C.UNSAFE_DIRECTION,
                            f"this {word} `{p.name}` from {p.initial} to {value}, but it is "
                            f"safer {p.safer}", e.value.span,
                            labels=[Label(span=p.span, message="declared here")],
                            help="automation may only move a param in its safer direction")
            return None
        return ir.SetEffect(param=p.name, value=value, duration=dur, span=e.span)

    # --- powers ---------------------------------------------------------------------------------
    def power(self, d: ast.AllowDecl, index: int) -> ir.Power | None:
        role_sym = self.symbols.resolve(d.role, ("role",))
        pw = d.power
        kind_of = {"pause": "scope", "unpause": "scope", "extend": "scope", "suspend": "feed",
                   "resume": "feed", "set": "param", "cancel": "role", "unblock": "scope",
                   "cancel_holds": "holds"}
        targets = ("holds",) if pw.kind == "cancel_holds" else \
            self.targets(pw.targets, kind_of[pw.kind])
        max_d = seconds(pw.duration, self.sink, "a power's duration", positive=True) \
            if pw.duration else None
        opts = options(d.options, self.sink)
        cooldown = None
        if "cooldown" in opts:
            assert isinstance(opts["cooldown"].value, ast.Duration)
            cooldown = seconds(opts["cooldown"].value, self.sink, "a cooldown", positive=False)
        when = None
        if "when" in opts:
            value = opts["when"].value
            assert not isinstance(value, ast.Duration | ast.Address | ast.Name)
            when = self.conds.cond(value, POWER, Usage())
            if when is None:
                return None
        within = self._within(pw, targets)
        step = self._step(pw, targets)
        if role_sym is None or targets is None or (pw.within and within is None) or \
                (pw.step and step is None):
            return None
        if pw.kind == "cancel" and self.roles.get(targets[0]) and \
                self.roles[targets[0]].delay == 0:
            self.sink.error(C.CANCEL_UNTIMELOCKED, f"role `{targets[0]}` has no `after` delay, "
                                                   "so it has nothing queued to cancel",
                            pw.targets.span)
            return None
        role = self.roles.get(d.role.text)
        return ir.Power(id=index, role=d.role.text, kind=pw.kind,
                        targets=targets, max_duration=max_d, within=within, cooldown=cooldown,
                        when=when, delay=role.delay if role else 0, step=step, span=d.span)

    def _within(self, pw: ast.PowerAst,
                targets: tuple[str, ...] | None) -> tuple[int, int] | None:
        if pw.kind != "set" or targets is None or targets[0] not in self.params:
            return None
        p = self.params[targets[0]]
        if pw.within is None:
            return None  # the param's declared range
        lo = self.units.value(pw.within[0], pw.within_units[0], p.unit, "a bound")
        hi = self.units.value(pw.within[1], pw.within_units[1], p.unit, "a bound")
        if lo is None or hi is None:
            return None
        lo2, hi2 = max(lo, p.min), min(hi, p.max)
        if lo > hi or lo2 > hi2:
            self.sink.error(C.BAD_WITHIN, f"`within [{lo}, {hi}]` leaves no value in "
                                          f"`{p.name}`'s range [{p.min}, {p.max}]",
                            pw.within[0].span)
            return None
        return (lo2, hi2)

    def _step(self, pw: ast.PowerAst, targets: tuple[str, ...] | None) -> ir.SetStep | None:
        if pw.step is None or targets is None or targets[0] not in self.params:
            return None
        return set_step(pw.step, self.params[targets[0]], self.units)


def check_holds(sink: Sink, breakers: list[ir.Breaker], powers: list[ir.Power]) -> None:
    """`cancel holds` needs a breaker that holds flows (else it could never do anything)."""
    if any(e.kind == "hold" for b in breakers for e in b.effects):
        return
    for w in powers:
        if w.kind == "cancel_holds":
            sink.error(C.NOTHING_HELD, "no breaker has a `hold flow` effect, so there are no "
                       "holds to cancel", w.span)
