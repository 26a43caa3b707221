"""Whether a concrete state breaks a temporal property, judged here from SPEC §5's wording,
independently of the checker's own replay (`verifier.replay`): the soundness tests and the
audit adversary hold the checker to it."""

from __future__ import annotations

from typing import Any

from interlock.ir.nodes import AlwaysProp, PausedAtMostProp, Program
from interlock.semantics import eval_cond
from interlock.semantics.state import State


def breaks(p: Program, prop: Any, st: State, bound: int | None = None) -> bool:
    """Whether `st` breaks `prop` (for `never locked forever`: a pause longer than `bound`)."""
    if isinstance(prop, AlwaysProp):
        return not eval_cond(p, prop.pred, st, {})
    s = prop.scope
    limit = prop.limit if isinstance(prop, PausedAtMostProp) else bound
    assert limit is not None
    pu, ps, pe = st.paused_until[s], st.paused_since[s], st.prev_end[s]
    if pu != 0 and pu - ps > limit:
        return True
    gap = prop.open_gap if isinstance(prop, PausedAtMostProp) else None
    return gap is not None and pe != 0 and ps - pe < gap
