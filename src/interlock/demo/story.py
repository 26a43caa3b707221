"""`interlock demo`: the whole story on a local chain, in one command.

1. prove the SPEC §1 example (`examples/perp_venue.guard`);
2. start Anvil on 127.0.0.1 (a free port), deploy stand-ins for its token, vault and feeds,
   write a demo copy of the rules with their addresses (`stage`), build it with
   `interlock build`, deploy the built guard;
3. start the built monitor module as a process, with the agent key in its environment;
4. replay a drain modelled on Euler Finance's (`scenario`), and the same drain on a vault with
   no guard; show the breaker firing, the blocks and milliseconds to containment, and the funds
   kept in both runs;
5. check `examples/broken/perp_venue_unbounded.guard` and show the violated proof's timeline;
6. stop the monitor and Anvil by pid, and confirm neither process is left;
7. backtest the rules on two library incidents (`interlock backtest`): Euler, which they
   contain, and Beanstalk, which no rule of the language can.

`run_demo` returns the facts (`DemoResult`) the end-to-end test asserts.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.live import Live

from interlock.check import CheckOptions, run_check
from interlock.compiler.solc import SolcError
from interlock.demo import display
from interlock.demo.drain import Outcome, Run, replay
from interlock.demo.monitor_process import MonitorError, MonitorProcess
from interlock.demo.scenario import POOL_TVL, PRESERVED_AT_LEAST, usdc
from interlock.demo.stage import AGENT_KEY, Stage, StageError, setup
from interlock.dsl.frontend import compile_file
from interlock.report.model import FileReport
from interlock.runtime.anvil import Anvil, AnvilError

ROOT = Path(__file__).resolve().parents[3]
VENUE = Path("examples/perp_venue.guard")
BROKEN = Path("examples/broken/perp_venue_unbounded.guard")


@dataclass
class DemoResult:
    proved: list[str] = field(default_factory=list)  # the SPEC example's proved invariants
    guarded: Run | None = None
    bare: Run | None = None
    guard_paused: bool = False
    monitor_decision_ms: float | None = None
    broken_violated: list[str] = field(default_factory=list)
    backtest: dict[str, bool] = field(default_factory=dict)  # library incident -> contained
    pids: dict[str, int] = field(default_factory=dict)  # process -> pid (all stopped)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def find_examples(base: Path | None = None) -> Path:
    """The directory holding `examples/`: the working directory or the source checkout."""
    for candidate in (base, Path.cwd(), ROOT):
        if candidate is not None and (candidate / VENUE).is_file():
            return candidate
    raise FileNotFoundError(f"{VENUE} not found: run `interlock demo` in the repository")


def run_demo(
    console: Console, *, out: Path | None = None, cadence_s: float = 1.5, base: Path | None = None
) -> DemoResult:
    root = find_examples(base)
    result = DemoResult()
    display.header(console)
    display.step(console, 1, "Prove the rules (SPEC §1)")
    venue = _check(console, root / VENUE, "proving")
    console.print(display.proofs(venue))
    result.proved = [p.name for p in venue.properties if p.status == "proved"]
    if len(result.proved) != len(venue.properties) or not venue.properties:
        result.failures.append("the SPEC example is not fully proved")
        return result
    with contextlib.ExitStack() as stack:
        workdir = out or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="il-")))
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            _on_chain(console, stack, root, workdir, cadence_s, result)
        except (AnvilError, MonitorError, SolcError, StageError, OSError) as err:
            result.failures.append(str(err).splitlines()[0])
            console.print(f"[bold red]error:[/] {err}")
    _confirm_stopped(console, result)
    display.step(console, 6 if result.guarded else 3, "A broken variant of the rules")
    console.print(display.rule_diff(venue.source, (root / BROKEN).read_text(encoding="utf-8")))
    broken = _check(console, root / BROKEN, "checking")
    console.print(display.violation(broken))
    result.broken_violated = [p.name for p in broken.properties if p.status == "violated"]
    if not result.broken_violated:
        result.failures.append("the broken variant has no violated property")
    console.print(
        "[dim]`interlock check` exits 1 on this file: in CI that blocks the merge (docs/ci.md).[/]"
    )
    display.step(console, 7 if result.guarded else 4, "Backtest the rules on the incident library")
    _backtest(console, root, result)
    _verdict(console, result)
    return result


BACKTESTS = ("euler-2023-03", "beanstalk-2022-04")


def _backtest(console: Console, root: Path, result: DemoResult) -> None:
    from interlock.backtest.run import BacktestOptions, backtest
    from interlock.backtest.text import render_trace

    traces = [os.path.relpath(root / "examples" / "traces" / f"{n}.jsonl.gz") for n in BACKTESTS]
    console.print(f"[dim]$ interlock backtest {VENUE} {' '.join(traces)}[/]")
    bt = backtest(os.path.relpath(root / VENUE), traces, BacktestOptions())
    for name, t in zip(BACKTESTS, bt.report["traces"], strict=True):
        result.backtest[name] = bool(t["incident"]["contained"])
        lines = render_trace(bt.program, t)
        keep = [x for x in lines if x.strip().startswith(("incident", "contained", "NOT",
                                                          "attacker", "saved", "beyond"))]
        console.print(lines[0].split(":")[0], highlight=False)
        for line in keep:
            console.print(line, highlight=False, markup=False)
    if result.backtest != {"euler-2023-03": True, "beanstalk-2022-04": False}:
        result.failures.append(f"the backtest did not find what docs/backtest.md says: "
                               f"{result.backtest}")


def _check(console: Console, path: Path, verb: str) -> FileReport:
    with console.status(f"{verb} {path.name} ..."):
        report = run_check([os.path.relpath(path)], CheckOptions(timeout_s=60, jobs=2))
    return report.files[0]


def _on_chain(
    console: Console,
    stack: contextlib.ExitStack,
    root: Path,
    workdir: Path,
    cadence_s: float,
    result: DemoResult,
) -> None:
    display.step(console, 2, "Build and deploy on a local chain")
    with console.status("starting anvil ..."):
        node = stack.enter_context(Anvil())
    result.pids["anvil"] = node.pid or 0
    console.print(f"anvil listening on {node.http_url} (pid {node.pid})")
    program = compile_file(str(root / VENUE)).program
    assert program is not None
    with console.status("deploying stand-ins, building the demo copy, deploying the guard ..."):
        stage = setup(node, root / VENUE, program, workdir)
    built = stage.built
    console.print("stand-ins: USDC (TestToken), vault `pool` (TestVault), ETH_USD and reference")
    console.print(f"feeds (TestFeed); three liquidity providers put {usdc(POOL_TVL)} in the pool")
    console.print(f"demo copy of the rules, with those addresses: {stage.rules_path}")
    solc = (built.solc_version or "").split("+")[0]
    console.print(
        f"[dim]$ interlock build {stage.rules_path.name} -o build/[/]  "
        f"({len(built.outputs)} files, solc {solc})"
    )
    console.print(f"[dim]$ interlock deploy build/ --rpc {node.http_url}[/]")
    console.print(f"guard deployed at {stage.guard.address}")
    display.step(console, 3, "Start the monitor")
    module = next(stage.out_dir.glob("*_monitor.py"))
    monitor = stack.enter_context(
        MonitorProcess(
            module, rpc=node.ws_url, guard=stage.guard.address, key=AGENT_KEY, workdir=workdir
        )
    )
    result.pids["monitor"] = monitor.pid or 0
    monitor.wait_for("connected", timeout=60)
    console.print(f"[dim]$ python build/{module.name} --rpc {node.ws_url} \\ [/]")
    console.print(f"[dim]    --guard {stage.guard.address}[/]")
    console.print(f"running (pid {monitor.pid}), agent key {stage.agent} from the environment")
    display.step(console, 4, "Replay the drain")
    console.print(display.scenario_text())
    guarded = _replay_live(console, stage, cadence_s)
    console.print()
    result.guarded = guarded
    decisions = monitor.find("decision", rule="drain", status="sent")
    result.monitor_decision_ms = decisions[0].get("latency_ms") if decisions else None
    scope = stage.program.scope("withdrawals").index
    result.guard_paused = not stage.guard.functions.isActive(scope).call()
    console.print(display.containment(guarded, result.monitor_decision_ms))
    display.step(console, 5, "The same drain without a guard")
    bare = replay(stage, stage.bare_vault, guarded=False, cadence_s=0)
    result.bare = bare
    console.print(display.drain_table(list(bare.outcomes), title="vault without a guard"))
    console.print(display.comparison(guarded, bare))
    _judge(result)


def _replay_live(console: Console, stage: Stage, cadence_s: float) -> Run:
    title = f"vault guarded by {stage.program.protocol}Guard"
    rows: list[Outcome] = []
    with Live(
        display.drain_table(rows, title=title), console=console, refresh_per_second=8
    ) as live:

        def on_step(_index: int, outcome: Outcome) -> None:
            rows.append(outcome)
            live.update(display.drain_table(rows, title=title))

        return replay(stage, stage.vault, guarded=True, cadence_s=cadence_s, on_step=on_step)


def _judge(result: DemoResult) -> None:
    g = result.guarded
    if g is None or g.containment is None:
        result.failures.append("the drain breaker did not fire")
    if not result.guard_paused:
        result.failures.append("the guard did not pause withdrawals")
    if g is not None and g.preserved < PRESERVED_AT_LEAST:
        result.failures.append(f"only {g.preserved:.1%} of the pool was kept")


def _confirm_stopped(console: Console, result: DemoResult) -> None:
    alive = [f"{name} (pid {pid})" for name, pid in result.pids.items() if pid and _alive(pid)]
    if alive:
        result.failures.append(f"still running: {', '.join(alive)}")
    elif result.pids:
        stopped = ", ".join(f"{name} (pid {pid})" for name, pid in result.pids.items())
        console.print(f"[dim]stopped {stopped}: no process left[/]")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return ""


def _verdict(console: Console, result: DemoResult) -> None:
    console.print()
    if result.ok:
        g = result.guarded
        kept = f"{g.preserved:.1%}" if g is not None else "?"
        console.rule(
            f"[bold green]demo passed: every property proved, drain contained, "
            f"{kept} of the pool kept, broken rules caught"
        )
    else:
        console.rule("[bold red]demo failed: " + "; ".join(result.failures))
