"""The monitor's speed, printed as tables.

    .venv/bin/python bench/monitor.py [--rounds 40] [--seconds 3]

1. In process: breaker evaluations per second — `evaluate.decide` over the venue of
   tests/runtime/monitor_kit.py (seven breakers, a score, a per-sender rule) with varied metric
   values, each breaker condition counted once (`Outcome.evaluated`), per wall-clock second and
   per second of this process's CPU (what a dedicated core gives). Target: >= 100,000/s.
2. On Anvil (WebSocket): the testkit venue, its generated guard and the generated monitor
   module run as its own process (its JSON log gives the timings). Each round moves the price
   4% off its reference (making `oracle_divergence` true), waits for the monitor's poke, then
   moves the price back and lets the effects expire. Reported:
   - decision latency: from the monitor receiving the new head to the trip transaction being
     sent (the monitor's own clock; target p99 < 50 ms);
   - from the triggering transaction's receipt (seen by this script) to the trip being sent
     (wall clocks of two processes, millisecond resolution);
   - from receiving the head to the trip being mined.
3. Under log load (`--load`, default 0,1000,10000): the same, each trigger block also carrying
   N `Transfer` logs of the vault's own token, for a feed rule (`oracle_divergence`, target
   p99 < 50 ms) and an outflow rule (`drain`: a 60k withdrawal and an unreported loss of 500k
   in the same block, target p99 < 250 ms): decision latency from the head, per load. Two
   kinds of logs: unrelated ones between other addresses (NoisyToken.noise; the node's log
   filter leaves them out) and, for a bank run, N real transfers of 1 out of the vault
   (NoisyToken.outOf), which the outflow rule must fetch and count.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "runtime")]

from monitor_chain import AGENT_KEY, PRICE, deploy_venue, wait_for  # noqa: E402
from monitor_chain import USDC as USDC_UNIT  # noqa: E402
from monitor_kit import (  # noqa: E402
    CHANGE,
    DEV,
    INFLOW,
    OUTFLOW,
    STALENESS,
    TVL,
    WAD,
    venue_program,
)
from monitor_kit import PRICE as FEED_PRICE  # noqa: E402

from interlock.compiler.monitor_gen import emit_monitor  # noqa: E402
from interlock.compiler.solc import compile_sources  # noqa: E402
from interlock.runtime.anvil import Anvil  # noqa: E402
from interlock.runtime.evaluate import RulePlan, decide  # noqa: E402
from interlock.runtime.metrics import AtomValues, MetricPlan  # noqa: E402
from interlock.semantics import initial_state  # noqa: E402
from interlock.testing.contracts import testkit_sources  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_in_process(seconds: float) -> tuple[int, float, float]:
    program = venue_program()
    rules = RulePlan.for_program(program)
    state = initial_state(program, 1_800_000_000)
    rng = random.Random(1)
    plan = MetricPlan.from_program(program)
    samples = [  # as `MetricState.values` hands them to `decide`
        AtomValues({OUTFLOW: rng.randint(0, 200_000), INFLOW: rng.randint(0, 200_000),
                    TVL: 1_000_000, DEV: rng.randint(0, 5 * WAD // 100),
                    CHANGE: rng.randint(0, WAD // 10),
                    FEED_PRICE: rng.randint(1_980, 2_100) * 10**8,
                    STALENESS: rng.randint(0, 4 * 3600)}, plan.instances)
        for _ in range(1000)
    ]
    evaluated, i = 0, 0
    start, cpu0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            evaluated += decide(program, rules, state, samples[i % 1000], {}, block=1).evaluated
            i += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    return evaluated, evaluated / elapsed, evaluated / cpu


def bench_anvil(rounds: int, workdir: Path) -> dict[str, list[float]]:
    """The generated monitor as its own process (as an operator runs it); its JSON log gives
    the decision and mining latencies, wall clocks compare the trigger receipt to the send."""
    out: dict[str, list[float]] = {"decision": [], "receipt_to_sent": [], "mined": [],
                                   "cpu": []}
    with Anvil() as node:
        venue = deploy_venue(node)
        (name, source), = emit_monitor(venue.program).items()
        module, log = workdir / name, workdir / "monitor.log"
        module.write_text(source)
        env = {**os.environ, "AGENT_KEY": AGENT_KEY}
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, str(module), "--rpc", node.ws_url, "--guard",
                 venue.guard.address, "--checkpoint", str(workdir / "m.sqlite"),
                 "--key-env", "AGENT_KEY"], stdout=subprocess.DEVNULL, stderr=sink, env=env)
        try:
            wait_for(lambda: '"event": "connected"' in log.read_text(), 30, "no monitor")
            receipts: list[float] = []
            for _ in range(rounds):
                venue.set_price(PRICE * 104 // 100)
                receipts.append(time.time())
                wait_for(lambda: venue.guard.functions.isSuspended(0).call(), 20,
                         log.read_text()[-2000:])
                venue.set_price(PRICE)
                venue.advance(2 * 3600 + 1)  # the suspension, the pause and `tighten` expire
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    events = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    sent = [e for e in events if e["event"] == "decision" and e["status"] == "sent"]
    out["decision"] = [e["latency_ms"] / 1000 for e in sent]
    out["mined"] = [e["mined_s"] for e in events if e["event"] == "trip_mined"]
    out["cpu"] = [e["cpu_ms"] / 1000 for e in events if e["event"] == "block" and e["decisions"]]
    pokes = [e["ts"] for e in sent if e["rule"] == "oracle_divergence"]
    out["receipt_to_sent"] = [max(p - r, 0.0) for r, p in zip(receipts, pokes, strict=False)]
    return out


def _start_monitor(venue: Any, workdir: Path, log: Path) -> subprocess.Popen[bytes]:
    (name, source), = emit_monitor(venue.program).items()
    module = workdir / name
    module.write_text(source)
    env = {**os.environ, "AGENT_KEY": AGENT_KEY}
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, str(module), "--rpc", venue.node.ws_url, "--guard",
             venue.guard.address, "--checkpoint", str(workdir / "m.sqlite"),
             "--key-env", "AGENT_KEY"], stdout=subprocess.DEVNULL, stderr=sink, env=env)


def _noisy_kit() -> tuple[Any, str]:
    here = ROOT / "src" / "interlock" / "testing" / "NoisyToken.sol"
    sources = {"TestToken.sol": testkit_sources()["TestToken.sol"],
               "NoisyToken.sol": here.read_text()}
    return compile_sources(sources, allow_warnings=False), "NoisyToken"


def _one_block(venue: Any, noise: int, triggers: list[tuple[Any, str]],
               from_vault: bool) -> None:
    """The trigger transactions `(call, sender)` and `noise` Transfer logs (out of the vault,
    or unrelated) mined in one block."""
    venue.node.rpc("evm_setAutomine", [False])
    try:
        if noise:
            t = venue.token.functions
            call = t.outOf(venue.vault.address, noise) if from_vault else t.noise(noise)
            call.transact({"from": venue.deployer, "gas": 60_000_000})
        for trigger, sender in triggers:
            trigger.transact({"from": sender, "gas": 500_000})
        venue.node.rpc("evm_mine")
    finally:
        venue.node.rpc("evm_setAutomine", [True])


Load = tuple[int, str, str]  # (logs per block, their kind, rule kind)


def bench_load(loads: list[int], rounds: int, workdir: Path) -> dict[Load, list[float]]:
    """Decision latency (head -> sent, ms) per (load, kind of logs, rule kind)."""
    out: dict[Load, list[float]] = {}
    kit = _noisy_kit()
    for load in loads:
        for logs in ("unrelated", "out of the vault") if load else ("none",):
            run_dir = workdir / f"w{load}{logs[0]}"
            run_dir.mkdir()
            feed, flow = _load_run(load, rounds, kit, run_dir, logs == "out of the vault")
            out[(load, logs, "feed")], out[(load, logs, "outflow")] = feed, flow
    return out


def _load_run(load: int, rounds: int, kit: tuple[Any, str], run_dir: Path, from_vault: bool
              ) -> tuple[list[float], list[float]]:
    log = run_dir / "monitor.log"
    with Anvil(extra_args=("--gas-limit", "100000000")) as node:
        venue = deploy_venue(node, token_kit=kit)
        proc = _start_monitor(venue, run_dir, log)
        g = venue.guard.functions
        try:
            wait_for(lambda: '"event": "connected"' in log.read_text(), 30, "no monitor")
            for _ in range(rounds):
                _one_block(venue, load, [(venue.feed.functions.setAnswer(PRICE * 104 // 100),
                                          venue.deployer)], from_vault)
                wait_for(lambda: g.isSuspended(0).call(), 30, log.read_text()[-2000:])
                venue.set_price(PRICE)
                venue.advance(2 * 3600 + 1)
                tvl = int(venue.token.functions.balanceOf(venue.vault.address).call())
                # a 60k withdrawal the guard allows and an unreported loss of 500k: the
                # outflow is above 10% of what is left, for the monitor's poke of `drain`
                _one_block(venue, load, [
                    (venue.vault.functions.withdraw(60_000 * USDC_UNIT), venue.users[0]),
                    (venue.token.functions.setBalance(venue.vault.address,
                                                      tvl - 560_000 * USDC_UNIT),
                     venue.deployer)], from_vault)
                wait_for(lambda: not g.isActive(1).call(), 30, log.read_text()[-2000:])
                # the 6h pause, then the 24h cooldown after it; the feed answers in the same
                # block (else `feed_health` finds it 31h stale and suspends it)
                venue.node.rpc("evm_increaseTime", [31 * 3600])
                venue.set_price(PRICE)
                venue.tx(venue.token.functions.setBalance(venue.vault.address, tvl))
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    events = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    sent = [e for e in events if e["event"] == "decision" and e["status"] == "sent"]
    return ([e["latency_ms"] for e in sent if e["rule"] == "oracle_divergence"],
            [e["latency_ms"] for e in sent if e["rule"] == "drain"])


def print_load(lat: dict[Load, list[float]], rounds: int) -> None:
    print(f"\n## Decision latency under log load ({rounds} rounds per load)\n")
    print("| Transfer logs in the block | rule | n | p50 ms | p99 ms | max ms | target |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | --- |")
    for (load, logs, kind), xs in sorted(lat.items()):
        target = 50 if kind == "feed" else 250
        where = f"{load:,} ({logs})" if load else "0"
        if not xs:
            print(f"| {where} | {kind} | 0 | - | - | - | p99 < {target} ms: no data |")
            continue
        p99 = pct(xs, 99)
        met = "met" if p99 < target else "MISSED"
        print(f"| {where} | {kind} | {len(xs)} | {statistics.median(xs):.1f} | {p99:.1f} "
              f"| {max(xs):.1f} | p99 < {target} ms: {met} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--load", default="0,1000,10000", help="Transfer logs per trigger block")
    ap.add_argument("--load-rounds", type=int, default=10)
    ap.add_argument("--only-load", action="store_true", help="run the load table only")
    args = ap.parse_args(argv)
    loads = [int(x) for x in args.load.split(",") if x]
    if args.only_load:
        with tempfile.TemporaryDirectory() as tmp:
            print_load(bench_load(loads, args.load_rounds, Path(tmp)), args.load_rounds)
        return 0

    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores)\n")
    n, rate, cpu_rate = bench_in_process(args.seconds)
    print("## Rule evaluation in process\n")
    print("| evaluations | per wall second | per CPU second | target (per CPU second) |")
    print("| ---: | ---: | ---: | ---: |")
    met = "(met)" if cpu_rate >= 100_000 else "(MISSED)"
    print(f"| {n:,} | {rate:,.0f} | {cpu_rate:,.0f} | >= 100,000 {met} |")

    with tempfile.TemporaryDirectory() as tmp:
        lat = bench_anvil(args.rounds, Path(tmp))
    print(f"\n## Trip latency on Anvil over WebSocket ({args.rounds} rounds)\n")
    print("| from -> to | n | p50 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = [("head received -> trip sent (decision)", "decision"),
            ("trigger receipt -> trip sent", "receipt_to_sent"),
            ("head received -> trip mined", "mined"),
            ("CPU of the monitor per block with decisions", "cpu")]
    for label, key in rows:
        xs = [x * 1000 for x in lat[key]]
        if xs:
            print(f"| {label} | {len(xs)} | {statistics.median(xs):.1f} | {pct(xs, 99):.1f} "
                  f"| {max(xs):.1f} |")
    p99 = pct([x * 1000 for x in lat["decision"]], 99) if lat["decision"] else float("inf")
    print(f"\ndecision p99 target < 50 ms: {'met' if p99 < 50 else 'MISSED'}")
    with tempfile.TemporaryDirectory() as tmp:
        print_load(bench_load(loads, args.load_rounds, Path(tmp)), args.load_rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
