"""Plain declarations -> IR: signers, agents, scopes, assets, vaults, feeds, custom metrics
(params are in `params`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from interlock.dsl import ast
from interlock.dsl.analysis.common import (
    Sink,
    Symbols,
    address,
    integer,
    seconds,
    window,
)
from interlock.ir import codes as C
from interlock.ir import nodes as ir
from interlock.ir.diagnostics import Label

MAX_DECIMALS = 77  # 10**77 < 2**256
_ABI_TYPE = re.compile(
    r"^(address|bool|string|bytes([1-9]|[12][0-9]|3[0-2])?|u?int(8|16|24|32|40|48|56|64|72|80|88"
    r"|96|104|112|120|128|136|144|152|160|168|176|184|192|200|208|216|224|232|240|248|256)?)"
    r"(\[[0-9]*\])*$")


def _signature(ev: ast.Event) -> ir.EventSignature:
    """The event as declared, names and `indexed` flags kept so the monitor decodes topics and
    data exactly. A parameter written as its type alone says nothing about `indexed`."""
    return ir.EventSignature(name=ev.name, params=tuple(
        ir.EventParam(type=p.type, name=p.name,
                      indexed=p.indexed if p.indexed or p.name else None)
        for p in ev.params))


class Addresses:
    """Checks every address (format, checksum) and that none appears twice."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.seen: dict[str, ast.Address] = {}

    def check(self, addr: ast.Address) -> str:
        value = address(addr, self.sink)
        if value is None:
            return addr.text
        first = self.seen.get(value)
        if first is not None:
            self.sink.error(C.DUPLICATE_ADDRESS, f"address `{addr.text}` appears twice",
                            addr.span, labels=[Label(span=first.span, message="first here")])
        else:
            self.seen[value] = addr
        return value


def options(opts: Sequence[ast.Option], sink: Sink) -> dict[str, ast.Option]:
    found: dict[str, ast.Option] = {}
    for opt in opts:
        if opt.key in found:
            sink.error(C.DUPLICATE_OPTION, f"`{opt.key}` is given twice", opt.span,
                       labels=[Label(span=found[opt.key].span, message="first here")])
            continue
        found[opt.key] = opt
    return found


def _duration(opt: ast.Option | None) -> ast.Duration | None:
    if opt is None:
        return None
    assert isinstance(opt.value, ast.Duration)
    return opt.value


def signer(d: ast.SignerDecl, index: int, addrs: Addresses) -> ir.Signer:
    entity = d.entity.text if d.entity else d.name.text
    return ir.Signer(name=d.name.text, address=addrs.check(d.address), entity=entity,
                     index=index, span=d.span)


def agent(d: ast.AgentDecl, addrs: Addresses) -> ir.Agent:
    return ir.Agent(name=d.name.text, address=addrs.check(d.address), span=d.span)


def scope(d: ast.ScopeDecl, index: int, sink: Sink) -> ir.Scope:
    opts = options(d.options, sink)
    max_d, gap_d = _duration(opts.get("max")), _duration(opts.get("gap"))
    return ir.Scope(
        name=d.name.text, index=index,
        max_pause=seconds(max_d, sink, "a scope's `max`", positive=True) if max_d else None,
        gap=seconds(gap_d, sink, "a scope's `gap`", positive=False) if gap_d else None,
        span=d.span)


def _decimals(num: ast.Number, sink: Sink) -> int:
    value = integer(num, sink, "decimals", lo=0, hi=MAX_DECIMALS)
    return 0 if value is None else value


def asset(d: ast.AssetDecl, addrs: Addresses, sink: Sink) -> ir.Asset:
    return ir.Asset(name=d.name.text, address=addrs.check(d.address),
                    decimals=_decimals(d.decimals, sink), span=d.span)


def vault(d: ast.VaultDecl, addrs: Addresses, symbols: Symbols, sink: Sink) -> ir.Vault:
    holds: list[str] = []
    for name in d.holds:
        if name.text in holds:
            sink.error(C.LISTED_TWICE, f"`{name.text}` is listed twice", name.span)
        elif symbols.resolve(name, ("asset",)) is not None:
            holds.append(name.text)
    return ir.Vault(name=d.name.text, address=addrs.check(d.address), holds=tuple(holds),
                    span=d.span)


def feed(d: ast.FeedDecl, index: int, addrs: Addresses, sink: Sink) -> ir.Feed:
    opts = options(d.options, sink)
    ref = opts.get("reference")
    reference = None
    if ref is not None:
        assert isinstance(ref.value, ast.Address)
        reference = addrs.check(ref.value)
    hb = _duration(opts.get("heartbeat"))
    quote = opts.get("quote")
    return ir.Feed(name=d.name.text, index=index, address=addrs.check(d.address),
                   decimals=_decimals(d.decimals, sink), reference=reference,
                   heartbeat=seconds(hb, sink, "a heartbeat", positive=True) if hb else None,
                   span=d.span,
                   quote=quote.value.text if quote and isinstance(quote.value, ast.Name) else None)


def metric(d: ast.MetricDecl, addrs: Addresses, symbols: Symbols, sink: Sink,
           resolved: dict[str, str]) -> ir.CustomMetric | None:
    """`resolved` maps declared names that carry an address to that address."""
    if isinstance(d.at, ast.Address):
        at = address(d.at, sink) or d.at.text  # may repeat a declared contract's address
    else:
        sym = symbols.resolve(d.at, ("asset", "vault", "feed"))
        if sym is None:
            return None
        at = resolved[d.at.text]
    win = window(d.window, sink)
    field_name = d.field_name.text if d.field_name else None
    if d.aggregate == "sum" and field_name is None:
        sink.error(C.BAD_AGGREGATE_FIELD, "`sum` needs the event field to add up, e.g. "
                                          "`Event(uint256 amount).amount`", d.event.span)
        return None
    if d.aggregate == "count" and field_name is not None:
        sink.error(C.BAD_AGGREGATE_FIELD, "`count` counts events and takes no field",
                   d.field_name.span if d.field_name else d.span)
        return None
    if field_name is not None and field_name not in {p.name for p in d.event.params}:
        assert d.field_name is not None
        sink.error(C.UNKNOWN_FIELD, f"event `{d.event.name}` has no field `{field_name}`",
                   d.field_name.span)
        return None
    for p in d.event.params:
        if not _ABI_TYPE.match(p.type):
            sink.error(C.BAD_EVENT_TYPE, f"`{p.type}` is not a Solidity ABI type", p.span,
                       help="e.g. `address`, `uint256`, `int128`, `bool`, `bytes32`")
            return None
    summed = next((p for p in d.event.params if field_name and p.name == field_name), None)
    if summed is not None and not re.match(r"u?int[0-9]*$", summed.type):
        assert d.field_name is not None
        sink.error(C.BAD_AGGREGATE_FIELD, f"`sum` needs an integer field, `{field_name}` is "
                                          f"`{summed.type}`", d.field_name.span)
        return None
    sig = _signature(d.event)
    return ir.CustomMetric(name=d.name.text, aggregate=d.aggregate,
                           event=sig, field=field_name, address=at, window=win, span=d.span)
