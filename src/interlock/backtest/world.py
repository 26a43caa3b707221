"""A trace's names resolved against a program, and its records turned into what the monitor sees.

The trace names vaults, assets and feeds as the rule file declares them; the monitor's metric
code (`interlock.runtime.metrics`) works on addresses and logs. `World` is that translation: a
flow becomes the `Transfer` log its token would emit, a flow or a call the transaction the
`calls` metric counts, a round the feed read at the block, a read's value the `eth_call`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from interlock.backtest.reader import MISMATCH, TraceError
from interlock.backtest.trace import Block, Flow, Header, Log
from interlock.ir.nodes import Program
from interlock.runtime.abi import TRANSFER_TOPIC
from interlock.runtime.metrics import MetricPlan
from interlock.runtime.observe import LogEntry, TxEntry

Pair = tuple[str, str]  # (asset address, vault address): a `balanceOf` read


def _topic(address: str) -> str:
    return "0x" + "0" * 24 + address[2:].lower()


@dataclass(frozen=True)
class World:
    program: Program
    path: str
    vault: dict[str, str]  # name -> lower-case address
    asset: dict[str, str]
    feed: dict[str, str]
    reference: dict[str, str]
    holds: frozenset[tuple[str, str]]  # (vault name, asset name)

    @classmethod
    def of(cls, program: Program, path: str) -> World:
        return cls(
            program=program,
            path=path,
            vault={v.name: v.address.lower() for v in program.vaults},
            asset={a.name: a.address.lower() for a in program.assets},
            feed={f.name: f.address.lower() for f in program.feeds},
            reference={f.name: f.reference.lower() for f in program.feeds if f.reference},
            holds=frozenset((v.name, a) for v in program.vaults for a in v.holds),
        )

    def pair(self, vault: str, asset: str) -> Pair:
        return (self.asset[asset], self.vault[vault])

    # --- checks against the rules ------------------------------------------------------------

    def fail(self, line: int, message: str) -> TraceError:
        return TraceError(self.path, line, MISMATCH, message)

    def check_header(self, header: Header, plan: MetricPlan) -> None:
        start = header.start
        for vault, assets in start.balances.items():
            for asset in assets:
                self._check_held(1, vault, asset)
        for asset in sorted({a.target for a in plan.atoms if a.kind == "tvl"}):
            for v in self.program.vaults:
                if asset in v.holds and asset not in start.balances.get(v.name, {}):
                    raise self.fail(1, f"`start.balances` has no `{asset}` balance of vault "
                                    f"`{v.name}`, which `tvl({asset})` reads")
        for atom in plan.atoms:
            feed_read = atom.kind in ("price", "deviation", "staleness", "change")
            if feed_read and atom.target not in start.feeds:
                raise self.fail(1, f"`start.feeds` has no round of `{atom.target}`, which "
                                f"`{atom.kind}({atom.target})` reads")
            if atom.kind == "deviation" and atom.target not in start.references:
                raise self.fail(1, f"`start.references` has no round of `{atom.target}`'s "
                                "reference feed, which `deviation` reads")
        self.check_rounds(1, start.feeds, start.references)
        self.check_reads(1, start.reads)
        for r in plan.reads:
            if r.name not in start.reads:
                raise self.fail(1, f"the trace has no values of read `{r.name}`, which the "
                                "rules use (`start.reads`, trace version 2: record the trace "
                                "with `interlock record` from a node)")

    def check_reads(self, line: int, reads: Mapping[str, object]) -> None:
        declared = {r.name for r in self.program.reads}
        for name in reads:
            if name not in declared:
                raise self.fail(line, f"the rules declare no read `{name}`")

    def check_rounds(self, line: int, feeds: Mapping[str, object],
                     refs: Mapping[str, object]) -> None:
        for name in feeds:
            if name not in self.feed:
                raise self.fail(line, f"the rules declare no feed `{name}`")
        for name in refs:
            if name not in self.reference:
                raise self.fail(line, f"feed `{name}` has no reference feed in the rules")

    def _check_held(self, line: int, vault: str, asset: str) -> None:
        if vault not in self.vault:
            raise self.fail(line, f"the rules declare no vault `{vault}`")
        if asset not in self.asset:
            raise self.fail(line, f"the rules declare no asset `{asset}`")
        if (vault, asset) not in self.holds:
            raise self.fail(line, f"vault `{vault}` does not hold `{asset}` in the rules")

    def check_block(self, line: int, block: Block) -> None:
        for f in block.flows:
            self._check_held(line, f.vault, f.asset)
            if f.scope is not None and f.scope not in {s.name for s in self.program.scopes}:
                raise self.fail(line, f"the rules declare no scope `{f.scope}`")
        for vault, assets in block.balances.items():
            for asset in assets:
                self._check_held(line, vault, asset)
        self.check_rounds(line, block.feeds, block.references)
        self.check_reads(line, block.reads)

    # --- what the monitor sees ---------------------------------------------------------------

    def transfer(self, flow: Flow, tx: str, index: int) -> LogEntry:
        vault = self.vault[flow.vault]
        src, dst = (vault, flow.sender) if flow.direction == "out" else (flow.sender, vault)
        return LogEntry(self.asset[flow.asset], (TRANSFER_TOPIC, _topic(src), _topic(dst)),
                        flow.amount.to_bytes(32, "big"), tx, index)

    def flow_tx(self, flow: Flow, tx: str) -> TxEntry:
        return TxEntry(tx, flow.sender.lower(), self.vault[flow.vault])

    @staticmethod
    def log(log: Log, tx: str, index: int) -> LogEntry:
        return LogEntry(log.address.lower(), tuple(t.lower() for t in log.topics),
                        bytes.fromhex(log.data[2:]), tx, index)
