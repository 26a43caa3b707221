"""The addresses a guard runs with: the rule file's are defaults, a network's address file
chooses others at deploy time (docs/guard.md, "Addresses per network").

Every address of a rule file has a name in the address file (its *key*): an asset's, vault's,
feed's, agent's or signer's own name, `FEED.reference` for a feed's reference, and a custom
metric's name for the contract it reads. The guard takes the guard's keys (`guard_slots`, in
this order) as its constructor's `GuardAddresses` and keeps them as immutables; a custom
metric's contract is only the monitor's, and follows the declaration it names when the rule
file says `at NAME` (the same address) unless the address file names the metric itself.

`with_addresses(program, chosen)` is the program the deployed guard enforces: the same rules with
the chosen addresses. Everything downstream of a deployment (the monitor, `op`, the signatures'
`rulesHash`) uses that program.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from interlock.ir.nodes import Feed, Program

SlotKind = Literal["asset", "vault", "feed", "reference", "agent", "signer"]


@dataclass(frozen=True)
class AddressSlot:
    key: str  # the name in an address file: `usdc`, `eth_usd.reference`
    kind: SlotKind
    name: str  # the declaration's name (a reference's: its feed's)
    address: str  # EIP-55 checksummed


def reference_key(feed: str) -> str:
    return f"{feed}.reference"


def guard_slots(program: Program) -> tuple[AddressSlot, ...]:
    """The guard's addresses in `GuardAddresses` order: assets, vaults, feeds (each followed by
    its reference), agents, signers, each kind in declaration order."""
    out = [AddressSlot(a.name, "asset", a.name, a.address) for a in program.assets]
    out += [AddressSlot(v.name, "vault", v.name, v.address) for v in program.vaults]
    for f in program.feeds:
        out.append(AddressSlot(f.name, "feed", f.name, f.address))
        if f.reference is not None:
            out.append(AddressSlot(reference_key(f.name), "reference", f.name, f.reference))
    out += [AddressSlot(a.name, "agent", a.name, a.address) for a in program.agents]
    out += [AddressSlot(s.name, "signer", s.name, s.address) for s in program.signers]
    return tuple(out)


def address_keys(program: Program) -> dict[str, str]:
    """Every key an address file may name -> the program's address for it (what a deployment
    records)."""
    out = {s.key: s.address for s in guard_slots(program)}
    for m in program.metrics:
        out.setdefault(m.name, m.address)
    return out


def _pick(chosen: Mapping[str, str], key: str, default: str) -> str:
    return chosen.get(key, default)


def _feed(f: Feed, chosen: Mapping[str, str]) -> Feed:
    ref = f.reference
    if ref is not None:
        ref = _pick(chosen, reference_key(f.name), ref)
    return f.model_copy(update={"address": _pick(chosen, f.name, f.address), "reference": ref})


def with_addresses(program: Program, chosen: Mapping[str, str]) -> Program:
    """`program` with the addresses `chosen` names (keys of `address_keys`; checksummed) in
    place of the rule file's. A metric not named follows the guard slot whose default address
    it reads (its `at NAME`)."""
    if not chosen:
        return program
    moved = {s.address: chosen[s.key] for s in guard_slots(program) if s.key in chosen}

    def metric_address(name: str, address: str) -> str:
        return chosen.get(name, moved.get(address, address))

    return program.model_copy(update={
        "assets": tuple(a.model_copy(update={"address": _pick(chosen, a.name, a.address)})
                        for a in program.assets),
        "vaults": tuple(v.model_copy(update={"address": _pick(chosen, v.name, v.address)})
                        for v in program.vaults),
        "feeds": tuple(_feed(f, chosen) for f in program.feeds),
        "agents": tuple(a.model_copy(update={"address": _pick(chosen, a.name, a.address)})
                        for a in program.agents),
        "signers": tuple(s.model_copy(update={"address": _pick(chosen, s.name, s.address)})
                         for s in program.signers),
        "metrics": tuple(m.model_copy(update={"address": metric_address(m.name, m.address)})
                         for m in program.metrics),
    })


def duplicate_addresses(program: Program) -> list[tuple[str, str, str]]:
    """(address, first key, second key) for every guard address used twice: the guard tells
    its vaults, agents and signers apart by address, so one address may hold one role."""
    seen: dict[str, str] = {}
    out = []
    for s in guard_slots(program):
        low = s.address.lower()
        if low in seen:
            out.append((s.address, seen[low], s.key))
        else:
            seen[low] = s.key
    return out


def constructor_args(program: Program) -> tuple[tuple[str, ...], ...]:
    """The guard constructor's arguments: the `GuardAddresses` tuple (none without addresses)."""
    slots = guard_slots(program)
    return (tuple(s.address for s in slots),) if slots else ()
