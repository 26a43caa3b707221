"""Names of the generated contract's constants (`SCOPE_WITHDRAWALS`, `ASSET_USDC`, ...).

Rule-file names are case-sensitive, so upper-casing could merge two of them (`usdc`, `USDC`):
names whose upper-cased forms collide within a kind keep their own spelling instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

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
    u8, u256, addr = ("uint8 internal constant", "uint256 internal constant",
                      "address internal constant")
    out = [f"{u8} {n.scope[s.name]} = {s.index};" for s in p.scopes]
    out += [f"{u8} {n.feed[f.name]} = {f.index};" for f in p.feeds]
    out += [f"{u8} {n.param[x.name]} = {x.index};{_unit_note(p, x)}" for x in p.params]
    out += [f"{u256} {n.rule[b.name]} = {b.id};" for b in p.breakers]
    out += [f"{addr} {n.asset[a.name]} = {a.address};" for a in p.assets]
    out += [f"{addr} {n.vault[v.name]} = {v.address};" for v in p.vaults]
    for f in p.feeds:
        out.append(f"{addr} {n.feed_addr[f.name]} = {f.address};")
        if f.reference is not None:
            out.append(f"{addr} {n.feed_ref[f.name]} = {f.reference};")
    out += [f"{addr} {n.agent[a.name]} = {a.address};" for a in p.agents]
    out += [f"{addr} {n.signer[s.name]} = {s.address};" for s in p.signers]
    return out
