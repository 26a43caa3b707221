"""Backtests of rules that use custom state reads: traces (version 2) carry each read's value per
block, `interlock record` records them from a node, and a trace without them is refused with
an error naming the read."""

from __future__ import annotations

from pathlib import Path

import pytest
from web3 import Web3

from interlock.backtest.reader import TraceError, TraceReader
from interlock.backtest.record import RecordOptions, record
from interlock.backtest.run import load_rules, replay
from interlock.backtest.trace import TRACE_VERSION, Block, Header, StartState
from interlock.runtime.anvil import Anvil
from interlock.testing.contracts import compile_testkit, deploy_compiled
from tests.backtest.tracekit import T0, USDC, write

DEBT = "0x5555555555555555555555555555555555555555"
RULES = """protocol Market
signer alice 0x1111111111111111111111111111111111111111
signer bob 0x2222222222222222222222222222222222222222
agent watcher 0x6666666666666666666666666666666666666666
role guardian = 2 of [alice, bob]
scope borrow
asset USDC {usdc} decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
read debt = call {debt} "totalSupply()(uint256)" USDC
breaker utilisation {{
  when debt > 9 * tvl(USDC)
  then pause borrow for 6h
  cooldown 12h
}}
allow guardian to unpause *
"""
USDC_ADDRESS = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"


def _rules(usdc: str = USDC_ADDRESS, debt: str = DEBT):  # type: ignore[no-untyped-def]
    return load_rules("market.guard", RULES.format(usdc=usdc, debt=debt))


def _header(reads: dict[str, int | None] | None) -> Header:
    start = StartState(balances={"pool": {"USDC": 300_000 * USDC}},
                       reads={} if reads is None else reads)
    return Header(format="interlock-trace", version=TRACE_VERSION, name="reads", kind="benign",
                  start=start)


def test_a_read_crossing_its_threshold_trips_one_block_later(tmp_path: Path) -> None:
    # 9 x 300k = 2.7M: the debt of 2.7M does not trip, 2.7M + 1 base unit does (block 104,
    # decided there, mined at 105); a failed read (null) at block 106 changes nothing
    blocks = [Block(block=100 + i, time=T0 + 12 * i) for i in range(8)]
    blocks[2] = Block(block=102, time=T0 + 24, reads={"debt": 2_700_000 * USDC})
    blocks[4] = Block(block=104, time=T0 + 48, reads={"debt": 2_700_000 * USDC + 1})
    blocks[6] = Block(block=106, time=T0 + 72, reads={"debt": None})
    r = replay(_rules(), str(write(tmp_path / "t.jsonl", blocks, _header({"debt": 0}))))
    assert [(f.breaker, f.block, f.by) for f in r.firings] == [("utilisation", 105, "trip")]
    assert [(c.decided, c.block, c.accepted) for c in r.agent] == [(104, 105, True)]


def test_a_failed_read_never_trips(tmp_path: Path) -> None:
    # the read fails from the start; a value above the threshold arrives only at block 103
    blocks = [Block(block=100 + i, time=T0 + 12 * i) for i in range(6)]
    blocks[3] = Block(block=103, time=T0 + 36, reads={"debt": 10**13})
    r = replay(_rules(), str(write(tmp_path / "t.jsonl", blocks, _header({"debt": None}))))
    assert [(f.breaker, f.block) for f in r.firings] == [("utilisation", 104)]


def test_a_trace_without_the_read_is_refused_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", [Block(block=1, time=T0)], _header(None))
    with pytest.raises(TraceError, match="no values of read `debt`"):
        replay(_rules(), str(path))
    other = write(tmp_path / "u.jsonl", [Block(block=1, time=T0, reads={"credit": 5})],
                  _header({"debt": 0}))
    with pytest.raises(TraceError, match="declare no read `credit`"):
        replay(_rules(), str(other))


@pytest.mark.anvil
@pytest.mark.evm
def test_record_keeps_each_reads_value_and_its_failures(tmp_path: Path) -> None:
    with Anvil() as node:
        w3 = Web3(Web3.HTTPProvider(node.http_url))
        kit = compile_testkit()
        token = deploy_compiled(w3, kit, "TestToken", "USD Coin", "USDC", 6)
        debt = deploy_compiled(w3, kit, "TestDebtToken")
        program = _rules(token.address, debt.address)

        def tx(fn):  # type: ignore[no-untyped-def]
            w3.eth.wait_for_transaction_receipt(fn.transact({"from": w3.eth.accounts[0]}))
            return int(w3.eth.block_number)

        first = tx(debt.functions.setSupply(7 * USDC)) + 1
        tx(token.functions.mint("0x7777777777777777777777777777777777777777", 100 * USDC))
        broken = tx(debt.functions.setMode(1))
        mended = tx(debt.functions.setMode(0))
        high = tx(debt.functions.setSupply(2_000 * USDC))
        node.rpc("evm_mine")
        out = record(program, RecordOptions(rpc=node.http_url, first=first, last=high + 1,
                                            out=tmp_path / "rec.jsonl", chunk=2))
        reader = TraceReader.open(out)
        assert reader.header.version == TRACE_VERSION
        assert reader.header.start.reads == {"debt": 7 * USDC}
        changed = {b.block: b.reads for _, b in reader.blocks() if b.reads}
        reader.close()
        assert changed == {broken: {"debt": None}, mended: {"debt": 7 * USDC},
                           high: {"debt": 2_000 * USDC}}
        r = replay(program, str(out))
        # 2,000 > 9 x 100 USDC once the debt is set: decided at its block, mined at the next
        assert [(f.breaker, f.block, f.by) for f in r.firings] == [
            ("utilisation", high + 1, "trip")]
