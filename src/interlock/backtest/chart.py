"""One chart per trace: the protected asset's TVL with and without the rules, the price, the
firings and the pauses — drawn with matplotlib (Agg, no display needed) to SVG and PNG."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: headless, the same output everywhere

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from interlock.backtest.results import TraceResult
from interlock.ir.nodes import Program

PAUSE_COLOURS = ("#f4a261", "#e76f51", "#8ab17d", "#2a9d8f", "#e9c46a")
plt.rcParams["svg.hashsalt"] = "interlock"  # stable ids in the SVG


def _dates(points: list[tuple[int, int]]) -> list[datetime]:
    return [datetime.fromtimestamp(t, UTC) for t, _ in points]


def figure(program: Program, r: TraceResult) -> Figure:
    """TVL (top; per asset, with and without the rules) and price (bottom), firings as
    vertical lines, each scope's pauses as shaded spans."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    for asset, series in sorted(r.tvl_without.items()):
        scale = 10 ** program.asset(asset).decimals
        top.plot(_dates(series.points), [v / scale for _, v in series.points],
                 linestyle="--", label=f"tvl({asset}) without the rules")
        with_ = r.tvl_with[asset].points
        top.plot(_dates(with_), [v / scale for _, v in with_], label=f"tvl({asset}) with the rules")
    top.set_ylabel("TVL (tokens)")
    for feed, series in sorted(r.prices.items()):
        scale = 10 ** program.feed(feed).decimals
        bottom.plot(_dates(series.points), [v / scale for _, v in series.points],
                    label=f"price({feed})")
    bottom.set_ylabel("price")
    for i, (scope, spans) in enumerate(sorted(r.pauses.items())):
        colour = PAUSE_COLOURS[i % len(PAUSE_COLOURS)]
        for j, (since, until) in enumerate(spans):
            lo, hi = max(since, r.start), min(until, r.end)
            if hi > lo:
                for ax in (top, bottom):
                    ax.axvspan(datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi, UTC),
                               color=colour, alpha=0.2,
                               label=f"{scope} paused" if ax is top and j == 0 else None)
    for f in r.firings:
        for ax in (top, bottom):
            ax.axvline(datetime.fromtimestamp(f.time, UTC), color="#d62828", linewidth=0.8)
    if r.firings:
        top.plot([], [], color="#d62828", linewidth=0.8, label="a breaker fired")
    if r.first_attack is not None:
        top.axvline(datetime.fromtimestamp(r.first_attack[1], UTC), color="black",
                    linestyle=":", label="first malicious transaction")
    top.set_title(f"{r.name} ({r.kind})")
    top.legend(loc="best", fontsize="small")
    if r.prices:
        bottom.legend(loc="best", fontsize="small")
    bottom.set_xlabel("time (UTC)")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def svg(program: Program, r: TraceResult) -> str:
    fig = figure(program, r)
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    plt.close(fig)
    return out.getvalue()


def write_charts(program: Program, r: TraceResult, out_dir: Path) -> list[Path]:
    """`<trace name>.svg` and `.png` in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fig = figure(program, r)
    paths = [out_dir / f"{r.name}.svg", out_dir / f"{r.name}.png"]
    fig.savefig(paths[0], format="svg", metadata={"Date": None})
    fig.savefig(paths[1], format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return paths
