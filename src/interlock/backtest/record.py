"""`interlock record`: extract what the rules observe from a node into a trace (docs/commands.md).

For each range of at most `chunk` blocks: `eth_getLogs` for the assets' `Transfer`s out of and
into the vaults, the custom metrics' events and the guard's `FlowRefused` (a flow the guard
refused moved nothing, but it was attempted: the trace keeps it, so a backtest sees what the
guard saw); then, per block, one batch of `eth_getBlockByNumber` and `eth_call`s at that block
(`balanceOf` of every vault, `latestRoundData` of every feed and reference; with the block's
transactions when a `calls` metric needs them). A flow's sender is its transaction's `from`.
Balances are written only where they differ from the running balance (flows already move it);
rounds only where they changed.

Recording goes to `TRACE.partial` and its progress to `TRACE.partial.json` (the next block and the
byte length written), updated after every range; an interrupted run started again with the same
arguments truncates the partial file to that length and continues. The finished trace is renamed
to `TRACE`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi.abi import decode

from interlock.backtest.rpc import Rpc
from interlock.backtest.trace import (
    TRACE_VERSION,
    Block,
    Call,
    Flow,
    Header,
    Log,
    Round,
    StartState,
)
from interlock.backtest.trace import End as EndLine
from interlock.ir.nodes import Program
from interlock.runtime.abi import TRANSFER_TOPIC, event_topic, selector
from interlock.runtime.ingest import READ_TX_GAS
from interlock.runtime.metrics import MetricPlan

FLOW_REFUSED = event_topic("FlowRefused(address,address,uint256,bool)")
BALANCE_OF = selector("balanceOf(address)")
ROUND = selector("latestRoundData()")
Progress = Callable[[int, int], None]  # (blocks done, blocks in all)


@dataclass(frozen=True)
class RecordOptions:
    rpc: str
    first: int
    last: int
    out: Path
    guard: str | None = None
    chunk: int = 500
    withdraw_scope: str | None = None  # the scope a vault's outflows are gated by
    deposit_scope: str | None = None


def _pad(address: str) -> str:
    return "0x" + "0" * 24 + address[2:].lower()


def _addr(topic: str) -> str:
    return "0x" + topic[-40:].lower()


class Recorder:
    def __init__(self, program: Program, opts: RecordOptions) -> None:
        self.program, self.opts, self.rpc = program, opts, Rpc(opts.rpc)
        self.plan = MetricPlan.from_program(program)
        self.vaults = {v.address.lower(): v.name for v in program.vaults}
        self.assets = {a.address.lower(): a.name for a in program.assets}
        self.pairs = [(a.name, a.address.lower(), v.name, v.address.lower())
                      for v in program.vaults for a in program.assets if a.name in v.holds]
        self.feeds = [(f.name, f.address.lower(), "feeds") for f in program.feeds]
        self.feeds += [(f.name, f.reference.lower(), "references")
                       for f in program.feeds if f.reference]
        self.trace_bal: dict[tuple[str, str], int] = {}  # (vault, asset): the trace's world
        self.chain_bal: dict[tuple[str, str], int] = {}
        self.rounds: dict[tuple[str, str], Round] = {}
        self.reads: dict[str, int | None] = {}  # custom state reads, as last recorded
        self.senders: dict[str, str] = {}
        self._txs: list[dict[str, Any]] = []  # the last block read's transactions

    # --- reads --------------------------------------------------------------------------------

    def _state_calls(self, block: int) -> list[tuple[str, list[Any]]]:
        tag = hex(block)
        full = self.plan.needs_transactions()  # `calls` counts the block's transactions
        calls: list[tuple[str, list[Any]]] = [("eth_getBlockByNumber", [tag, full])]
        for _, asset, _, vault in self.pairs:
            data = "0x" + (BALANCE_OF + bytes.fromhex(_pad(vault)[2:])).hex()
            calls.append(("eth_call", [{"to": asset, "data": data}, tag]))
        calls += [("eth_call", [{"to": addr, "data": "0x" + ROUND.hex()}, tag])
                  for _, addr, _ in self.feeds]
        return calls

    def _read_state(self, block: int) -> tuple[int, dict[tuple[str, str], int],
                                               dict[tuple[str, str], Round]]:
        replies = self.rpc.batch(self._state_calls(block))
        ts = int(replies[0]["timestamp"], 16)
        self._txs = [t for t in replies[0]["transactions"] if isinstance(t, dict)]
        bal = {(v, a): int(r, 16) for (a, _, v, _), r in zip(self.pairs, replies[1:],
                                                              strict=False)}
        rounds = {}
        for (name, _, table), raw in zip(self.feeds, replies[1 + len(self.pairs):], strict=True):
            _, answer, _, updated, _ = decode(["uint80", "int256", "uint256", "uint256",
                                               "uint80"], bytes.fromhex(raw[2:]))
            rounds[(table, name)] = Round(answer=int(answer), updated_at=int(updated))
        return ts, bal, rounds

    def _read_values(self, block: int) -> dict[str, int | None]:
        """Every custom state read at `block` as the monitor makes it (gas-capped `eth_call`,
        `state_reads.ReadCall.decode`); None for a read that failed."""
        tag = hex(block)
        calls: list[tuple[str, list[Any]]] = [
            ("eth_call", [{"to": r.to, "data": "0x" + r.data.hex(), "gas": hex(READ_TX_GAS)},
                          tag]) for r in self.plan.reads]
        out: dict[str, int | None] = {}
        for r, raw in zip(self.plan.reads, self.rpc.batch_results(calls), strict=True):
            try:
                out[r.name] = r.decode(bytes.fromhex(str(raw)[2:]))
            except Exception:
                out[r.name] = None  # an RpcFailure (a revert, out of gas) or bad return data
        return out

    def _logs(self, lo: int, hi: int) -> list[dict[str, Any]]:
        rng = {"fromBlock": hex(lo), "toBlock": hex(hi)}
        vaults = [_pad(v) for v in self.vaults]
        assets = list(self.assets)
        queries: list[tuple[str, list[Any]]] = [
            ("eth_getLogs", [{**rng, "address": assets, "topics": [TRANSFER_TOPIC, vaults]}]),
            ("eth_getLogs", [{**rng, "address": assets,
                              "topics": [TRANSFER_TOPIC, None, vaults]}])]
        for d in self.plan.decoders.values():
            queries.append(("eth_getLogs", [{**rng, "address": d.address, "topics": [d.topic]}]))
        if self.opts.guard:
            queries.append(("eth_getLogs", [{**rng, "address": self.opts.guard,
                                             "topics": [FLOW_REFUSED]}]))
        seen: dict[tuple[int, int], dict[str, Any]] = {}
        for reply in self.rpc.batch(queries):
            for log in reply:
                seen[(int(log["blockNumber"], 16), int(log["logIndex"], 16))] = log
        return [seen[k] for k in sorted(seen)]

    def _sender(self, tx: str) -> str:
        if tx not in self.senders:
            self.senders[tx] = str(self.rpc.call("eth_getTransactionByHash", [tx])["from"]).lower()
        return self.senders[tx]

    # --- turning logs into records -----------------------------------------------------------

    def _flow(self, log: dict[str, Any]) -> tuple[Flow, bool] | Log | None:
        """A `Transfer` of a vault: (the flow, it moved); a `FlowRefused`: (the flow, it did
        not); a custom metric's event: the log."""
        topics = [t.lower() for t in log["topics"]]
        address = log["address"].lower()
        tx = log["transactionHash"]
        if topics and topics[0] == FLOW_REFUSED:
            amount, out = decode(["uint256", "bool"], bytes.fromhex(log["data"][2:]))
            flow = self._make_flow(tx, self.vaults.get(_addr(topics[1])),
                                   self.assets.get(_addr(topics[2])), bool(out), int(amount))
            return None if flow is None else (flow, False)
        if topics and topics[0] == TRANSFER_TOPIC and address in self.assets:
            src, dst = _addr(topics[1]), _addr(topics[2])
            amount = int(log["data"], 16)
            out = src in self.vaults
            vault = self.vaults.get(src if out else dst)
            flow = self._make_flow(tx, vault, self.assets[address], out, amount)
            return None if flow is None else (flow, True)
        return Log(tx=tx, address=address, topics=topics, data=log["data"])

    def _make_flow(self, tx: str, vault: str | None, asset: str | None, out: bool,
                   amount: int) -> Flow | None:
        if vault is None or asset is None:
            return None
        scope = self.opts.withdraw_scope if out else self.opts.deposit_scope
        return Flow(tx=tx, sender=self._sender(tx), vault=vault, asset=asset,
                    direction="out" if out else "in", amount=amount, scope=scope)

    def _calls(self, flow_txs: set[str | None]) -> list[Call]:
        """The block's transactions to a contract a `calls` metric counts, other than flows
        (a flow is already a transaction to its vault)."""
        watched = set().union(*self.plan.scope_contracts.values())
        return [Call(tx=t["hash"], sender=t["from"], to=t["to"]) for t in self._txs
                if t.get("to") and t["to"].lower() in watched and t["hash"] not in flow_txs]

    def start_state(self) -> StartState:
        _, bal, rounds = self._read_state(self.opts.first - 1)
        self.trace_bal, self.chain_bal, self.rounds = dict(bal), dict(bal), dict(rounds)
        balances: dict[str, dict[str, int]] = {}
        for (vault, asset), v in bal.items():
            balances.setdefault(vault, {})[asset] = v
        self.reads = self._read_values(self.opts.first - 1)
        return StartState(balances=balances, reads=dict(self.reads),
                          feeds={n: r for (t, n), r in rounds.items() if t == "feeds"},
                          references={n: r for (t, n), r in rounds.items() if t == "references"})

    def blocks(self, lo: int, hi: int) -> Iterator[Block]:
        by_block: dict[int, list[dict[str, Any]]] = {}
        for log in self._logs(lo, hi):
            by_block.setdefault(int(log["blockNumber"], 16), []).append(log)
        for number in range(lo, hi + 1):
            yield self._block(number, by_block.get(number, []))

    def _block(self, number: int, logs: list[dict[str, Any]]) -> Block:
        ts, bal, rounds = self._read_state(number)
        records = [r for r in (self._flow(x) for x in logs) if r is not None]
        flows = [r for r in records if isinstance(r, tuple)]
        for f, moved in flows:
            sign = -1 if f.direction == "out" else 1
            key = (f.vault, f.asset)
            self.trace_bal[key] = self.trace_bal.get(key, 0) + sign * f.amount
            if moved:
                self.chain_bal[key] = self.chain_bal.get(key, 0) + sign * f.amount
        balances: dict[str, dict[str, int]] = {}
        for key, actual in bal.items():
            other = actual - self.chain_bal.get(key, 0)
            if other:  # moved by something else than a flow (a mint, a fee, interest)
                self.trace_bal[key] = self.trace_bal.get(key, 0) + other
                balances.setdefault(key[0], {})[key[1]] = self.trace_bal[key]
            self.chain_bal[key] = actual
        changed = {k: r for k, r in rounds.items() if self.rounds.get(k) != r}
        self.rounds.update(changed)
        values = self._read_values(number)
        reads = {k: v for k, v in values.items() if k not in self.reads or self.reads[k] != v}
        self.reads.update(values)
        return Block(block=number, time=ts, flows=[f for f, _ in flows], balances=balances,
                     calls=self._calls({f.tx for f, _ in flows}),
                     logs=[r for r in records if isinstance(r, Log)],
                     feeds={n: r for (t, n), r in changed.items() if t == "feeds"},
                     references={n: r for (t, n), r in changed.items() if t == "references"},
                     reads=reads)


def record(program: Program, opts: RecordOptions, progress: Progress | None = None) -> Path:
    """Record blocks `opts.first..opts.last` into `opts.out`; resumes a partial recording."""
    partial = opts.out.with_name(opts.out.name + ".partial")
    state = partial.with_name(partial.name + ".json")
    rec = Recorder(program, opts)
    header = Header(format="interlock-trace", version=TRACE_VERSION, name="recorded",
                    kind="recorded", start=rec.start_state(),
                    recorded={"rpc": opts.rpc, "from": opts.first, "to": opts.last,
                              "guard": opts.guard or ""})
    resume = json.loads(state.read_text()) if state.exists() and partial.exists() else None
    if resume is not None and resume.get("header") != header.model_dump_json():
        resume = None  # another recording's leftovers
    if resume is None:
        partial.write_text(header.model_dump_json(exclude_defaults=True) + "\n")
        resume = {"header": header.model_dump_json(), "next": opts.first,
                  "bytes": partial.stat().st_size, "blocks": 0}
        state.write_text(json.dumps(resume))
    else:
        _restore(rec, resume)
        with open(partial, "r+b") as f:
            f.truncate(resume["bytes"])
    total = opts.last - opts.first + 1
    for lo in range(resume["next"], opts.last + 1, opts.chunk):
        hi = min(lo + opts.chunk - 1, opts.last)
        lines = [b.model_dump_json(exclude_defaults=True) + "\n" for b in rec.blocks(lo, hi)]
        with open(partial, "a", encoding="utf-8") as f:
            f.writelines(lines)
            f.flush()
            os.fsync(f.fileno())
        resume.update(next=hi + 1, bytes=partial.stat().st_size,
                      blocks=resume["blocks"] + len(lines), memory=_memory(rec))
        state.write_text(json.dumps(resume))
        if progress is not None:
            progress(hi - opts.first + 1, total)
    with open(partial, "a", encoding="utf-8") as f:
        f.write(EndLine(end=True, blocks=resume["blocks"]).model_dump_json() + "\n")
    _finish(partial, opts.out)
    state.unlink()
    return opts.out


def _memory(rec: Recorder) -> dict[str, Any]:
    """What a resumed run needs to go on exactly where this one stopped."""
    return {"trace": [[k[0], k[1], v] for k, v in rec.trace_bal.items()],
            "chain": [[k[0], k[1], v] for k, v in rec.chain_bal.items()],
            "rounds": [[k[0], k[1], r.model_dump()] for k, r in rec.rounds.items()],
            "reads": rec.reads}


def _restore(rec: Recorder, resume: dict[str, Any]) -> None:
    memory = resume.get("memory")
    if memory is None:
        return
    rec.trace_bal = {(v, a): int(x) for v, a, x in memory["trace"]}
    rec.chain_bal = {(v, a): int(x) for v, a, x in memory["chain"]}
    rec.rounds = {(t, n): Round.model_validate(r) for t, n, r in memory["rounds"]}
    rec.reads = dict(memory.get("reads", {}))


def _finish(partial: Path, out: Path) -> None:
    if out.suffix == ".gz":
        import gzip
        with open(partial, "rb") as src, open(out, "wb") as raw, \
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                dst.write(chunk)
        partial.unlink()
    else:
        partial.replace(out)
