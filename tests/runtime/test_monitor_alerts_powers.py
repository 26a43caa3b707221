"""Alerts end to end on Anvil for the events of powers, `block sender` and holds: every power
kind (pause, extend, unpause, a pause refused by `gap`, suspend, resume, set, a timelocked
operation queued, executed and cancelled, unblock), a sender blocked by the agent, and flows
held, one claimed and one cancelled. Each event reaches every sink exactly once (validated by
the local receivers of `alert_receiver`), named after the power or breaker behind it, with its
source line and decoded arguments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alert_receiver import Receiver, assert_once_at_each_sink, attach, chain_events, settle

from interlock.runtime.anvil import Anvil
from interlock.runtime.monitor import MonitorConfig
from interlock.semantics.trace import Advance, Step, UsePower
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import ChainDriver
from interlock.testing.deploy import Deployed, deploy_rules
from interlock.testing.monitor_thread import MonitorThread

pytestmark = [pytest.mark.anvil, pytest.mark.evm]

RULES = """protocol Alerted
signer s1 0x00000000000000000000000000000000000000a1
signer s2 0x00000000000000000000000000000000000000a2
signer s3 0x00000000000000000000000000000000000000a3
signer s4 0x00000000000000000000000000000000000000a4
agent  watcher 0x00000000000000000000000000000000000000b1
role guardian = 2 of [s1, s2, s3]
role solo     = s4
role governor = guardian after 2h
scope deposits
scope withdrawals max 6h gap 2h
asset USDC 0x00000000000000000000000000000000000000c1 decimals 6
vault pool 0x00000000000000000000000000000000000000c2 holds USDC
feed ETH_USD 0x00000000000000000000000000000000000000c3 decimals 8
param max_leverage = 20 in [2, 50] safer lower
breaker big {
  when flow(USDC) > 5% of tvl(USDC)
  then hold flow for 1h, set max_leverage to 5 for 1h
}
breaker huge {
  when flow(USDC) > 30% of tvl(USDC)
  then hold flow for 2h, pause deposits for 1h
}
breaker spam {
  when calls(deposits, 1h, per sender) > 100
  then block sender from deposits for 1h
}
allow guardian to pause * for at most 12h
allow guardian to unpause *
allow governor to extend withdrawals by at most 1d
allow guardian to suspend ETH_USD for at most 2h
allow guardian to resume ETH_USD
allow guardian to set max_leverage within [5, 30]
allow governor to set max_leverage
allow guardian to cancel governor
allow solo to unblock deposits
allow guardian to cancel holds
"""
LINE = {name: f"alerted.guard:{n}" for name, n in (
    ("big", 16), ("huge", 20), ("spam", 24), ("guardian pause", 28), ("guardian unpause", 29),
    ("governor extend", 30), ("guardian suspend", 31), ("guardian resume", 32),
    ("guardian set", 33), ("governor set", 34), ("guardian cancel", 35), ("solo unblock", 36),
    ("guardian cancel_holds", 37))}
H = 3600
USDC = 10**6
TVL = 1_000_000 * USDC
GUARDIANS = ("s1", "s2")


@pytest.fixture
def deployed() -> Iterator[tuple[TestChain, Deployed]]:
    with Anvil() as node:
        chain = TestChain(node)
        yield chain, deploy_rules(chain, RULES, "alerted.guard")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def start(chain: TestChain, d: Deployed, tmp_path: Path, receiver: Receiver) -> MonitorThread:
    # dry run without a key: the test sends what the agent would (`tripSender`), and the
    # monitor decides nothing here (no rule it evaluates holds), so every alert is an event's
    cfg = MonitorConfig(rpc=chain.node.ws_url, guard=d.guard.address, dry_run=True,
                        checkpoint=str(tmp_path / "m.db"), poll_interval_s=0.02)
    m = MonitorThread(d.program, cfg, key=None, name="interlock.monitor.alerts.powers")
    return attach(m, receiver).start()


def use(power: str, *, targets: tuple[str, ...] = (), value: int | None = None,
        signers: tuple[str, ...] = GUARDIANS, sender: str | None = None,
        program: Any) -> UsePower:
    role, kind = power.split(" ")
    w = next(x for x in program.powers if x.role == role and x.kind == kind)
    return UsePower(power=w.id, targets=targets, value=value, signers=signers, sender=sender)


def test_powers_blocks_and_holds_alert_once_at_each_sink(
        deployed: tuple[TestChain, Deployed], tmp_path: Path, receiver: Receiver) -> None:
    chain, d = deployed
    p, h = d.program, d.harness
    chain.call_fn(h.tokens["USDC"].functions.mint(h.vaults["pool"].address, TVL), chain.accounts[0])
    since = int(chain.w3.eth.block_number) + 1
    m = start(chain, d, tmp_path, receiver)
    driver = ChainDriver(p, h, d.guard, t0=chain.latest_timestamp() + 10)
    steps: list[Step] = [
        use("guardian pause", targets=("withdrawals",), value=6 * H, program=p),
        Advance(seconds=2 * H + 10),  # the governor's timelock has passed
        use("governor extend", targets=("withdrawals",), value=H, program=p),
        use("governor set", value=25, program=p),
        use("guardian cancel", targets=("governor",), program=p),  # its victim: prequeued
        use("guardian unpause", targets=("withdrawals",), program=p),
        Advance(seconds=10),
        use("guardian pause", targets=("withdrawals",), value=H, program=p),  # within `gap`
        use("guardian suspend", targets=("ETH_USD",), value=H, program=p),
        use("guardian resume", targets=("ETH_USD",), program=p),
        use("guardian set", value=10, program=p),
    ]
    driver.prequeue(steps)  # queues the extend, the set and the cancel's victim
    assert all(o.ok for o in driver.run(steps))
    mallory, recipient = block_and_hold(chain, d, driver)
    events = chain_events(d.guard, since)
    assert {e for e, _, _ in events} == {
        "Paused", "PauseRefused", "Unpaused", "Suspended", "Resumed", "ParamBaseSet",
        "ParamOverridden", "SenderBlocked", "SenderUnblocked", "BreakerFired", "FlowHeld",
        "HoldClaimed", "HoldCancelled", "OperationExecuted", "OperationQueued",
        "OperationCancelled"}
    settle(m, int(chain.w3.eth.block_number), receiver, len(events))
    m.stop()
    alerts = assert_once_at_each_sink(receiver, events, chain.w3.eth.chain_id)
    assert all(a["protocol"] == "Alerted" and a["guard"] == d.guard.address.lower()
               and a["status"] == "confirmed" for a in alerts.values())
    by: dict[str, list[dict[str, Any]]] = {}
    for a in sorted(alerts.values(), key=lambda a: (a["block"], int(a["id"].rsplit(":", 1)[1]))):
        by.setdefault(a["event"], []).append(a)  # in chain order within each event name
    _check_powers(by)
    _check_blocks_and_holds(by, mallory, recipient)


def block_and_hold(chain: TestChain, d: Deployed, driver: ChainDriver) -> tuple[str, str]:
    """The agent blocks mallory, the solo signer unblocks her; three flows are held (the last
    fires `big` and `huge` in one report), one is cancelled, one claimed. Every transaction
    is mined at the driver's clock (a block's timestamp may not go back)."""
    p, guard = d.program, d.guard
    pool, token = d.harness.vaults["pool"], d.harness.tokens["USDC"]
    owner, recipient = chain.accounts[0], chain.accounts[5]

    def at(seconds: int, fn: Any, sender: str = owner) -> None:
        driver.apply(Advance(seconds=seconds))
        assert chain.call_fn(fn, sender, timestamp=driver.now).ok

    def use_at(seconds: int, step: UsePower) -> None:
        driver.apply(Advance(seconds=seconds))
        assert driver.apply(step).ok

    mallory = driver.address_of("mallory")
    at(10, guard.functions.tripSender(p.breaker("spam").id, mallory), d.harness.agents["watcher"])
    use_at(10, use("solo unblock", targets=("deposits",), sender="mallory", signers=("s4",),
                   program=p))
    for _ in range(2):  # 6% of the tvl each: both held
        at(10, pool.functions.reportOutflowTo(token.address, 6 * TVL // 100, recipient))
    use_at(10, use("guardian cancel_holds", targets=("holds",), value=2, program=p))
    chain.node.rpc("anvil_impersonateAccount", [pool.address])  # only the vault claims
    chain.node.rpc("anvil_setBalance", [pool.address, hex(10**18)])
    at(H + 10, guard.functions.claimHold(1), pool.address)
    # 35%: `big` and `huge` fire in one report; `huge`'s pause is its own, not `big`'s
    at(10, pool.functions.reportOutflowTo(token.address, 35 * TVL // 100, recipient))
    return mallory, recipient


def _subjects(alerts: list[dict[str, Any]]) -> list[tuple[str | None, str | None]]:
    return [(a["rule"], a["source"]) for a in alerts]


def _check_powers(by: dict[str, list[dict[str, Any]]]) -> None:
    pause, extend, by_huge = by["Paused"]
    assert by_huge["args"]["scope"] == "deposits"
    assert (by_huge["rule"], by_huge["source"]) == ("huge", LINE["huge"])
    assert (pause["rule"], pause["source"]) == ("guardian pause", LINE["guardian pause"])
    assert pause["args"]["scope"] == "withdrawals" and pause["severity"] == "critical"
    assert (extend["rule"], extend["source"]) == ("governor extend", LINE["governor extend"])
    assert extend["args"]["until"] == pause["args"]["until"] + H
    assert extend["args"]["since"] == pause["args"]["since"]
    (refused,) = by["PauseRefused"]
    assert refused["args"] == {"scope": "withdrawals"}
    assert _subjects([refused]) == [("guardian pause", LINE["guardian pause"])]
    (unpaused,) = by["Unpaused"]
    assert unpaused["args"] == {"scope": "withdrawals"} and unpaused["severity"] == "info"
    assert _subjects([unpaused]) == [("guardian unpause", LINE["guardian unpause"])]
    (suspended,) = by["Suspended"]
    assert suspended["args"]["feed"] == "ETH_USD"
    assert _subjects([suspended]) == [("guardian suspend", LINE["guardian suspend"])]
    (resumed,) = by["Resumed"]
    assert resumed["args"] == {"feed": "ETH_USD"}
    assert _subjects([resumed]) == [("guardian resume", LINE["guardian resume"])]
    assert [(a["args"], a["rule"], a["source"]) for a in by["ParamBaseSet"]] == [
        ({"param": "max_leverage", "value": 25}, "governor set", LINE["governor set"]),
        ({"param": "max_leverage", "value": 10}, "guardian set", LINE["guardian set"])]
    queued = by["OperationQueued"]  # prequeued in step order: extend, set, the victim extend
    assert [a["args"]["power"] for a in queued] == ["governor extend", "governor set",
                                                    "governor extend"]
    assert _subjects(queued) == [("governor extend", LINE["governor extend"]),
                                 ("governor set", LINE["governor set"]),
                                 ("governor extend", LINE["governor extend"])]
    assert all(a["args"]["eta"] > 0 for a in queued)
    executed = {a["args"]["opHash"] for a in by["OperationExecuted"]}
    (cancelled,) = by["OperationCancelled"]
    # the cancelled operation is the victim: queued, never executed
    assert cancelled["args"]["opHash"] == queued[2]["args"]["opHash"] not in executed
    assert {queued[0]["args"]["opHash"], queued[1]["args"]["opHash"]} <= executed
    assert _subjects([cancelled]) == [("guardian cancel", LINE["guardian cancel"])]
    powers = sorted(a["args"]["power"] for a in by["OperationExecuted"])
    assert powers == sorted([
        "guardian pause", "governor extend", "governor set", "guardian cancel",
        "guardian unpause", "guardian pause", "guardian suspend", "guardian resume",
        "guardian set", "solo unblock", "guardian cancel_holds"])
    assert all((a["rule"], a["source"]) == (a["args"]["power"], LINE[a["args"]["power"]])
               for a in by["OperationExecuted"])


def _check_blocks_and_holds(by: dict[str, list[dict[str, Any]]], mallory: str,
                            recipient: str) -> None:
    (blocked,) = by["SenderBlocked"]
    assert blocked["args"]["sender"].lower() == mallory.lower()
    assert blocked["args"]["scope"] == "deposits" and blocked["args"]["until"] > 0
    assert _subjects([blocked]) == [("spam", LINE["spam"])]
    (unblocked,) = by["SenderUnblocked"]
    assert unblocked["args"]["sender"].lower() == mallory.lower()
    assert unblocked["args"]["scope"] == "deposits" and unblocked["severity"] == "info"
    assert _subjects([unblocked]) == [("solo unblock", LINE["solo unblock"])]
    fired = by["BreakerFired"]  # spam against mallory, then big for each held flow
    assert [a["rule"] for a in fired] == ["spam", "big", "big", "big", "huge"]
    assert all(a["source"] == LINE[a["rule"]] and a["args"]["ruleId"] == a["rule"]
               for a in fired)
    *held, longest = by["FlowHeld"]
    assert [a["args"]["holdId"] for a in held] == [1, 2]
    assert longest["args"]["holdId"] == 3 and longest["args"]["amount"] == 35 * TVL // 100
    for a in held:
        assert _subjects([a]) == [("big", LINE["big"])] and a["severity"] == "critical"
        assert a["args"]["amount"] == 6 * TVL // 100 and a["args"]["releaseAt"] > 0
        assert a["args"]["vault"]["name"] == "pool" and a["args"]["asset"]["name"] == "USDC"
        assert a["args"]["recipient"].lower() == recipient.lower()
    overridden = by["ParamOverridden"]
    assert [a["args"]["value"] for a in overridden] == [5] * len(overridden) and overridden
    assert all(_subjects([a]) == [("big", LINE["big"])] for a in overridden)
    (cancelled,) = by["HoldCancelled"]
    assert cancelled["args"] == {"holdId": 2}
    assert _subjects([cancelled]) == [("guardian cancel_holds", LINE["guardian cancel_holds"])]
    (claimed,) = by["HoldClaimed"]
    assert claimed["args"]["holdId"] == 1 and claimed["args"]["amount"] == 6 * TVL // 100
    assert claimed["args"]["recipient"].lower() == recipient.lower()
    assert _subjects([claimed]) == [("big", LINE["big"])] and claimed["severity"] == "info"
