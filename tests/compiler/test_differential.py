"""Differential tests: random step sequences on the reference semantics and the deployed guard.

The rule file `data/differential.guard` exercises pauses with `max`/`gap`, `extend`, `unpause`
with a `when`, suspend/resume, `set` with overrides in both safer directions, breaker and power
cooldowns, step bounds on `set` (relative, and absolute on the timelocked role), a timelocked
role, on-chain breakers (a feed, staleness, flows against TVL) and an agent-only breaker. Each
hypothesis example applies the same sequence to
`interlock.semantics.step` and, as transactions, to the guard on Anvil (`testkit.chain_driver`)
and asserts after every transaction that both accepted or both refused it and that the whole
observable state (every scope, feed, param and breaker mark) is equal.

A `Fire` is realized on chain first (feed answers, balances, recorded flows); the semantics is
given the realized metric values. Off-chain metrics (`change`) are the agent's word: the
sequences only give the agent values that make its breaker's condition hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from interlock.ir.nodes import QUEUE_GRACE, Atom, Power, Program
from interlock.runtime.anvil import Anvil
from interlock.semantics import StepRefused, initial_state, step
from interlock.semantics.trace import Advance, Fire, MetricValue, Step, UsePower
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import ChainDriver, view_of_state
from interlock.testing.deploy import Deployed, check_text, deploy_rules
from interlock.testing.metrics_chain import condition_atoms

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = Path(__file__).parent / "data" / "differential.guard"
PROGRAM: Program = check_text(RULES.read_text(), str(RULES))
PCT = 10**16
TVL = 10**12
SIGNERS = ("s1", "s2", "s3", "s4", "mallory")
SENDERS = ("u1", "u2")  # addresses the agent may block (compared on both sides)


@dataclass
class Env:
    chain: TestChain
    deployed: Deployed
    t0: int
    snapshot: str


def deployed_env(node: Anvil, rules: Path = RULES, inherited: bool = False) -> Env:
    """`rules` deployed on `node` with stand-ins, `t0` 1,000 s ahead, and a snapshot."""
    chain = TestChain(node)
    deployed = deploy_rules(chain, rules.read_text(), str(rules), inherited=inherited)
    t0 = chain.latest_timestamp() + 1_000
    return Env(chain, deployed, t0, chain.snapshot())


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    """The standalone `DiffGuard` (on its own Anvil: each env reverts to its own snapshot)."""
    with Anvil(timestamp=1_900_000_000) as node:
        yield deployed_env(node)


@pytest.fixture(scope="module")
def inherited_env() -> Iterator[Env]:
    """A protocol contract inheriting `DiffGuarded` (the guard's state in its storage)."""
    with Anvil(timestamp=1_900_000_000) as node:
        yield deployed_env(node, inherited=True)


# --- strategies -----------------------------------------------------------------------------


def _atom(kind: str, target: str, window: int | None = None, per_sender: bool = False) -> Atom:
    return Atom(kind=kind, target=target, window=window,  # type: ignore[arg-type]
                per_sender=per_sender)


def _metrics(*pairs: tuple[Atom, int]) -> tuple[MetricValue, ...]:
    return tuple(MetricValue(atom=a, value=v) for a, v in pairs)


def fires() -> st.SearchStrategy[Step]:
    dev = _atom("deviation", "ETH_USD")
    stale = _atom("staleness", "ETH_USD")
    out, tvl = _atom("outflow", "USDC", 3600), _atom("tvl", "USDC")
    change = _atom("change", "ETH_USD", 3600)

    def blocking(name: str, values: list[int]) -> st.SearchStrategy[Step]:
        (calls,) = condition_atoms(PROGRAM, PROGRAM.breaker(name).when)
        return st.tuples(st.sampled_from(values), st.sampled_from([*SENDERS, None])).map(
            lambda vs: Fire(breaker=name, metrics=_metrics((calls, vs[0])), sender=vs[1]))

    return st.one_of(
        st.sampled_from([0, 3 * PCT, 3 * PCT + 1, 10 * PCT, 2**128]).map(
            lambda r: Fire(breaker="divergence", metrics=_metrics((dev, r)))),
        st.sampled_from([0, 3600, 3601, 7200]).map(
            lambda s: Fire(breaker="stale", metrics=_metrics((stale, s)))),
        st.tuples(st.sampled_from(["drain", "alarm", "trickle"]),
                  st.sampled_from([0, TVL // 20, TVL // 10, TVL // 10 + 1, TVL // 4, TVL // 2]),
                  st.sampled_from([TVL, TVL // 2])).map(
            lambda bot: Fire(breaker=bot[0], metrics=_metrics((out, bot[1]), (tvl, bot[2])))),
        st.sampled_from([8 * PCT + 1, 50 * PCT]).map(
            lambda c: Fire(breaker="crash", metrics=_metrics((change, c)))),
        blocking("spam", [21, 500]),
        blocking("flood", [101]),
    )


def _values(w: Power) -> st.SearchStrategy[int | None]:
    if w.kind in ("pause", "suspend", "extend"):
        top = w.max_duration or 86_400
        return st.one_of(st.sampled_from([0, 1, 600, 3600, top, top + 1]),
                         st.integers(1, top), st.integers(1, 2 * top))
    if w.kind == "set":
        return st.one_of(st.sampled_from([1, 2, 5, 10, 15, 30, 31, 100, 150, 190, 191, 300,
                                          301]),
                         st.integers(-10, 400))
    return st.none()


def signer_sets() -> st.SearchStrategy[tuple[str, ...]]:
    """Mostly coalitions that satisfy a role (2 of s1..s3, or s4), sometimes anything."""
    valid = st.sampled_from([("s1", "s2"), ("s1", "s3"), ("s2", "s3"), ("s1", "s2", "s3"),
                             ("s4",), ("s2", "s4")])
    anything = st.lists(st.sampled_from(SIGNERS), unique=True, max_size=4).map(tuple)
    return st.one_of(valid, valid, anything)


def uses() -> st.SearchStrategy[Step]:
    def for_power(w: Power) -> st.SearchStrategy[Step]:
        return st.builds(
            UsePower,
            power=st.just(w.id),
            targets=st.lists(st.sampled_from(w.targets), unique=True, min_size=1).map(tuple),
            value=_values(w),
            signers=signer_sets(),
            sender=st.sampled_from(SENDERS) if w.kind == "unblock" else st.none(),
        )

    return st.one_of([for_power(w) for w in PROGRAM.powers])


def advances() -> st.SearchStrategy[Step]:
    seconds = st.one_of(
        st.sampled_from([0, 1, 600, 1800, 3600, 7200, 10_800, 21_600, 86_400, QUEUE_GRACE]),
        st.integers(0, 2 * 86_400),
    )
    return seconds.map(lambda s: Advance(seconds=s))


def sequences(max_size: int) -> st.SearchStrategy[list[Step]]:
    """Random steps, half of the time after the timelock has elapsed."""
    opening = st.sampled_from([[], [Advance(seconds=7200)]])
    body = st.lists(st.one_of(advances(), fires(), uses(), uses()), min_size=1,
                    max_size=max_size)
    return st.tuples(opening, body).map(lambda ob: [*ob[0], *ob[1]])


# --- the comparison ---------------------------------------------------------------------------


def run_both(env: Env, steps: list[Step]) -> list[bool]:
    """Apply `steps` to both sides from a fresh deployment; assert they agree throughout.

    Returns whether each step was accepted."""
    env.chain.revert(env.snapshot)
    env.snapshot = env.chain.snapshot()
    return compare_runs(env.deployed, env.t0, steps, SENDERS, _label)


def compare_runs(
    d: Deployed, t0: int, steps: list[Step], senders: tuple[str, ...] = (),
    label: Callable[[Step], str] | None = None,
) -> list[bool]:
    """Run `steps` on the semantics and on `d`'s guard from `t0`; assert that both accept or
    both refuse each step and that the states agree after every transaction."""
    program = d.program
    driver = ChainDriver(program, d.harness, d.guard, t0=t0, senders=senders)
    driver.prequeue(steps)
    state = initial_state(program, t0)
    accepted: list[bool] = []
    for i, s in enumerate(steps):
        out = driver.apply(s, i)
        for f in out.implicit:  # breakers the guard fired by itself during the set-up
            try:
                state = step(program, state, f)
            except StepRefused as e:
                raise AssertionError(f"the guard fired {f!r} at step {i}: {e.reason}") from e
        try:
            nxt = state if out.in_implicit else step(program, state, out.step)
            reason = None
        except StepRefused as e:
            nxt, reason = state, e.reason
        where = f"step {i} {out.step!r} (semantics: {reason or 'accepted'})"
        assert out.ok == (reason is None), f"chain {'accepted' if out.ok else 'refused'} {where}"
        state = nxt
        accepted.append(out.ok)
        if not isinstance(s, Advance) and label is not None and currently_in_test_context():
            event(f"{label(s)}: {'accepted' if out.ok else 'refused'}")
        if not isinstance(s, Advance):
            assert driver.read() == view_of_state(program, state, senders), (
                f"state differs after {where}")
    driver.sync_clock()
    assert driver.read() == view_of_state(program, state, senders), "final state differs"
    return accepted


def _label(s: Step) -> str:
    if isinstance(s, Fire):
        return f"fire {s.breaker}"
    if isinstance(s, UsePower):
        w = PROGRAM.powers[s.power]
        stepped = " stepped" if w.step is not None else ""
        return f"{w.kind}{stepped} {'/'.join(w.targets)} ({w.role})"
    return "advance"


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=sequences(12))
def test_random_sequences_agree(env: Env, steps: list[Step]) -> None:
    run_both(env, steps)


# --- hand-picked edges (also regression seeds for the random run) ----------------------------


def _use(kind: str, target: str, value: int | None, *signers: str) -> UsePower:
    w = next(w for w in PROGRAM.powers if w.kind == kind and target in w.targets)
    return UsePower(power=w.id, targets=(target,), value=value, signers=signers)


def _stepped(target: str, value: int, *signers: str) -> UsePower:
    """A use of the `set` power over `target` that has a step bound."""
    w = next(w for w in PROGRAM.powers if w.step is not None and target in w.targets)
    return UsePower(power=w.id, targets=(target,), value=value, signers=signers)


def _unblock(sender: str, target: str) -> UsePower:
    w = next(w for w in PROGRAM.powers if w.kind == "unblock")
    return UsePower(power=w.id, targets=(target,), signers=("s4",), sender=sender)


def _fire(breaker: str, *pairs: tuple[Atom, int]) -> Fire:
    return Fire(breaker=breaker, metrics=_metrics(*pairs))


H = 3600
DEV = _atom("deviation", "ETH_USD")
DRAIN = (_atom("outflow", "USDC", 3600), TVL // 8), (_atom("tvl", "USDC"), TVL)
ALARM = (_atom("outflow", "USDC", 3600), TVL // 5), (_atom("tvl", "USDC"), TVL)
TRICKLE = (_atom("outflow", "USDC", 3600), 2 * TVL // 5), (_atom("tvl", "USDC"), TVL)


@dataclass(frozen=True)
class Edge:
    steps: list[Step]
    accepted: list[bool]  # which steps both sides must accept
    final: dict[tuple[str, str], int | None]  # (GuardView field, name) -> value; `*_until`
    # and `*_since` values are offsets from t0, None is "never" (0 on both sides)


EDGES: dict[str, Edge] = {
    "gap refuses a pause at the very end of the last one, then allows it after the gap": Edge(
        [_fire("drain", *DRAIN), Advance(seconds=4 * H),
         _use("pause", "withdrawals", H, "s1", "s2"), Advance(seconds=2 * H),
         _use("pause", "withdrawals", H, "s1", "s3")],
        [True] * 5,
        {("paused_until", "withdrawals"): 7 * H, ("paused_since", "withdrawals"): 6 * H},
    ),
    "max clamps a continued pause; extend goes beyond it": Edge(
        [_use("pause", "withdrawals", 5 * H, "s1", "s2"), Advance(seconds=4 * H),
         _fire("drain", *DRAIN), Advance(seconds=H),
         _use("extend", "withdrawals", 3 * H, "s2", "s3")],
        [True] * 5,
        {("paused_until", "withdrawals"): 9 * H, ("paused_since", "withdrawals"): 0},
    ),
    "breaker cooldown counts from the end of its longest effect": Edge(
        [_fire("divergence", (DEV, 5 * PCT)), Advance(seconds=3 * H - 1),
         _fire("divergence", (DEV, 5 * PCT)), Advance(seconds=1),
         _fire("divergence", (DEV, 3 * PCT))],
        [True, True, False, True, False],
        {("fired_until", "divergence"): H, ("paused_until", "trading"): H},
    ),
    "overrides tighten and expire; set clamps to its within range": Edge(
        [_fire("stale", (_atom("staleness", "ETH_USD"), 7200)),
         _use("set", "max_leverage", 100, "s1", "s3"), Advance(seconds=3 * H),
         _use("set", "max_leverage", 1, "s1", "s3")],
        [True] * 4,
        {("param_base", "max_leverage"): 5, ("param_value", "max_leverage"): 5},
    ),
    "a timelocked power too early, then on time": Edge(
        [Advance(seconds=H), _use("set", "min_collateral", 250, "s1", "s2"),
         Advance(seconds=H), _use("set", "min_collateral", 120, "s2", "s3")],
        [True, False, True, True],
        {("param_base", "min_collateral"): 120},
    ),
    "a flow report trips drain; unpause waits for its `when`": Edge(
        [_fire("drain", *DRAIN), _fire("divergence", (DEV, 5 * PCT)),
         _use("unpause", "withdrawals", None, "s4"), Advance(seconds=1800),
         _use("unpause", "withdrawals", None, "s4")],
        [True, True, False, True, True],
        {("paused_until", "withdrawals"): 1800, ("param_value", "min_collateral"): 200},
    ),
    "non-members, unknown keys and too few signers are refused": Edge(
        [_use("pause", "deposits", H, "s1", "s4"), _use("pause", "deposits", H, "s1", "mallory"),
         _use("pause", "deposits", H, "s4"), _use("pause", "deposits", 13 * H, "s1", "s2"),
         _use("pause", "deposits", 0, "s1", "s2"), _use("pause", "deposits", H, "s1", "s2")],
        [False, False, False, False, False, True],
        {("paused_until", "deposits"): H},
    ),
    # docs/semantics.md, "Failed reads": a broken feed makes `stale` hold (it has no state part)
    # on the guard and in the semantics alike; while the guardian suspends ETH_USD it does not
    "a failed read fires a rule; a suspended feed is not read": Edge(
        [Fire(breaker="stale", failed_reads=True), _use("suspend", "ETH_USD", H, "s1", "s2"),
         Fire(breaker="stale", failed_reads=True)],
        [True, True, False],
        {("paused_until", "deposits"): 2 * H, ("suspended_until", "ETH_USD"): H},
    ),
    # docs/semantics.md, "Failed reads": `suspend F` stops every read of F
    "suspend, resume, and a rule that reads a suspended feed does not fire": Edge(
        [_use("suspend", "ETH_USD", 2 * H, "s1", "s2"), _fire("divergence", (DEV, 10 * PCT)),
         Advance(seconds=600), _use("resume", "ETH_USD", None, "s2", "s3")],
        [True, False, True, True],
        {("suspended_until", "ETH_USD"): 600},
    ),
    "one flow report fires every breaker that reads the flow": Edge(
        [Fire(breaker="drain", metrics=_metrics(*ALARM)), Advance(seconds=3 * H),
         Fire(breaker="alarm", metrics=_metrics(*ALARM)), Advance(seconds=H),
         Fire(breaker="alarm", metrics=_metrics(*ALARM))],
        [True, True, False, True, True],
        {("fired_until", "drain"): 4 * H, ("fired_until", "alarm"): 5 * H,
         ("paused_until", "deposits"): 5 * H, ("paused_until", "withdrawals"): 4 * H},
    ),
    "a flow rule without cooldown fires again at the same timestamp": Edge(
        [Fire(breaker="trickle", metrics=_metrics(*TRICKLE)),
         Fire(breaker="trickle", metrics=_metrics(*TRICKLE)), Advance(seconds=1800),
         Fire(breaker="trickle", metrics=_metrics(*TRICKLE))],
        [True, True, True, True],
        {("fired_until", "trickle"): 3600, ("param_value", "min_collateral"): 250,
         ("fired_until", "drain"): 4 * H, ("fired_until", "alarm"): H},
    ),
    "block a sender from one scope and from every scope; cooldown per breaker": Edge(
        [Fire(breaker="spam", metrics=_metrics((_atom("calls", "trading", 60, True), 21)),
              sender="u1"),
         Fire(breaker="spam", metrics=_metrics((_atom("calls", "trading", 60, True), 21)),
              sender="u2"),
         Advance(seconds=70 * 60),
         Fire(breaker="flood", metrics=_metrics((_atom("calls", "deposits", 3600, True), 101)),
              sender="u2")],
        [True, False, True, True],
        {("blocked_until", "u1/trading"): H, ("blocked_until", "u1/deposits"): None,
         ("blocked_until", "u2/trading"): 70 * 60 + 1800,
         ("blocked_until", "u2/withdrawals"): 70 * 60 + 1800},
    ),
    "a queued operation runs until the end of its grace period, not after": Edge(
        [Advance(seconds=2 * H + QUEUE_GRACE), _use("set", "min_collateral", 120, "s1", "s2"),
         Advance(seconds=1), _use("set", "min_collateral", 250, "s2", "s3")],
        [True, True, True, False],
        {("param_base", "min_collateral"): 120},
    ),
    "unblock lifts a block from its scopes; a block from every scope stays on the others": Edge(
        [Fire(breaker="spam", metrics=_metrics((_atom("calls", "trading", 60, True), 21)),
              sender="u1"),
         Fire(breaker="flood", metrics=_metrics((_atom("calls", "deposits", 3600, True), 101)),
              sender="u2"),
         Advance(seconds=600),
         _unblock("u1", "trading"), _unblock("u2", "deposits"), _unblock("u2", "trading"),
         Advance(seconds=3600), _unblock("u2", "trading")],
        [True, True, True, True, True, False, True, True],
        {("blocked_until", "u1/trading"): 600, ("blocked_until", "u2/deposits"): 600,
         ("blocked_until", "u2/trading"): 1800, ("blocked_until", "u2/withdrawals"): 1800},
    ),
    "a relative step: exactly +50%, too soon, then too far, then -50% after its period": Edge(
        [_stepped("max_leverage", 30, "s4"), _stepped("max_leverage", 29, "s4"),
         Advance(seconds=H), _stepped("max_leverage", 46, "s4"),
         _stepped("max_leverage", 15, "s4")],
        [True, False, True, False, True],
        {("param_base", "max_leverage"): 15, ("param_value", "max_leverage"): 15},
    ),
    "a timelocked step is checked against the base when it executes": Edge(
        [Advance(seconds=2 * H), _use("set", "min_collateral", 120, "s1", "s2"),
         _stepped("min_collateral", 190, "s1", "s2"), _stepped("min_collateral", 160, "s2", "s3")],
        [True, True, False, True],
        {("param_base", "min_collateral"): 160},
    ),
    "cancel takes a queued operation of the governor off the queue (no state change)": Edge(
        [UsePower(power=next(w.id for w in PROGRAM.powers if w.kind == "cancel"),
                  targets=("governor",), signers=("s1", "s3")),
         UsePower(power=next(w.id for w in PROGRAM.powers if w.kind == "cancel"),
                  targets=("governor",), signers=("s4",))],
        [True, False],
        {("param_base", "min_collateral"): 150},
    ),
}

TIME_FIELDS = ("paused_until", "paused_since", "suspended_until", "fired_until",
               "blocked_until")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=sequences(12))
def test_inherited_guard_agrees(inherited_env: Env, steps: list[Step]) -> None:
    """The abstract `NAMEGuarded` inherited by a protocol follows the semantics too (its
    EIP-712 domain names the inheriting contract)."""
    run_both(inherited_env, steps)


@pytest.mark.parametrize("name", sorted(EDGES))
@pytest.mark.parametrize("variant", ["standalone", "inherited"])
def test_edge_sequences_agree(
    env: Env, inherited_env: Env, variant: str, name: str
) -> None:
    e = env if variant == "standalone" else inherited_env
    check_edge(e, name)


def check_edge(env: Env, name: str) -> None:
    edge = EDGES[name]
    assert run_both(env, edge.steps) == edge.accepted
    view = ChainDriver(env.deployed.program, env.deployed.harness, env.deployed.guard,
                       env.t0, senders=SENDERS).read()
    for (fld, key), want in edge.final.items():
        got = getattr(view, fld)[key]
        if want is None:
            assert got == 0, (fld, key)
        else:
            assert got == (env.t0 + want if fld in TIME_FIELDS else want), (fld, key)
