"""Every example compiles to IR without errors, and each exercises the constructs it is for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_utils import is_checksum_address

from interlock.dsl.frontend import compile_file
from interlock.ir import nodes as ir
from interlock.ir.conditions import atoms
from interlock.verifier.engine import verify
from interlock.verifier.findings import find

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.relative_to(ROOT) for p in (ROOT / "examples").rglob("*.guard"))

# Real mainnet contracts the examples use, EIP-55 checksummed.
MAINNET = {
    "USDC": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
    "USDT": "0xdAC17F958D2ee523a2206206994597C13D831ec7",
    "WETH": "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
    "WBTC": "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599",
    "ETH_USD": "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419",
    "BTC_USD": "0xF4030086522a5bEEa4988F8cA5B36dbC97BeE88c",
    "USDC_USD": "0x8fFfFfd4AfB6115b954Bd326cbe7B4BA576818f6",
    "USDT_USD": "0x3E7d1eAB13ad0104d2750B8863b489D65364e32D",
}


def _program(path: Path) -> ir.Program:
    result = compile_file(str(path))
    errors = [d for d in result.diagnostics if d.is_error]
    assert errors == [], "\n".join(f"{d.span.line}:{d.span.column} {d.code} {d.message}"
                                   for d in errors)
    assert result.program is not None
    return result.program


def test_the_examples_are_there() -> None:
    names = {p.as_posix() for p in EXAMPLES}
    assert {
        "examples/perp_venue.guard",
        "examples/lending_market.guard",
        "examples/bridge.guard",
        "examples/amm.guard",
        "examples/reserves_market.guard",
        "examples/broken/perp_venue_unbounded.guard",
    } <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.as_posix())
def test_example_compiles_without_diagnostics(path: Path) -> None:
    result = compile_file(str(ROOT / path))
    assert result.diagnostics == ()
    program = _program(ROOT / path)
    assert program.invariants, "an example without invariants proves nothing"
    assert program.breakers and program.powers


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.as_posix())
def test_example_addresses_are_real_or_distinct(path: Path) -> None:
    program = _program(ROOT / path)
    addresses = (
        [s.address for s in program.signers]
        + [a.address for a in program.agents]
        + [a.address for a in program.assets]
        + [v.address for v in program.vaults]
        + [f.address for f in program.feeds]
        + [f.reference for f in program.feeds if f.reference]
        + [r.address for r in program.reads]
    )
    assert len(set(addresses)) == len(addresses)
    assert all(is_checksum_address(a) for a in addresses)
    for asset in program.assets:
        assert asset.address == MAINNET[asset.name]
    for feed in program.feeds:
        assert feed.address == MAINNET[feed.name]


def _features(program: ir.Program) -> set[str]:
    """The constructs a program uses, as short tags."""
    tags: set[str] = set()
    conds = [b.when for b in program.breakers] + [t.when for s in program.scores for t in s.tiers]
    tags |= {f"atom:{a.kind}" for c in conds for a in atoms(c)}
    tags |= {"per_sender" for c in conds for a in atoms(c) if a.per_sender}
    tags |= {f"effect:{e.kind}" for b in program.breakers for e in b.effects}
    tags |= {f"power:{p.kind}" for p in program.powers}
    tags |= {"power:when" for p in program.powers if p.when is not None}
    tags |= {f"prop:{i.prop.kind}" for i in program.invariants}
    tags |= {"assuming" for i in program.invariants if getattr(i.prop, "assuming", ())}
    tags |= {f"safer:{p.safer}" for p in program.params}
    tags |= {"timelock" for r in program.roles if r.delay}
    tags |= {"entity_groups" for s in program.signers
             if sum(t.entity == s.entity for t in program.signers) > 1}
    tags |= {"heartbeat" for f in program.feeds if f.heartbeat}
    tags |= {"priced" for a in program.assets if a.priced_by}
    tags |= {"reference" for f in program.feeds if f.reference}
    tags |= {"custom_metric"} if program.metrics else set()
    tags |= {"score"} if program.scores else set()
    tags |= {"max" for s in program.scopes if s.max_pause} | {
        "gap" for s in program.scopes if s.gap}
    tags |= {"offchain_breaker" for b in program.breakers if not b.onchain}
    tags |= {"onchain_breaker" for b in program.breakers if b.onchain}
    tags |= {"for_each" for b in program.breakers if b.span.via is not None}
    tags |= {"param_unit" for p in program.params if p.unit is not None}
    tags |= {"state_read"} if program.reads else set()
    tags |= {"power:set_step" for w in program.powers if w.step is not None}
    return tags


EXPECTED = {
    "examples/perp_venue.guard": {
        "entity_groups", "timelock", "score", "reference", "atom:deviation", "atom:change",
        "atom:outflow", "atom:tvl", "effect:pause", "effect:suspend", "effect:set",
        "power:extend", "power:when", "prop:always", "prop:paused_at_most",
        "prop:no_unilateral", "assuming", "onchain_breaker", "offchain_breaker",
    },
    "examples/lending_market.guard": {
        "atom:staleness", "heartbeat", "atom:outflow", "atom:inflow", "safer:lower", "score",
        "timelock", "power:cancel", "power:set", "power:suspend", "power:resume",
        "prop:never_locked", "prop:min_coalition", "effect:set",
    },
    "examples/bridge.guard": {
        "entity_groups", "custom_metric", "atom:metric", "atom:calls", "per_sender",
        "effect:block", "effect:alert", "prop:no_unilateral", "prop:min_coalition", "timelock",
        "power:cancel", "offchain_breaker", "atom:flow", "effect:hold", "power:cancel_holds",
        "priced", "atom:value_outflow", "onchain_breaker", "param_unit", "power:set_step",
    },
    "examples/amm.guard": {
        "reference", "atom:deviation", "atom:change", "safer:higher", "power:extend",
        "assuming", "timelock", "power:cancel", "prop:paused_at_most", "prop:never_locked",
        "prop:always", "effect:set",
    },
    "examples/reserves_market.guard": {
        "for_each", "param_unit", "entity_groups", "timelock", "atom:outflow", "atom:inflow",
        "atom:staleness", "effect:pause", "effect:set", "effect:suspend", "power:set",
        "power:cancel", "prop:paused_at_most", "prop:always", "onchain_breaker",
        "state_read", "atom:read", "offchain_breaker",
        "power:set_step",
    },
}


def test_reserves_market_utilisation_trips_on_its_debt_read() -> None:
    """Each reserve's utilisation breaker is decided from its debt-token read: over 90% lent
    out (`debt > 9 * tvl`) it is sent as `trip`; a failed read is skipped, never tripped."""
    from interlock.runtime.evaluate import RulePlan, decide
    from interlock.runtime.metrics import MetricPlan, MetricState
    from interlock.runtime.observe import BlockObservation
    from interlock.semantics import initial_state

    program = _program(ROOT / "examples/reserves_market.guard")
    assert [r.name for r in program.reads] == [f"debt_{a}" for a in ("USDC", "USDT", "WETH",
                                                                      "WBTC")]
    assert all(not program.breaker(f"utilisation_{a.name}").onchain for a in program.assets)
    plan = MetricPlan.from_program(program)
    pool = program.vaults[0].address.lower()
    balances = {(a.address.lower(), pool): 10**6 for a in program.assets}
    reads = {"debt_USDC": 9 * 10**6 + 1, "debt_USDT": 9 * 10**6, "debt_WETH": 0}
    obs = BlockObservation(1, "", "", 1_700_000_000, balances=balances, reads=reads)
    metrics = MetricState(plan)
    metrics.apply(obs)
    state = initial_state(program, t0=obs.timestamp)
    out = decide(program, RulePlan.for_program(program), state, metrics.values(obs), {}, block=1)
    utilisation = [(d.breaker, d.method) for d in out.decisions if "utilisation" in d.breaker]
    assert utilisation == [("utilisation_USDC", "trip")]
    assert [r for b, r in out.skipped if b == "utilisation_WBTC"] == [
        "unavailable: no value for metric read(debt_WBTC)"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_exercises_its_constructs(name: str) -> None:
    missing = EXPECTED[name] - _features(_program(ROOT / name))
    assert missing == set()


def test_windows_in_examples_are_multiples_of_12s() -> None:
    for path in EXAMPLES:
        program = _program(ROOT / path)
        conds = [b.when for b in program.breakers] + [
            t.when for s in program.scores for t in s.tiers]
        windows = [a.window for c in conds for a in atoms(c) if a.window is not None]
        windows += [m.window for m in program.metrics]
        assert all(w > 0 and w % 12 == 0 for w in windows), path


def test_broken_venue_differs_only_in_withdrawal_safety_nets() -> None:
    good = _program(ROOT / "examples/perp_venue.guard")
    bad = _program(ROOT / "examples/broken/perp_venue_unbounded.guard")
    assert good.scope("withdrawals").max_pause == 72 * 3600
    assert good.scope("withdrawals").gap == 24 * 3600
    assert bad.scope("withdrawals").max_pause is None
    assert bad.scope("withdrawals").gap is None
    assert good.breaker("drain").cooldown == 24 * 3600
    assert bad.breaker("drain").cooldown is None
    assert _without_spans(good.invariants) == _without_spans(bad.invariants)


def _without_spans(invariants: tuple[ir.Invariant, ...]) -> list[Any]:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "span"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return [strip(i.model_dump(mode="json")) for i in invariants]


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "broken" not in p.parts],
                         ids=lambda p: p.as_posix())
def test_every_invariant_of_the_examples_is_proved(path: Path) -> None:
    """The comment at each invariant says why it holds; the verifier must agree, unbounded."""
    results = verify(_program(ROOT / path), timeout_s=120)
    assert {r.name: r.status for r in results} == {r.name: "proved" for r in results}
    assert all(r.depth is None for r in results)


def test_broken_venue_violates_only_withdrawals_escape() -> None:
    results = verify(_program(ROOT / "examples/broken/perp_venue_unbounded.guard"), timeout_s=120)
    status = {r.name: r.status for r in results}
    assert status.pop("withdrawals_escape") == "violated"
    assert set(status.values()) == {"proved"}
    bad = next(r for r in results if r.name == "withdrawals_escape")
    assert bad.counterexample is not None and bad.counterexample.steps


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.as_posix())
def test_examples_have_no_findings(path: Path) -> None:
    """No dead breaker, timelock bypass, unpausable scope or unused score tier. A `gap` that
    shuts the guardian out after a pause (W0806) is a trade-off an example may keep, but only
    with a `ROLE can pause S within D` invariant over that scope that states its cost."""
    program = _program(ROOT / path)
    found = find(program)
    assert [d for d in found if d.code != "W0806"] == []
    stated = {i.prop.scope for i in program.invariants if i.prop.kind == "can_pause"}
    for d in found:
        assert any(f"`{s}`" in d.message for s in stated), d.message


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.as_posix())
def test_every_invariant_says_why_it_holds(path: Path) -> None:
    """Each invariant line follows a comment (the reason it holds, or why it is violated)."""
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("invariant "):
            assert i > 0 and lines[i - 1].startswith("#"), f"{path}:{i + 1}: {line}"


@pytest.mark.evm
@pytest.mark.anvil
def test_bridge_holds_a_large_release_on_chain() -> None:
    """examples/bridge.guard's `usdc_large_release` on its deployed guard (Anvil): a release
    of 4% of the escrowed USDC is paid at once, one of 6% two hours later is held for 24h (so
    that `usdc_fast_drain`, 8%/h, does not fire and refuse it: a refusal wins over a hold)."""
    from interlock.runtime.anvil import Anvil
    from interlock.testing.chain import TestChain
    from interlock.testing.deploy import deploy_rules

    text = (ROOT / "examples/bridge.guard").read_text(encoding="utf-8")
    with Anvil(timestamp=1_900_000_000) as node:
        chain = TestChain(node)
        d = deploy_rules(chain, text, "examples/bridge.guard")
        token, vault = d.harness.tokens["USDC"], d.harness.vaults["escrow"]
        usdc = 10**6
        assert chain.call_fn(token.functions.setBalance(vault.address, 100_000_000 * usdc),
                             chain.accounts[0]).ok
        user = chain.accounts[5]
        for share, at in ((4, 10), (6, 2 * 3600 + 10)):
            fn = vault.functions.reportOutflowTo(token.address, share * 1_000_000 * usdc, user)
            assert chain.call_fn(fn, chain.accounts[0],
                                 timestamp=1_900_000_000 + 1_000 + at).ok
        rule = d.program.breaker("usdc_large_release").id
        _v, _a, recipient, amount, release, status = d.guard.functions.heldFlow(1).call()
        assert (recipient, amount, status) == (user, 6_000_000 * usdc, 1)
        assert release == chain.latest_timestamp() + 86_400
        assert int(d.guard.functions.heldFlow(2).call()[5]) == 0  # the 4% release: not held
        assert int(d.guard.functions.firedUntil(rule).call()) == chain.latest_timestamp()
