"""Every counterexample the verifier reports is replayed on the deployed guard and breaks the
property there too.

Rule files: the examples, `examples/broken/`, `data/violated/` (one or more violated property
of every kind: `always`, `paused at most`, `then open`, `never locked forever` (a lasso,
unrolled three times), `no unilateral signer`/`entity`, `every power needs N`, `blocked at
most`: the victim's `blockedUntil`) and the
differential tests' rule file (timelocks, `extend`, `max`/`gap`, overrides, `block sender`,
step bounds).

The example files name fixed mainnet-like addresses; `testkit.deploy.deploy_rules` deploys
stand-ins (token, vault, feeds) on Anvil, creates keys for the signers and **rewrites the rule
file's addresses** to them before generating the guard (no `anvil_setCode`: the stand-ins keep
their constructors and immutables). Names are unchanged, so the counterexamples apply as they
are. Each step is also run on the reference semantics, which must accept it, and the property is
then judged on the guard's own state read back from the chain (`testkit.replay_chain`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.runtime.anvil import Anvil
from interlock.semantics import initial_state, step
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import ChainDriver, view_of_state
from interlock.testing.deploy import Deployed, check_text, deploy_rules
from interlock.testing.replay_chain import (
    breach_on_chain,
    replay_on_chain,
    replay_steps,
)
from interlock.verifier.blocks import VICTIM
from interlock.verifier.engine import verify
from interlock.verifier.result import PropertyResult

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data" / "violated"
EXAMPLES = sorted((ROOT / "examples").glob("*.guard"))
BROKEN = [*sorted((ROOT / "examples" / "broken").glob("*.guard")), *sorted(DATA.glob("*.guard")),
          ROOT / "tests" / "compiler" / "data" / "differential.guard"]


@pytest.fixture(scope="module")
def chain() -> Iterator[TestChain]:
    with Anvil(timestamp=1_900_000_000) as node:
        yield TestChain(node)


def violated(path: Path) -> tuple[str, list[PropertyResult]]:
    text = path.read_text()
    results = verify(check_text(text, str(path)), timeout_s=120, jobs=1)
    return text, [r for r in results if r.status == "violated"]


def replay_all(chain: TestChain, path: Path, results: list[PropertyResult]) -> list[str]:
    """Replay each result from a fresh deployment; the breach found on chain for each."""
    deployed = deploy_rules(chain, path.read_text(), str(path))
    t0 = chain.latest_timestamp() + 1_000
    breaches = []
    for r in results:
        snap = chain.snapshot()
        breaches.append(replay_one(chain, deployed, r, t0))
        chain.revert(snap)
    return breaches


def replay_one(chain: TestChain, d: Deployed, r: PropertyResult, t0: int) -> str:
    program = d.program
    driver = ChainDriver(program, d.harness, d.guard, t0, senders=(VICTIM,))
    replay = replay_on_chain(driver, r)
    # the same steps on the reference semantics: all accepted, the same state after each
    state = initial_state(program, t0)
    observed = {o.index: o for o in replay.observations}
    for i, group in enumerate(replay.applied):
        for s in group:
            state = step(program, state, s)
        if i in observed:
            assert observed[i].ok, f"`{r.name}`: the guard refused step {i} {group!r}"
            assert observed[i].view == view_of_state(program, state, (VICTIM,)), (
                f"state after step {i}")
    invariant = next(inv for inv in program.invariants if inv.name == r.name)
    breach = breach_on_chain(program, invariant, replay)
    assert breach is not None, f"`{r.name}` holds on chain after replaying its counterexample"
    return breach


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_counterexamples_break_the_deployed_guard(chain: TestChain, path: Path) -> None:
    _text, results = violated(path)
    assert results, f"{path.name} is meant to have violated properties"
    breaches = replay_all(chain, path, results)
    assert all(breaches)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_counterexamples_if_any_break_the_guard(chain: TestChain, path: Path) -> None:
    _text, results = violated(path)
    assert all(replay_all(chain, path, results)) if results else True


def test_a_cooldown_stops_the_replay(chain: TestChain) -> None:
    """Control: the lasso of `retrigger.guard` replayed against the same rules with a 24h
    cooldown is refused by the guard, and the property is not reported broken."""
    path = DATA / "retrigger.guard"
    _text, results = violated(path)
    lasso = next(r for r in results if r.name == "escapes")
    text = path.read_text()
    fixed = text.replace("then pause w for 6h\n", "then pause w for 6h\n  cooldown 24h\n")
    assert fixed != text
    deployed = deploy_rules(chain, fixed, str(path))
    driver = ChainDriver(deployed.program, deployed.harness, deployed.guard,
                         chain.latest_timestamp() + 1_000)
    replay = replay_on_chain(driver, lasso)
    assert not all(o.ok for o in replay.observations)
    invariant = next(i for i in deployed.program.invariants if i.name == "escapes")
    assert breach_on_chain(deployed.program, invariant, replay) is None
    assert replay_steps(deployed.program, lasso)[1]  # it was a lasso, unrolled
