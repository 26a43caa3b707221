"""Audit: the agent's `trip` ignores the state part of an off-chain rule's condition.

SPEC §4: a breaker fires when its cooldown allows it and its condition holds for *some*
values of the metrics — "so a proof also covers a compromised agent key". That is only true
if the guard refuses a trip whose condition cannot hold in the current state whatever the
metrics are. The rules below mix an off-chain metric (`change`) with a state predicate
(`paused(w)`) and with a param (`lev < 20`, never true: nothing lowers `lev`). Neither rule
can ever fire by docs/semantics.md, so the verifier proves `always (not paused(w))`. On
chain, the agent's `trip(ruleId)` checks only that the rule is off-chain and out of
cooldown (`core_external.sol.j2`), so a compromised (or buggy) agent pauses `w` at once.
"""

from __future__ import annotations

import pytest

from interlock.runtime.anvil import Anvil
from interlock.semantics import StepRefused, initial_state, step
from interlock.semantics.trace import Fire, MetricValue
from interlock.testing.chain import TestChain
from interlock.testing.deploy import deploy_rules
from interlock.verifier.engine import check_property

RULES = """protocol AgentTrip
signer s1 0x00000000000000000000000000000000000000a1
agent  watcher 0x00000000000000000000000000000000000000b1
scope w
feed F 0x00000000000000000000000000000000000000c3 decimals 8
param lev = 20 in [2, 50] safer lower
breaker b {
  when change(F, 1h) > 8% and paused(w)
  then pause w for 1h
}
breaker c {
  when change(F, 1h) > 8% and lev < 20
  then pause w for 2h
}
invariant never_paused: always (not paused(w))
"""


@pytest.mark.evm
@pytest.mark.anvil
def test_agent_cannot_break_a_proved_property() -> None:
    with Anvil(timestamp=1_900_000_000) as node:
        chain = TestChain(node)
        d = deploy_rules(chain, RULES, "agent_trip.guard")
        p = d.program
        result = check_property(p, p.invariants[0], 20.0)
        agent = next(iter(d.harness.agents.values()))
        snapshot = chain.snapshot()
        broken = []
        for rule in ("b", "c"):
            # the semantics refuses the firing whatever the agent claims `change` is
            cond = p.breaker(rule).when
            change = next(t.atom for t in cond.items[0].terms)  # type: ignore[union-attr]
            with pytest.raises(StepRefused):
                step(p, initial_state(p, 1_900_000_000), Fire(
                    breaker=rule, metrics=(MetricValue(atom=change, value=10**18),)))
            chain.revert(snapshot)
            snapshot = chain.snapshot()
            chain.call_fn(d.guard.functions.trip(p.breaker(rule).id), agent)
            if not d.guard.functions.isActive(0).call():
                broken.append(rule)
        assert not (result.status == "proved" and broken), (
            f"verifier: {result.status}; the agent's trip of {broken} paused w")
