"""Differential tests of value metrics: random step sequences with priced flows on the reference
semantics and the deployed guard (Anvil), as in test_differential.py (`compare_runs`: both
accept or both refuse every step, and the whole observable state agrees after each).

A `Fire` of a value breaker is realized on chain by priced flows and balances
(`metrics_chain._set_value`: the first priced asset's flow or balance raised until the value
is reached, feeds given a quiet price first); the realized flows also count in every other
value window, and a report can fire other breakers by itself (the driver's implicit firings,
measured with the same `ir.notional` arithmetic). `cheap_eth` moves the ETH price, which
re-values the WETH windows; failed reads break every pricing feed a rule reads; the guardian
suspends and resumes ETH_USD, which stops every rule that values WETH."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.ir.metric_arith import SATURATION
from interlock.ir.nodes import Atom, Program
from interlock.runtime.anvil import Anvil
from interlock.semantics.trace import Advance, Fire, MetricValue, Step, UsePower
from interlock.testing.deploy import check_text
from tests.compiler.test_differential import Env, compare_runs, deployed_env

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = Path(__file__).parent / "data" / "differential_notional.guard"
PROGRAM: Program = check_text(RULES.read_text(), str(RULES))
USD = 10**18
H = 3600


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    with Anvil(timestamp=1_900_000_000) as node:
        yield deployed_env(node, RULES)


def _atom(kind: str, target: str, window: int | None = None) -> Atom:
    return Atom(kind=kind, target=target, window=window)  # type: ignore[arg-type]


def _fire(breaker: str, *pairs: tuple[Atom, int]) -> Fire:
    return Fire(breaker=breaker, metrics=tuple(MetricValue(atom=a, value=v) for a, v in pairs))


STAR = _atom("value_outflow", "*", H)
WETH_OUT = _atom("value_outflow", "WETH", H)
WBTC_TVL, INFLOW = _atom("value_tvl", "WBTC"), _atom("value_inflow", "*", H)
ETH = _atom("price", "ETH_USD")


def fires() -> st.SearchStrategy[Step]:
    return st.one_of(
        st.sampled_from([0, 10**6 * USD, 10**6 * USD + 1, 2 * 10**6 * USD, SATURATION]).map(
            lambda v: _fire("notional", (STAR, v))),
        st.sampled_from([399_999 * USD, 400_000 * USD, 10**6 * USD]).map(
            lambda v: _fire("weth_big", (WETH_OUT, v))),
        st.tuples(st.sampled_from([0, 50 * USD, 10**4 * USD]),
                  st.sampled_from([0, 1, 10**20])).map(
            lambda vs: _fire("thin", (WBTC_TVL, vs[0]), (INFLOW, vs[1]))),
        st.sampled_from([500 * 10**8, 999_99999999, 1_500 * 10**8, 3_000 * 10**8]).map(
            lambda p: _fire("cheap_eth", (ETH, p))),
        st.sampled_from(["notional", "weth_big", "thin"]).map(
            lambda b: Fire(breaker=b, failed_reads=True)),
    )


def uses() -> st.SearchStrategy[Step]:
    suspend = next(w for w in PROGRAM.powers if w.kind == "suspend")
    resume = next(w for w in PROGRAM.powers if w.kind == "resume")
    unpause = next(w for w in PROGRAM.powers if w.kind == "unpause")
    signers = st.sampled_from([("s1", "s2"), ("s1", "s2"), ("s1",)])
    return st.one_of(
        st.builds(UsePower, power=st.just(suspend.id), targets=st.just(("ETH_USD",)),
                  value=st.sampled_from([600, H, 2 * H]), signers=signers),
        st.builds(UsePower, power=st.just(resume.id), targets=st.just(("ETH_USD",)),
                  signers=signers),
        st.builds(UsePower, power=st.just(unpause.id),
                  targets=st.sampled_from([("releases",), ("deposits",),
                                           ("releases", "deposits")]), signers=signers))


def sequences(max_size: int) -> st.SearchStrategy[list[Step]]:
    advances = st.sampled_from([0, 1, 600, 1800, H, 2 * H, 7 * H]).map(
        lambda s: Advance(seconds=s))
    return st.lists(st.one_of(advances, fires(), fires(), uses()), min_size=1,
                    max_size=max_size)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=sequences(10))
def test_random_priced_sequences_agree(env: Env, steps: list[Step]) -> None:
    env.chain.revert(env.snapshot)
    env.snapshot = env.chain.snapshot()
    compare_runs(env.deployed, env.t0, steps)


def test_a_weth_flow_counts_in_the_sum_of_every_asset(env: Env) -> None:
    """Hand-picked: 400k USD of WETH fires `weth_big`; 600k more USD of WETH brings the
    1h value of every asset to 1M USD, not above; one more base unit of USDC's worth in a new
    `notional` firing goes above (realized as a USDC flow)."""
    env.chain.revert(env.snapshot)
    env.snapshot = env.chain.snapshot()
    steps: list[Step] = [_fire("weth_big", (WETH_OUT, 400_000 * USD)), Advance(seconds=60),
                         _fire("notional", (STAR, 10**6 * USD + 1))]
    assert compare_runs(env.deployed, env.t0, steps) == [True, True, True]


def test_a_suspended_pricing_feed_stops_the_value_rules(env: Env) -> None:
    env.chain.revert(env.snapshot)
    env.snapshot = env.chain.snapshot()
    suspend = next(w for w in PROGRAM.powers if w.kind == "suspend")
    steps: list[Step] = [
        UsePower(power=suspend.id, targets=("ETH_USD",), value=H, signers=("s1", "s2")),
        _fire("notional", (STAR, 2 * 10**6 * USD)),  # reads ETH_USD: refused on both sides
        _fire("thin", (WBTC_TVL, 0), (INFLOW, 10**20)),  # `*` values WETH too: refused
        Advance(seconds=H + 1),
        _fire("notional", (STAR, 2 * 10**6 * USD)),  # the suspension is over
    ]
    assert compare_runs(env.deployed, env.t0, steps) == [True, False, False, True, True]
