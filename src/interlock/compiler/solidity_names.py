"""Names of the generated contract's constants (`SCOPE_WITHDRAWALS`, `ASSET_USDC`, ...).

Rule-file names are case-sensitive, so upper-casing could merge two of them (`usdc`, `USDC`):
names whose upper-cased forms collide within a kind keep their own spelling instead.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from interlock.ir.addresses import AddressSlot, guard_slots
from interlock.ir.nodes import Param, Program
from interlock.ir.notional import VALUE_DECIMALS


def _names(kind: str, names: list[str]) -> dict[str, str]:
    upper = Counter(n.upper() for n in names)
    return {n: f"{kind}_{n.upper() if upper[n.upper()] == 1 else n}" for n in names}


@dataclass(frozen=True)
class ConstNames:
    scope: dict[str, str]
    feed: dict[str, str]
    feed_addr: dict[str, str]
    feed_ref: dict[str, str]
    param: dict[str, str]
    rule: dict[str, str]
    asset: dict[str, str]
    vault: dict[str, str]
    agent: dict[str, str]
    signer: dict[str, str]

    @staticmethod
    def of(p: Program) -> ConstNames:
        feeds = [f.name for f in p.feeds]
        return ConstNames(
            scope=_names("SCOPE", [s.name for s in p.scopes]),
            feed=_names("FEED", feeds),
            feed_addr={n: f"{c}_ADDRESS" for n, c in _names("FEED", feeds).items()},
            feed_ref={n: f"{c}_REFERENCE" for n, c in _names("FEED", feeds).items()},
            param=_names("PARAM", [x.name for x in p.params]),
            rule=_names("RULE", [b.name for b in p.breakers]),
            asset=_names("ASSET", [a.name for a in p.assets]),
            vault=_names("VAULT", [v.name for v in p.vaults]),
            agent=_names("AGENT", [a.name for a in p.agents]),
            signer=_names("SIGNER", [s.name for s in p.signers]),
        )


def _unit_note(p: Program, param: Param) -> str:
    """Where a param has a unit, what its raw integers are (they are never scaled on chain)."""
    if param.unit is None:
        return ""
    decimals = {a.name: a.decimals for a in p.assets} | {f.name: f.decimals for f in p.feeds}
    if param.unit not in decimals:  # a quote unit: a value (docs/language.md, "Value metrics")
        return f" // values in {param.unit} ({VALUE_DECIMALS} decimals)"
    kind = "base units of" if any(a.name == param.unit for a in p.assets) else "a price of"
    return f" // values in {kind} {param.unit} ({decimals[param.unit]} decimals)"


def constant_lines(p: Program, n: ConstNames) -> list[str]:
    """The `constant` declarations of the guard, in declaration order per kind."""
    u8, u256 = ("uint8 internal constant", "uint256 internal constant")
    out = [f"{u8} {n.scope[s.name]} = {s.index};" for s in p.scopes]
    out += [f"{u8} {n.feed[f.name]} = {f.index};" for f in p.feeds]
    out += [f"{u8} {n.param[x.name]} = {x.index};{_unit_note(p, x)}" for x in p.params]
    out += [f"{u256} {n.rule[b.name]} = {b.id};" for b in p.breakers]
    return out


@dataclass(frozen=True)
class AddressMember:
    """One address of the guard: a `GuardAddresses` member, the immutable it sets."""

    slot: AddressSlot
    field: str  # `assetUsdc`, `feedEthUsdReference`
    immutable: str  # `ASSET_USDC`, `FEED_ETH_USD_REFERENCE`


def _camel(words: str) -> str:
    """`ETH_USD` -> `EthUsd` (forge lint's mixedCase: no runs of capitals)."""
    return "".join(w[:1].upper() + w[1:].lower() for w in re.split(r"[^A-Za-z0-9]+", words) if w)


def address_members(p: Program, n: ConstNames) -> list[AddressMember]:
    """The guard's addresses in `GuardAddresses` order (`ir.addresses.guard_slots`)."""
    immutables = {"asset": n.asset, "vault": n.vault, "feed": n.feed_addr,
                  "reference": n.feed_ref, "agent": n.agent, "signer": n.signer}
    out: list[AddressMember] = []
    used: set[str] = set()
    for slot in guard_slots(p):
        kind = "feed" if slot.kind == "reference" else slot.kind
        field = kind + _camel(slot.name) + ("Reference" if slot.kind == "reference" else "")
        base, k = field, 2
        while field in used:  # `eth_usd` and `Eth_Usd` are two names, one mixedCase spelling
            field, k = f"{base}{k}", k + 1
        used.add(field)
        out.append(AddressMember(slot, field, immutables[slot.kind][slot.name]))
    return out
