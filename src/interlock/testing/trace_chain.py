"""Replay a backtest trace on Anvil as real transactions, with the generated guard and a monitor.

`deploy_trace_venue` deploys the testkit's token per asset, a `TestVault` per vault that holds
one asset and a `TestEscrow` per vault that holds several (a bridge's escrow; it checks scopes
for the caller, so sender blocks apply), each gated by the scope the trace's flows name for
their direction (`deposits`/`withdrawals` by default), a `TestFeed` per feed and reference,
rewrites the rule file's addresses to them, generates, compiles and deploys the guard and
wires the vaults to it. `replay_trace` then turns each trace block into one mined block —
Anvil runs with automine off and first-in-first-out ordering, so a block holds, in order, the
monitor's transactions decided at the previous block, the feed updates, and the flows (each from
the trace's own sender, impersonated) — at the trace's timestamp shifted to the chain's present.
It reads back what the guard did: `BreakerFired` (by whom, when), reverted and refused flows,
and each scope's `pausedUntil` and each breaker's `firedUntil` after the last block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from web3 import Web3
from web3.logs import DISCARD

from interlock.backtest.reader import TraceReader
from interlock.backtest.trace import Block, Flow, Round
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_file, compile_text
from interlock.ir.addresses import constructor_args
from interlock.ir.nodes import Program
from interlock.runtime.anvil import Anvil
from interlock.runtime.monitor import MonitorConfig
from interlock.testing.contracts import compile_testkit, deploy, deploy_compiled
from interlock.testing.monitor_thread import AGENT_KEY, MonitorThread
from interlock.testing.rewrite import rewrite_addresses

GAS = 500_000  # fixed: a reverting flow is mined (status 0), as a real one would be
ANVIL_ARGS = ("--order", "fifo", "--no-mining")
# The monitor polls heads far slower than it polls its receipts (every 20 ms), so it has seen
# the receipt of its transaction before it processes the block that mined it, as it would with
# 12 s blocks: a decision is in flight for exactly one block (what the backtest models).
HEAD_POLL_S = 0.1
LEAD = 7_200  # chain seconds between the set-up and the trace's first block
SCOPES = {"in": "deposits", "out": "withdrawals"}  # direction -> the scope the vaults check


@dataclass
class TraceVenue:
    node: Anvil
    w3: Web3
    program: Program  # the rewritten rules (stand-in addresses)
    guard: Any
    tokens: dict[str, Any]
    vaults: dict[str, Any]
    feeds: dict[str, Any]
    refs: dict[str, Any]
    deployer: str
    rules_text: str  # the rule file with the stand-ins' addresses
    scopes: dict[str, str]  # flow direction -> the scope every vault checks for it
    escrows: frozenset[str]  # vaults deployed as a `TestEscrow` (several assets)
    funded: set[str] = field(default_factory=set)

    def mine(self, timestamp: int | None = None) -> int:
        if timestamp is not None:
            self.node.rpc("evm_setNextBlockTimestamp", [timestamp])
        self.node.rpc("evm_mine")
        return int(self.w3.eth.block_number)

    def send(self, fn: Any, sender: str) -> str:
        return str(fn.transact({"from": sender, "gas": GAS}).to_0x_hex())

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


def deploy_trace_venue(node: Anvil, rules: str,
                       scopes: dict[str, str] | None = None) -> TraceVenue:
    """Stand-ins and the guard of `rules` on `node` (started with `ANVIL_ARGS`); `scopes`:
    the scope the vaults check per flow direction (default `SCOPES`)."""
    scopes = dict(scopes or SCOPES)
    original = compile_file(rules).program
    assert original is not None, f"{rules} does not check"
    w3 = Web3(Web3.HTTPProvider(node.http_url, request_kwargs={"timeout": 30}))
    deployer = w3.eth.accounts[0]
    kit = compile_testkit()
    mapping: dict[str, str] = {a.address: Account.from_key(AGENT_KEY).address
                               for a in original.agents}
    node.rpc("evm_setAutomine", [True])  # set-up transactions mine at once
    tokens = {a.name: deploy_compiled(w3, kit, "TestToken", a.name, a.name, a.decimals,
                                      sender=deployer) for a in original.assets}
    index = {s.name: s.index for s in original.scopes}
    gates = (index.get(scopes["in"], 0), index.get(scopes["out"], 0))
    vaults = {}
    for v in original.vaults:
        if len(v.holds) == 1:
            vaults[v.name] = deploy_compiled(w3, kit, "TestVault", tokens[v.holds[0]].address,
                                             *gates, sender=deployer)
        else:
            vaults[v.name] = deploy_compiled(w3, kit, "TestEscrow", *gates, sender=deployer)
    feeds, refs = {}, {}
    for f in original.feeds:
        feeds[f.name] = deploy_compiled(w3, kit, "TestFeed", f.decimals, 1, sender=deployer)
        mapping[f.address] = feeds[f.name].address
        if f.reference:
            refs[f.name] = deploy_compiled(w3, kit, "TestFeed", f.decimals, 1, sender=deployer)
            mapping[f.reference] = refs[f.name].address
    mapping.update({a.address: tokens[a.name].address for a in original.assets})
    mapping.update({v.address: vaults[v.name].address for v in original.vaults})
    with open(rules, encoding="utf-8") as fh:
        text = rewrite_addresses(fh.read(), mapping)
    program = compile_text(text, rules).program
    assert program is not None
    compiled = compile_sources(emit_solidity(program), allow_warnings=False)
    c = compiled.contract(f"{program.protocol}Guard")
    guard = deploy(w3, c.abi, c.bytecode, *constructor_args(program), sender=deployer)
    for vault in vaults.values():
        vault.functions.setGuard(guard.address).transact({"from": deployer})
    node.rpc("evm_setAutomine", [False])
    escrows = frozenset(v.name for v in original.vaults if len(v.holds) > 1)
    return TraceVenue(node, w3, program, guard, tokens, vaults, feeds, refs, deployer, text,
                      scopes, escrows)


@dataclass(frozen=True)
class ChainRun:
    """What the guard did, by trace block: firings `(block, breaker, by)` with `by` `flow`
    (the vault's report) or `agent`; stopped flows `(block, index, paused|refused)`."""

    firings: list[tuple[int, str, str]]
    stopped: list[tuple[int, int, str]]
    shift: int  # chain time - trace time
    monitor_log: str
    number_of: dict[int, int] = field(default_factory=dict)  # chain block -> trace block
    fired_at: list[int] = field(default_factory=list)  # trace time of each firing, in order
    # after the last block, in trace time (0: never): per scope, and per breaker
    paused_until: dict[str, int] = field(default_factory=dict)
    fired_until: dict[str, int] = field(default_factory=dict)


def _set_round(v: TraceVenue, feed: Any, rnd: Round, shift: int) -> None:
    v.send(feed.functions.set(rnd.answer, rnd.updated_at + shift), v.deployer)


def _fund(v: TraceVenue, header_balances: dict[str, dict[str, int]]) -> None:
    for vault, assets in header_balances.items():
        for asset, amount in assets.items():
            v.send(v.tokens[asset].functions.mint(v.vaults[vault].address, amount), v.deployer)


def _prepare_sender(v: TraceVenue, flow: Flow) -> None:
    """Impersonate the trace's sender; a depositor gets the tokens and the allowance first."""
    sender = Web3.to_checksum_address(flow.sender)
    if sender not in v.funded:
        v.node.rpc("anvil_impersonateAccount", [sender])
        v.node.rpc("anvil_setBalance", [sender, hex(10**21)])
        v.funded.add(sender)
    if flow.direction == "in":
        token = v.tokens[flow.asset]
        v.send(token.functions.mint(sender, flow.amount), v.deployer)
        v.send(token.functions.approve(v.vaults[flow.vault].address, flow.amount), sender)


def _send_block(v: TraceVenue, b: Block, shift: int) -> list[str]:
    for name, rnd in b.feeds.items():
        _set_round(v, v.feeds[name], rnd, shift)
    for name, rnd in b.references.items():
        _set_round(v, v.refs[name], rnd, shift)
    hashes = []
    for flow in b.flows:
        if flow.scope != v.scopes[flow.direction] or not flow.guarded:
            raise ValueError(f"block {b.block}: a flow `{flow.direction}` through scope "
                             f"`{flow.scope}` (guarded: {flow.guarded}); the venue's vaults "
                             f"check `{v.scopes[flow.direction]}` on every such flow")
        _prepare_sender(v, flow)
        vault = v.vaults[flow.vault].functions
        move = vault.withdraw if flow.direction == "out" else vault.deposit
        args = (v.tokens[flow.asset].address,) if flow.vault in v.escrows else ()
        hashes.append(v.send(move(*args, flow.amount), Web3.to_checksum_address(flow.sender)))
    return hashes


def replay_trace(v: TraceVenue, trace: str | Path, workdir: Path) -> ChainRun:
    """Mine the trace block by block with a monitor running; what the guard did."""
    reader = TraceReader.open(trace)
    header = reader.header
    blocks = reader.blocks()
    _, first = next(blocks)
    shift = v.now() + LEAD - first.time
    _fund(v, header.start.balances)
    for name, rnd in header.start.feeds.items():
        _set_round(v, v.feeds[name], rnd, shift)
    for name, rnd in header.start.references.items():
        _set_round(v, v.refs[name], rnd, shift)
    start = v.mine()
    cfg = MonitorConfig(rpc=v.node.http_url, guard=v.guard.address, start_block=start + 1,
                        checkpoint=str(workdir / "monitor.sqlite"),
                        poll_interval_s=HEAD_POLL_S)
    monitor = MonitorThread(v.program, cfg).start()
    number_of: dict[int, int] = {}  # chain block -> trace block
    flows: dict[str, tuple[int, int]] = {}  # tx hash -> (trace block, index)
    try:
        for b in _chain(first, blocks):
            for i, h in enumerate(_send_block(v, b, shift)):
                flows[h] = (b.block, i)
            mined = v.mine(b.time + shift)
            number_of[mined] = b.block
            monitor.caught_up(mined, timeout=60)  # its transactions are in the pool now
    finally:
        monitor.stop()
    firings, fired_at = _firings(v, start, number_of, shift)
    views = v.guard.functions

    def trace_time(chain_time: int) -> int:
        return chain_time - shift if chain_time else 0

    paused = {s.name: trace_time(views.pausedUntil(s.index).call()) for s in v.program.scopes}
    fired = {b.name: trace_time(views.firedUntil(b.id).call()) for b in v.program.breakers}
    return ChainRun(firings, _stopped(v, flows), shift, monitor.log.getvalue(), number_of,
                    fired_at, paused, fired)


def _chain(first: Block, rest: Any) -> Any:
    yield first
    for _, b in rest:
        yield b


def _firings(v: TraceVenue, start: int, number_of: dict[int, int],
             shift: int) -> tuple[list[tuple[int, str, str]], list[int]]:
    """`BreakerFired` by trace block, and the trace time of each (its block's timestamp)."""
    names = {b.id: b.name for b in v.program.breakers}
    vaults = {x.address.lower() for x in v.vaults.values()}
    out, times = [], []
    for log in v.guard.events.BreakerFired.get_logs(from_block=start):
        block = number_of.get(int(log["blockNumber"]))
        if block is None:
            continue  # mined after the trace's last block
        caller = str(log["args"]["caller"]).lower()
        out.append((block, names[int(log["args"]["ruleId"])],
                    "flow" if caller in vaults else "agent"))
        times.append(int(v.w3.eth.get_block(log["blockNumber"])["timestamp"]) - shift)
    return out, times


def _stopped(v: TraceVenue, flows: dict[str, tuple[int, int]]) -> list[tuple[int, int, str]]:
    out = []
    for tx, (block, index) in flows.items():
        receipt = v.w3.eth.get_transaction_receipt(tx)  # type: ignore[arg-type]
        if receipt["status"] != 1:
            out.append((block, index, "paused"))
            continue
        refused = [lg for vault in v.vaults.values()
                   for lg in vault.events.FlowRefused().process_receipt(receipt,
                                                                        errors=DISCARD)]
        held = [lg for vault in v.vaults.values()
                for lg in vault.events.Held().process_receipt(receipt, errors=DISCARD)]
        if refused or held:
            out.append((block, index, "refused" if refused else "held"))
    return sorted(out)
