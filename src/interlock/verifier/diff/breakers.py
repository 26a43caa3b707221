"""Breakers before and after: when they fire, what they do, how often, and where they run.

For a breaker the guarantee is protection: the new breaker is weaker when it fires in fewer
states (Z3: some state fires the old condition and not the new one — fewer false positives,
but less protection), when an effect is shorter or gone, when its cooldown is longer, or when
it is no longer on-chain evaluable (only the agent can trip it). A breaker added
strengthens, one removed weakens. Each effect is compared per target: `pause S`,
`suspend F`, `set P` (its value on the param's safer side, and its duration), `block`,
`alert`, and `hold flow` (a longer hold is stronger; without one the flow is refused, which is
stronger than any hold).
"""

from __future__ import annotations

from collections.abc import Iterator

from interlock.ir import codes as C
from interlock.ir.conditions import score_refs
from interlock.ir.nodes import Breaker, Effect, Program
from interlock.verifier.describe import fmt_duration
from interlock.verifier.diff.conds import compare_conds, cond_text, evidence_of, verdict_of
from interlock.verifier.diff.model import (
    Aspect,
    Change,
    Verdict,
    by_size,
    change,
    duration,
    join,
    same,
    shown,
)
from interlock.verifier.diff.named import Presence, by_name
from interlock.verifier.diff.rename import meaning
from interlock.verifier.diff.sides import Side

EffectKey = tuple[str, str]


def _effects(breaker: Breaker) -> dict[EffectKey, Effect]:
    out: dict[EffectKey, Effect] = {}
    for e in breaker.effects:
        if e.kind == "pause":
            out.update({("pause", s): e for s in e.scopes})
        elif e.kind == "suspend":
            out.update({("suspend", f): e for f in e.feeds})
        elif e.kind == "set":
            out[("set", e.param)] = e
        elif e.kind == "block":
            out[("block", e.scope or "*")] = e
        elif e.kind == "hold":
            out[("hold", "flow")] = e
        else:  # alerts by position: a rewritten text is the same alert
            out[("alert", str(sum(k[0] == "alert" for k in out)))] = e
    return out


def _words(key: EffectKey, e: Effect) -> str:
    kind, target = key
    if e.kind == "set":
        return f"set {target} to {e.value} for {fmt_duration(e.duration)}"
    if e.kind == "alert":
        return f'alert "{e.text}"'
    if e.kind == "block":
        return f"block sender from {target} for {fmt_duration(e.duration)}"
    if e.kind == "hold":
        return f"hold flow for {fmt_duration(e.duration)}"
    return f"{kind} {target} for {fmt_duration(e.duration)}"


def _effect_verdict(program: Program, o: Effect, n: Effect) -> Verdict:
    if o.kind == "alert" or n.kind == "alert":
        return "neutral"
    longer = by_size(o.duration, n.duration, larger_is_weaker=False)
    if o.kind == "set" and n.kind == "set":
        lower_is_safer = program.param(n.param).safer == "lower"
        return join((longer, by_size(o.value, n.value, larger_is_weaker=lower_is_safer)))
    return longer


def _effect_aspects(program: Program, o: Breaker, n: Breaker) -> Iterator[Aspect]:
    before, after = _effects(o), _effects(n)
    for key in list(before) + [k for k in after if k not in before]:
        was, now = before.get(key), after.get(key)
        if was is not None and now is not None and meaning(was) == meaning(now):
            yield same("effect", _words(key, now))
            continue
        # without `hold flow` the flow the breaker fires on is refused, which protects more
        # than holding it: a hold added weakens, one removed strengthens
        absent = "refuse the flow" if key[0] == "hold" else "—"
        if now is None:
            verdict: Verdict = "strengthens" if key[0] == "hold" else "weakens"
        elif was is None:
            verdict = "weakens" if key[0] == "hold" else "strengthens"
        else:
            verdict = _effect_verdict(program, was, now)
        yield Aspect("effect", absent if was is None else _words(key, was),
                     absent if now is None else _words(key, now), verdict,
                     "what the breaker does when it fires", C.BREAKER_WEAKER_RESPONSE)


def _condition(old: Side, o: Breaker, new: Side, n: Breaker) -> Aspect:
    changed = sorted(name for name in score_refs(o.when) | score_refs(n.when)
                     if meaning([s for s in old.program.scores if s.name == name])
                     != meaning([s for s in new.program.scores if s.name == name]))
    same_text = meaning(o.when) == meaning(n.when)
    if same_text and not changed:
        return same("when", cond_text(new.source, n.when))
    # the same text over changed score tiers: say so, or before and after would read alike
    note = f" (score {', '.join(changed)} changed)" if same_text else ""
    imp = compare_conds(old.program, o.when, new.program, n.when)
    return Aspect("when", cond_text(old.source, o.when), cond_text(new.source, n.when) + note,
                  verdict_of(imp, more_is_weaker=False), evidence_of(imp, "fires"),
                  C.BREAKER_FEWER_STATES)


def _aspects(old: Side, o: Breaker, new: Side, n: Breaker) -> Iterator[Aspect]:
    yield _condition(old, o, new, n)
    yield from _effect_aspects(new.program, o, n)
    yield duration("cooldown", o.cooldown, n.cooldown, 0, True,
                   "how soon it can fire again after its effects end",
                   C.BREAKER_LONGER_COOLDOWN)
    if o.onchain != n.onchain:
        yield Aspect("on chain", _where(o), _where(n),
                     "weakens" if o.onchain else "strengthens",
                     "an on-chain breaker is checked by the guard itself on every flow",
                     C.BREAKER_WEAKER_RESPONSE)
    else:
        yield same("on chain", _where(n))


def _where(b: Breaker) -> str:
    return "on-chain evaluable" if b.onchain else "agent only"


BREAKERS = Presence("strengthens", "a new automated response", "weakens",
                    "its protection is gone", C.BREAKER_REMOVED)


def compare_breakers(old: Side, new: Side, every: bool = False) -> list[Change]:
    """Breakers removed, added, or changed in condition, effects, cooldown or placement."""
    out, pairs = by_name("breaker", old.program.breakers, new.program.breakers, BREAKERS)
    for o, n in pairs:
        out += [change("breaker", n.name, f"breaker {n.name}", a, n.span)
                for a in shown(_aspects(old, o, new, n), every)]
    return out
