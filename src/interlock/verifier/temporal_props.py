"""What each temporal property forbids, as a "bad state" predicate over `Ops`.

The same predicate is the query of the proofs (symbolic) and the check of a replayed
counterexample (concrete):

- `always PRED`: a reachable state where PRED is false;
- `S paused at most D`: a reachable state whose current or last continuous pause of S lasts
  `paused_until - paused_since > D` (time may pass up to `paused_until`, and only adversaries'
  `unpause` could shorten it);
- `... then open G`: a reachable state whose current pause of S started less than G after the
  previous one ended (`paused_since - prev_end < G`, with the history variable `prev_end`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from interlock.ir.nodes import AlwaysProp, PausedAtMostProp, Program
from interlock.semantics.cond import cond_g
from interlock.semantics.ops import BoolVal, Ops
from interlock.semantics.state import State
from interlock.verifier.symbolic import Slice, cond_reads


def _no_metric(atom: object) -> Any:
    raise ValueError("an `always` predicate may use state predicates and params only")


def seed_always(program: Program, prop: AlwaysProp) -> Slice:
    sl = Slice()
    cond_reads(program, prop.pred, sl)
    return sl


def seed_paused(prop: PausedAtMostProp) -> Slice:
    sl = Slice(scopes={prop.scope})
    if prop.open_gap is not None:
        sl.history.add(prop.scope)
    return sl


def bad_always(o: Ops, program: Program, prop: AlwaysProp) -> Callable[[State], BoolVal]:
    return lambda st: o.not_(cond_g(o, program, prop.pred, st, _no_metric))


def bad_paused(o: Ops, scope: str, limit: int, open_gap: int | None) -> Callable[[State], BoolVal]:
    def bad(st: State) -> BoolVal:
        pu, ps = st.paused_until[scope], st.paused_since[scope]
        too_long = o.and_(o.not_(pu == 0), pu - ps > limit)
        if open_gap is None:
            return too_long
        pe = st.prev_end[scope]
        reopened = o.and_(o.not_(pe == 0), ps - pe < open_gap)
        return o.or_(too_long, reopened)

    return bad
