"""The verifier on `flow(..)` and `hold flow` rules, with hand-worked verdicts (issue 15,
items 2 and 7; docs/semantics.md, "Held flows").

`data/violated/held_flows.guard`: `big` (hold and pause withdrawals 1h, no cooldown, no `max`)
lets an adversary keep withdrawals paused for ever: a lasso firing `big` at the end of each
pause, its `flow(USDC)` any value above 5% of the tvl. `capped` only holds, which writes no
modelled state, so deposits stay bounded by their `max 2h`. `allow clerk to cancel holds`
with `clerk = 1 of [sam]` is a unilateral power. The counterexamples replay on the guard in
tests/verifier/test_replay_on_chain.py (the file is in `data/violated/`).
"""

from __future__ import annotations

from pathlib import Path

from interlock.semantics import initial_state, run
from interlock.semantics.trace import Fire
from interlock.testing.deploy import check_text
from interlock.verifier.engine import verify
from interlock.verifier.symbolic import adversary_powers

FILE = Path(__file__).parent / "data" / "violated" / "held_flows.guard"
PROGRAM = check_text(FILE.read_text(), str(FILE))


def test_hand_worked_verdicts() -> None:
    results = {r.name: r for r in verify(PROGRAM, timeout_s=120)}
    assert {n: r.status for n, r in results.items()} == {
        "withdrawals_escape": "violated", "deposits_bounded": "proved",
        "no_single_key": "violated"}
    lasso = results["withdrawals_escape"].counterexample
    assert lasso is not None
    assert lasso.loop_start is not None
    loop = lasso.steps[lasso.loop_start:]
    # the hold breaker is what keeps the scope paused, each time with some adversarial flow
    assert any(isinstance(s, Fire) and s.breaker == "big" for s in loop), lasso.steps
    single = results["no_single_key"].counterexample
    assert single is not None
    assert [(e.actor, e.action) for e in single.timeline] == [("sam", "clerk: cancel holds")]


def test_the_hold_writes_nothing_and_the_flow_is_any_value() -> None:
    """`capped` fires with any flow above 1M USDC and changes nothing but its mark."""
    flow = {"atom": {"kind": "flow", "target": "USDC"}, "value": 2 * 10**12}
    st0 = initial_state(PROGRAM, t0=1_000)
    st1 = run(PROGRAM, st0, [Fire.model_validate({"breaker": "capped", "metrics": [flow]})])
    assert st1.paused_until == st0.paused_until and st1.fired_until["capped"] == 1_000
    assert all(w.kind != "cancel_holds" for w in adversary_powers(PROGRAM, ()))
