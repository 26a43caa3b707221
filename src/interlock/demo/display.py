"""How the demo looks: rich renderings of its facts (no chain, no logic beyond layout)."""

from __future__ import annotations

import difflib

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from interlock.demo.drain import Outcome, Run
from interlock.demo.scenario import DRAINS, INCIDENT, POOL_TVL, SCALE, STEP_SECONDS, usdc
from interlock.report.model import FileReport
from interlock.report.text import violation_block

STATUS_STYLE = {"proved": "bold green", "violated": "bold red", "unknown": "bold yellow"}
OUTCOME = {
    "drained": ("[red]drained[/]", "the funds left the pool"),
    "refused": ("[green]refused[/]", "the guard skipped the flow"),
    "reverted": ("[green]reverted[/]", "withdrawals are paused"),
}


def header(console: Console) -> None:
    console.print(
        Panel.fit(
            "[bold]Interlock demo[/]: the SPEC §1 perpetuals venue is proved, built and deployed "
            "on a local chain\nwith its monitor, then drained the way "
            f"[bold]{INCIDENT}[/] was.",
            border_style="cyan",
        )
    )


def step(console: Console, number: int, title: str) -> None:
    console.print()
    console.rule(f"[bold cyan]{number}. {title}", align="left")


def proofs(file: FileReport) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=f"{file.path} ({file.protocol})", title_justify="left")
    for column in ("invariant", "says", "status", "how", "time"):
        table.add_column(column)
    lines = file.source.splitlines()
    for p in file.properties:
        how = p.method + (f", depth {p.depth}" if p.depth is not None else "")
        says = ""
        if 0 < p.span.line <= len(lines):
            says = lines[p.span.line - 1].partition(":")[2].split("#")[0].strip()
        table.add_row(
            p.name, says, f"[{STATUS_STYLE[p.status]}]{p.status}[/]", how, f"{p.seconds:.2f}s"
        )
    return table


def drain_table(outcomes: list[Outcome], *, title: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left")
    for name in (
        "#",
        "chain time",
        "models Euler's loss",
        "withdraws",
        "block",
        "result",
        "pool after",
    ):
        table.add_column(
            name,
            justify="left" if name in ("models Euler's loss", "result") else "right",
            no_wrap=True,
        )
    for index, o in enumerate(outcomes):
        seconds = (index + 1) * STEP_SECONDS
        label, _why = OUTCOME[o.status]
        table.add_row(
            str(index + 1),
            f"+{seconds // 60}m{seconds % 60:02d}s",
            f"{o.drain.market} ${o.drain.usd / 1e6:.1f}M",
            usdc(o.drain.amount),
            str(o.block),
            label,
            usdc(o.pool_after),
        )
    return table


def scenario_text() -> Text:
    total = sum(d.usd for d in DRAINS)
    return Text.from_markup(
        f"The attacker replays Euler's six per-market losses (${total / 1e6:.1f}M), scaled "
        f"1:{SCALE:,} to USDC, as six withdrawals from a pool of {usdc(POOL_TVL)}, "
        f"{STEP_SECONDS // 60}m{STEP_SECONDS % 60:02d}s of chain time apart.\n"
        "Rule under test: [bold]breaker drain[/] — when outflow(USDC, 1h) > 10% of tvl(USDC) "
        "then pause withdrawals for 6h."
    )


def containment(run: Run, monitor_ms: float | None) -> Panel:
    c = run.containment
    if c is None:
        return Panel("[bold red]the breaker never fired[/]", border_style="red")
    who = (
        "the monitor's [bold]poke[/] (the guard's own checks at the withdrawals had allowed "
        "each flow; the condition became true between reports)"
        if c.by == "monitor"
        else "the guard itself, when the vault reported the flow (the withdrawal was refused)"
    )
    lines = [
        f"[bold green]breaker `{c.breaker}` fired[/] in block [bold]{c.block}[/], by {who}.",
        f"withdrawals paused for {(c.paused_until - c.fired_at) / 3600:g}h from then (until "
        f"chain time {c.paused_until}): every later withdrawal reverts.",
        f"blocks from the last successful drain (block {c.last_drain_block}) to "
        f"containment: [bold]{c.block - c.last_drain_block}[/]",
    ]
    if c.ms_after_drain is not None:
        lines.append(
            f"from that withdrawal's receipt to withdrawals paused on chain: "
            f"[bold]{c.ms_after_drain:.0f} ms[/] (the attacker's clock)"
        )
    if monitor_ms is not None:
        lines.append(f"the monitor's own clock: block received -> poke sent in {monitor_ms:.0f} ms")
    return Panel("\n".join(lines), title="containment", border_style="green")


def comparison(guarded: Run, bare: Run) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        title="the same drain, with and without Interlock",
        title_justify="left",
    )
    for column in ("", "withdrawals that took funds", "lost", "pool kept", "kept"):
        table.add_column(column, justify="right" if column not in ("",) else "left")
    for name, run in (("with Interlock", guarded), ("without a guard", bare)):
        took = sum(o.status == "drained" for o in run.outcomes)
        style = "green" if run is guarded else "red"
        table.add_row(
            name,
            f"{took} of {len(run.outcomes)}",
            usdc(run.lost),
            usdc(run.pool_after),
            f"[bold {style}]{run.preserved:.1%}[/]",
        )
    return table


def rule_diff(before: str, after: str) -> Text:
    """The rule lines a variant changes (comments and blank lines ignored), as -/+ lines."""

    def rules(text: str) -> list[str]:
        lines = (" ".join(line.split("#")[0].split()) for line in text.splitlines())
        return [line for line in lines if line]

    changed = [
        line
        for line in difflib.unified_diff(rules(before), rules(after), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    out = Text("what the variant changes in the rules:\n")
    for line in changed:
        out.append(f"  {line}\n", style="red" if line.startswith("-") else "green")
    return out


def violation(file: FileReport) -> Group:
    parts: list[Text | Table] = [proofs(file)]
    for p in file.properties:
        if p.status == "violated":
            parts.append(Text("\n".join(violation_block(file, p))))
    return Group(*parts)
