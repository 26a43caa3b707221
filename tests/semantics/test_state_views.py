"""Every view of the state of SPEC §4 is derived from `semantics.State` or covers all of it.

`State` declares the variables once; the symbolic state vector (`verifier.symbolic.Model`), the
monitor's mirror of the guard (`runtime.mirror`) and the test drivers' `GuardView`
(`testing.chain_driver`) must each account for every one of them.
"""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "verifier"))

from ir_builders import DEV, OUTFLOW, TVL, H
from test_semantics import venue

from interlock.runtime import mirror
from interlock.semantics import initial_state, run
from interlock.semantics.state import MAPS, State, draft
from interlock.semantics.trace import Advance, Fire, MetricValue
from interlock.testing import chain_driver
from interlock.verifier.symbolic import Model, Slice

T0 = 1_000_000
RUN = [
    Fire(breaker="drain", metrics=(MetricValue(atom=OUTFLOW, value=11),)),
    Advance(seconds=H),
    Fire(breaker="oracle", metrics=(MetricValue(atom=DEV, value=4),)),
    Fire(breaker="tight", metrics=(MetricValue(atom=TVL, value=0),)),
    Advance(seconds=H),
]


def _names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}


def test_maps_are_every_state_variable_but_the_clock() -> None:
    assert set(MAPS) == _names(State) - {"now", "t0"}
    assert set(vars(initial_state(venue(), T0))) == _names(State)


def test_draft_copies_every_map() -> None:
    st = initial_state(venue(), T0)
    d = draft(st)
    assert d == st and all(getattr(d, m) is not getattr(st, m) for m in MAPS)


def test_symbolic_vector_keeps_every_variable_a_rule_writes() -> None:
    p = venue()
    everything = Slice(scopes={s.name for s in p.scopes}, feeds={f.name for f in p.feeds},
                       params={x.name for x in p.params},
                       history={s.name for s in p.scopes})
    model = Model.build(p, everything, assuming=())  # every power is the adversary's
    vector = {name for name, _ in model.keys()}  # noqa: SIM118 (a method, not a dict)
    # `blocked_until` is written only for a sender, and no symbolic step has one
    assert vector == _names(State) - {"blocked_until"}
    st = model.state([0] * len(model.keys()))
    assert set(vars(st)) == _names(State)
    assert model.initial(T0) == _restricted(initial_state(p, T0), model)


def _restricted(st: State, model: Model) -> State:
    keys = model.keys()
    return model.state([getattr(st, n) if k is None else getattr(st, n)[k] for n, k in keys])


def test_the_mirror_accounts_for_every_variable() -> None:
    parts = [set(mirror.SHOWN_BY), set(mirror.DERIVED), set(mirror.NOT_MIRRORED)]
    assert set.union(*parts) == set(MAPS)
    assert sum(map(len, parts)) == len(MAPS)
    tables = _names(mirror.GuardView) - {"block", "timestamp"}
    assert tables == set(mirror.SHOWN_BY.values()) | {"param_value"}
    assert _names(chain_driver.GuardView) == tables | {"blocked_until"}


def test_state_to_guard_views_and_back() -> None:
    p = venue()
    st = run(p, initial_state(p, T0), RUN)
    assert any(st.override_until.values()) and any(st.paused_until.values())
    shown = chain_driver.view_of_state(p, st)
    tables = {k: v for k, v in vars(shown).items() if k != "blocked_until"}
    view = mirror.GuardView(block=1, timestamp=st.now, **tables)
    back = mirror.to_state(p, view)
    for var in [*mirror.SHOWN_BY, *mirror.DERIVED]:
        assert getattr(back, var) == getattr(st, var), var
    assert mirror.param_mismatches(p, view, back) == []
