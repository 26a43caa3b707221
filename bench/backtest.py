"""The backtest's speed and memory, printed as a table.

    .venv/bin/python bench/backtest.py [--blocks 100000] [--repeat 3]

Replays a generated trace (12 s blocks; a deposit or withdrawal in one block in eight, feed
posts on a 0.5% move or hourly) through `bench/backtest.guard` (ten breakers over flows, tvl,
price, deviation, staleness, change, calls and a score) and prints blocks per second (target:
>= 20,000; the median of `--repeat` replays, wall-clock and per CPU second of the process, with
the load average: the machine is shared) and the peak memory the replay allocates
(tracemalloc, a further run) for the full trace and for a tenth of it: flat in trace length
means the two are close.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interlock.backtest.run import load_rules, replay  # noqa: E402
from interlock.backtest.trace import Block, Flow, Header, Round, StartState  # noqa: E402
from interlock.backtest.writer import TraceWriter  # noqa: E402

RULES = ROOT / "bench" / "backtest.guard"
T0 = 1_700_000_000
PRICE = 2_000 * 10**8
USDC = 10**6


def write_trace(path: Path, blocks: int) -> Path:
    rng = random.Random(7)
    rnd = Round(answer=PRICE, updated_at=T0)
    header = Header(format="interlock-trace", version=1, name="bench", kind="benign",
                    start=StartState(balances={"pool": {"USDC": 10_000_000 * USDC}},
                                     feeds={"ETH_USD": rnd}, references={"ETH_USD": rnd}))
    price, posted, posted_at = float(PRICE), PRICE, T0
    with TraceWriter(path, header) as w:
        for i in range(blocks):
            t = T0 + 12 * i
            flows = []
            if rng.random() < 0.125:
                out = rng.random() < 0.45
                flows.append(Flow(sender=f"0x{rng.randrange(1000):040x}", vault="pool",
                                  asset="USDC", direction="out" if out else "in",
                                  amount=rng.randint(100, 5_000) * USDC,
                                  scope="withdrawals" if out else "deposits"))
            price *= math.exp(rng.gauss(0, 0.0004))
            feeds, refs = {}, {}
            if abs(price - posted) / posted > 0.005 or t - posted_at >= 3_600:
                posted, posted_at = int(price), t
                feeds = {"ETH_USD": Round(answer=posted, updated_at=t)}
                refs = {"ETH_USD": Round(answer=int(posted * (1 + rng.gauss(0, 0.002))),
                                         updated_at=t)}
            w.write(Block(block=1 + i, time=t, flows=flows, feeds=feeds, references=refs))
    return path


def _peak(program: object, path: Path) -> int:
    tracemalloc.start()
    replay(program, str(path))  # type: ignore[arg-type]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed replays (median)")
    args = parser.parse_args()
    program = load_rules(str(RULES))
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        full = write_trace(Path(tmp) / "full.jsonl.gz", args.blocks)
        tenth = write_trace(Path(tmp) / "tenth.jsonl.gz", args.blocks // 10)
        load_before = os.getloadavg()[0]
        for _ in range(args.repeat):
            start, cpu = time.perf_counter(), time.process_time()
            result = replay(program, str(full))
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        load_after = os.getloadavg()[0]
        peaks = _peak(program, tenth), _peak(program, full)  # slow: tracemalloc traces all
    seconds, cpu_seconds = statistics.median(walls), statistics.median(cpus)
    rate, cpu_rate = result.blocks / seconds, result.blocks / cpu_seconds
    print(f"rules: {RULES.relative_to(ROOT)} ({len(program.breakers)} breakers); median of "
          f"{args.repeat} runs ({', '.join(f'{w:.2f}s' for w in walls)}); load average "
          f"{load_before:.1f} before, {load_after:.1f} after, {os.cpu_count()} cores")
    print(f"{'blocks':>10} {'seconds':>8} {'blocks/s':>10} {'per cpu-s':>10} {'target':>8} "
          f"{'firings':>8}")
    print(f"{result.blocks:>10,} {seconds:>8.2f} {rate:>10,.0f} {cpu_rate:>10,.0f} "
          f"{'20,000':>8} {len(result.firings):>8} {'met' if rate >= 20_000 else 'NOT MET'}")
    print(f"peak memory of the replay: {peaks[0] / 2**20:.1f} MiB for {args.blocks // 10:,} "
          f"blocks, {peaks[1] / 2**20:.1f} MiB for {args.blocks:,}")


if __name__ == "__main__":
    main()
