"""`interlock status`: the live state of a deployed guard, from its views and its events.

Views give the numbers (pause and suspension ends, param base and effective values, breaker
`firedUntil`, queue etas); events give the reasons (the breaker or power whose transaction last
paused or unpaused a scope) and the lists (live overrides, queued operations). Times are the
chain's (the latest block's timestamp).
"""

from __future__ import annotations

from typing import Any

from web3.exceptions import MismatchedABI

from interlock.ir.nodes import Program, Scope
from interlock.operations.chain import Guard
from interlock.operations.describe import UnknownPower, power_of
from interlock.verifier.describe import power_label


def read_events(g: Guard, from_block: int = 0) -> list[dict[str, Any]]:
    """The guard's events, decoded with its ABI, oldest first: {event, args, tx, block}."""
    logs = g.w3.eth.get_logs({"address": g.contract.address, "fromBlock": from_block,
                              "toBlock": "latest"})
    names = [e["name"] for e in g.abi if e.get("type") == "event"]
    out: list[dict[str, Any]] = []
    for log in logs:
        for name in names:
            try:
                ev = getattr(g.contract.events, name)().process_log(log)
            except MismatchedABI:
                continue
            out.append({"event": name, "args": dict(ev.args), "tx": log["transactionHash"],
                        "block": int(log["blockNumber"])})
            break
    return out


def _cause(p: Program, events: list[dict[str, Any]], tx: Any) -> str:
    """What in transaction `tx` acted: a breaker that fired or a power used."""
    for e in events:
        if e["tx"] != tx:
            continue
        if e["event"] == "BreakerFired":
            rule = int(e["args"]["ruleId"])
            name = next((b.name for b in p.breakers if b.id == rule), f"#{rule}")
            return f"breaker `{name}`"
        if e["event"] == "OperationExecuted":
            try:
                return f"power `{power_label(p, power_of(p, int(e['args']['power'])))}`"
            except UnknownPower:
                return f"power {e['args']['power']}"
    return "unknown"


def _scope(g: Guard, s: Scope, now: int, events: list[dict[str, Any]]) -> dict[str, Any]:
    fns = g.contract.functions
    until, since = int(fns.pausedUntil(s.index).call()), int(fns.pausedSince(s.index).call())
    paused = now < until
    mine = [e for e in events if e["event"] in ("Paused", "Unpaused")
            and int(e["args"]["scope"]) == s.index]
    last = mine[-1] if mine else None
    why = None
    if last is not None:
        verb = "paused" if last["event"] == "Paused" else "unpaused"
        why = f"{verb} by {_cause(g.program, events, last['tx'])}"
    budget = None
    if s.max_pause is not None:
        budget = max(0, since + s.max_pause - until) if paused else s.max_pause
    gap_until = until + s.gap if s.gap and until and not paused else None
    return {"scope": s.name, "paused": paused, "until": until if paused else None,
            "since": since if paused else None, "last_change": why,
            "max_remaining": budget,
            "gap_until": gap_until if gap_until is not None and now < gap_until else None}


def _params(g: Guard, now: int, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    fns = g.contract.functions
    out = []
    for p in g.program.params:
        live: dict[int, dict[str, Any]] = {}
        for e in events:
            a = e["args"]
            if e["event"] == "ParamOverridden" and int(a["param"]) == p.index:
                live[int(a["ruleId"])] = {"value": int(a["value"]), "until": int(a["until"])}
        overrides = [{"breaker": _breaker_name(g.program, rule), **o}
                     for rule, o in sorted(live.items()) if o["until"] > now]
        out.append({"param": p.name, "base": int(fns.paramBase(p.index).call()),
                    "effective": int(fns.paramValue(p.index).call()), "overrides": overrides})
    return out


def _breaker_name(p: Program, rule: int) -> str:
    return next((b.name for b in p.breakers if b.id == rule), f"#{rule}")


def _queued(g: Guard, now: int, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for e in events:
        if e["event"] != "OperationQueued":
            continue
        h = bytes(e["args"]["opHash"])
        eta = int(g.contract.functions.queuedAt(h).call())
        if eta == 0:  # executed or cancelled since
            continue
        try:
            label = power_label(g.program, power_of(g.program, int(e["args"]["power"])))
        except UnknownPower:
            label = f"power {e['args']['power']}"
        out.append({"operation_hash": "0x" + h.hex(), "power": label, "eta": eta,
                    "ready": now >= eta})
    return out


def _breakers(g: Guard, now: int) -> list[dict[str, Any]]:
    out = []
    for b in g.program.breakers:
        fired = int(g.contract.functions.firedUntil(b.id).call())
        ready = fired + b.cooldown if fired and b.cooldown else None
        out.append({"breaker": b.name, "effect_until": fired if fired > now else None,
                    "cooldown_until": ready if ready is not None and now < ready else None})
    return out


def read_status(g: Guard, from_block: int = 0) -> dict[str, Any]:
    now = g.now()
    events = read_events(g, from_block)
    fns = g.contract.functions
    return {
        "protocol": g.program.protocol, "guard": g.contract.address,
        "chain_id": int(g.w3.eth.chain_id), "now": now,
        "scopes": [_scope(g, s, now, events) for s in g.program.scopes],
        "feeds": [{"feed": f.name, "suspended_until": u if u > now else None}
                  for f in g.program.feeds
                  for u in [int(fns.suspendedUntil(f.index).call())]],
        "params": _params(g, now, events),
        "queued": _queued(g, now, events),
        "breakers": _breakers(g, now),
    }
