"""The view model of the Solidity guard: every decision made here, in Python.

The templates (`templates/*.sol.j2`) only lay out what `build_view(program)` computes: constant
declarations, per-rule condition expressions, per-effect statements, per-power dispatch lines.
Everything is ordered by declaration (ids), so the output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from interlock.compiler import eip712, oz, storage_layout
from interlock.compiler.guard_abi import (
    FEED_FUNCTIONS,
    GUARD_ERRORS,
    GUARD_EVENTS,
    GUARD_FUNCTIONS,
    TOKEN_FUNCTIONS,
    Function,
)
from interlock.compiler.solidity_exprs import ExprCompiler, Series
from interlock.compiler.solidity_names import ConstNames, address_members, constant_lines
from interlock.compiler.solidity_rules import (
    breaker_view,
    override_slots,
    param_value_lines,
    power_view,
    roles_view,
)
from interlock.ir.conditions import expanded_atoms, score_refs
from interlock.ir.flow import Direction, flow_checked, hold_duration
from interlock.ir.inputs import FEED_KINDS, READ_GAS, TOKEN_KINDS, feeds_read, reads_inputs
from interlock.ir.nodes import QUEUE_GRACE, Breaker, Program
from interlock.ir.notional import VALUE_KINDS, part_atoms
from interlock.ir.trip import trip_precondition

# The lowest release the generated code compiles with: the flow being reported lives in
# transient state variables, code-generated from 0.8.28 on (0.8.27 only parsed them;
# OpenZeppelin v5.7's imports need ^0.8.24). Floating, so a protocol inheriting
# NAMEGuarded may pick its own 0.8 patch release; our builds use the pinned solc (SOLC_VERSION).
PRAGMA = "^0.8.28"


@dataclass(frozen=True)
class GuardView:
    protocol: str
    contract_name: str
    iface_name: str
    imports: str
    guarded_name: str
    domain_name: str
    eip712: dict[str, object]
    source_path: str
    header: str
    pragma: str
    n_scopes: int
    n_feeds: int
    n_params: int
    n_signers: int
    n_breakers: int
    n_powers: int
    condition_mutability: str
    state_part_mutability: str
    state_parts: list[dict[str, object]]
    suspension_mutability: str
    suspension_checks: list[dict[str, object]]
    read_gas: int
    signer_gas: int
    storage: dict[str, str]
    oz_imports: tuple[tuple[str, str], ...]
    queue_grace: int
    unblock: bool  # an `unblock` power exists: emit its functions
    cancel_holds: bool  # a `cancel holds` power exists: emit `_powerCancelHold`
    apply_mutability: str
    constants: list[str]
    address_members: list[dict[str, str]]  # `GuardAddresses` members and their immutables
    constructor_lines: list[str]
    param_value_lines: list[str]
    vault_check: str
    vault_holds_check: str
    agent_check: str
    flow_blocks: list[dict[str, object]]
    series_cases: list[dict[str, object]]
    tvl_functions: list[dict[str, object]]
    score_functions: list[dict[str, object]]
    breakers: list[dict[str, object]]
    onchain_breakers: list[dict[str, object]]
    signers: list[dict[str, object]]
    roles: list[dict[str, object]]
    powers: list[dict[str, object]]
    scope_limits: list[dict[str, object]]
    # the interface, from compiler/guard_abi.py
    guard_functions: list[str]
    feed_functions: list[str]
    token_functions: list[str]
    guard_events: list[str]
    guard_errors: list[str]
    series: tuple[Series, ...] = field(default=())
    set_steps: bool = False  # a `set` power has a step bound: emit `_checkStep`


def _declaration(f: Function) -> str:
    """An interface line, or forge fmt's layout of it when over 120 columns (indented by 4)."""
    parts = f.declaration_parts
    line = " ".join(parts) + ";"
    return line if len(line) <= 116 else "\n        ".join(parts) + ";"


def _bool(x: bool) -> str:
    return "true" if x else "false"


def _addr_check(var: str, addresses: list[str]) -> str:
    return " || ".join(f"{var} == {a}" for a in addresses) or "false"


def _state_parts(program: Program, ex: ExprCompiler) -> list[dict[str, object]]:
    """Per off-chain rule, the part of its condition `trip` checks on chain (`ir.trip`); per
    on-chain rule that reads a feed or token, what its condition is when a read fails."""
    out: list[dict[str, object]] = []
    for b in program.breakers:
        needed = not b.onchain or reads_inputs(program, b)
        cond = trip_precondition(program, b) if needed else None
        if cond is not None:
            out.append({"id": b.id, "name": b.name, "cond_lines": ex.return_lines(cond)})
    return out


def _suspension_checks(program: Program) -> list[dict[str, object]]:
    """Per rule that reads feeds: `_isSuspended(i) || ...` (docs/semantics.md, "Failed reads")."""
    out: list[dict[str, object]] = []
    for b in program.breakers:
        feeds = feeds_read(program, b)
        if feeds:
            test = " || ".join(f"_isSuspended({program.feed(f).index})" for f in feeds)
            out.append({"id": b.id, "test": test})
    return out


def _condition_mutability(program: Program) -> str:
    onchain = [b for b in program.breakers if b.onchain]
    if any(reads_inputs(program, b) for b in onchain):
        return ""  # a failed read writes the transient `_readFailed`
    return " view" if onchain else " pure"


def _holds_check(p: Program, names: ConstNames) -> str:
    """`(a == VAULT_X && (asset == ASSET_Y || ...)) || ...`: the vault holds the asset."""
    parts = []
    for v in p.vaults:
        held = _addr_check("asset", [names.asset[h] for h in v.holds])
        parts.append(f"(a == {names.vault[v.name]} && ({held}))")
    return " || ".join(parts) or "false"


def collect_series(program: Program) -> tuple[Series, ...]:
    """The flow series the on-chain rules read, in first-use order."""
    seen: dict[tuple[str, str, int], Series] = {}
    for b in program.breakers:
        if not b.onchain:
            continue
        for a in [x for atom in expanded_atoms(program, b.when)
                  for x in (atom, *part_atoms(program, atom))]:
            if a.kind in ("outflow", "inflow") and a.window is not None:
                key = (a.kind, a.target, a.window)
                if key not in seen:
                    seen[key] = Series(len(seen), a.kind, a.target, a.window)
    return tuple(seen.values())


def _onchain_scores(program: Program) -> set[str]:
    """Scores read by on-chain rules (only those get a function: all their atoms are on chain)."""
    return {name for b in program.breakers if b.onchain for name in score_refs(b.when)}


def _score_reads_inputs(program: Program, name: str) -> bool:
    kinds = FEED_KINDS | TOKEN_KINDS | VALUE_KINDS
    tiers = program.score(name).tiers
    return any(a.kind in kinds for t in tiers for a in expanded_atoms(program, t.when))


def build_view(program: Program, version: str) -> GuardView:
    series = collect_series(program)
    names = ConstNames.of(program)
    ex = ExprCompiler(program, series, names)
    state_parts = _state_parts(program, ex)
    suspension = _suspension_checks(program)
    slots = override_slots(program)
    set_steps = any(w.step is not None for w in program.powers)
    name = program.protocol
    header = (
        f"// SPDX-License-Identifier: UNLICENSED\n"
        f"// Generated by Interlock {version} from {program.source_path}\n"
        f"// sha256 {program.source_sha256}\n"
        f"// Do not edit: change the rule file and rebuild."
    )
    return GuardView(
        protocol=name,
        contract_name=f"{name}Guard",
        iface_name=f"I{name}Guard",
        imports=", ".join(_imports(program, f"I{name}Guard")),
        guarded_name=f"{name}Guarded",
        domain_name=eip712.domain_name(name),
        eip712=eip712.solidity_view(program),
        source_path=program.source_path,
        header=header,
        pragma=PRAGMA,
        n_scopes=len(program.scopes),
        n_feeds=len(program.feeds),
        n_params=len(program.params),
        n_signers=len(program.signers),
        n_breakers=len(program.breakers),
        n_powers=len(program.powers),
        condition_mutability=_condition_mutability(program),
        state_part_mutability="view" if state_parts else "pure",
        state_parts=state_parts,
        suspension_mutability="view" if suspension else "pure",
        suspension_checks=suspension,
        read_gas=READ_GAS,
        signer_gas=oz.SIGNER_GAS,
        oz_imports=oz.GUARDED_IMPORTS + ((oz.SIGNED_MATH,) if set_steps else ()),
        queue_grace=QUEUE_GRACE,
        unblock=any(w.kind == "unblock" for w in program.powers),
        cancel_holds=any(w.kind == "cancel_holds" for w in program.powers),
        set_steps=set_steps,
        apply_mutability="" if program.powers else " pure",
        storage=storage_layout.solidity_view(),
        constants=constant_lines(program, names),
        address_members=[
            {"field": m.field, "immutable": m.immutable, "key": m.slot.key, "kind": m.slot.kind,
             "default": m.slot.address}
            for m in address_members(program, names)
        ],
        constructor_lines=[
            *_decimals_checks(program, names),
            *(f"$.paramBase[{p.index}] = {p.initial};" for p in program.params),
        ],
        param_value_lines=param_value_lines(program, slots),
        vault_check=_addr_check("a", [names.vault[v.name] for v in program.vaults]),
        vault_holds_check=_holds_check(program, names),
        agent_check=_addr_check("a", [names.agent[a.name] for a in program.agents]),
        flow_blocks=_flow_blocks(program, series, names),
        series_cases=[
            {
                "test": f"asset == {names.asset[s.asset]} && window == {s.window}"
                f" && {'out' if s.direction == 'outflow' else '!out'}",
                "index": s.index,
            }
            for s in series
        ],
        tvl_functions=_tvl_functions(program, names),
        score_functions=[
            {
                "name": s.name,
                "index": i,
                "lines": [f"if ({ex.cond(t.when)}) s += {t.weight};" for t in s.tiers],
                "mutability": "" if _score_reads_inputs(program, s.name) else " view",
            }
            for i, s in enumerate(program.scores)
            if s.name in _onchain_scores(program)
        ],
        breakers=[breaker_view(program, b, slots) for b in program.breakers],
        onchain_breakers=[
            {"id": b.id, "name": b.name, "cond_lines": ex.return_lines(b.when)}
            for b in program.breakers
            if b.onchain
        ],
        signers=[
            {"address": names.signer[s.name], "index": s.index, "name": s.name}
            for s in program.signers
        ],
        roles=roles_view(program),
        powers=[power_view(program, w, ex) for w in program.powers],
        scope_limits=[
            {
                "index": s.index,
                "has_max": _bool(s.max_pause is not None),
                "max": s.max_pause or 0,
                "gap": s.gap or 0,
            }
            for s in program.scopes
        ],
        guard_functions=[_declaration(f) for f in GUARD_FUNCTIONS if not f.declared_by_oz],
        feed_functions=[_declaration(f) for f in FEED_FUNCTIONS],
        token_functions=[_declaration(f) for f in TOKEN_FUNCTIONS],
        guard_events=[e.declaration for e in GUARD_EVENTS if not e.declared_by_oz],
        guard_errors=[e.declaration for e in GUARD_ERRORS if not e.declared_by_oz],
        series=series,
    )


def _flow_blocks(
    p: Program, series: tuple[Series, ...], names: ConstNames
) -> list[dict[str, object]]:
    blocks: list[dict[str, object]] = []
    directions: tuple[tuple[Direction, str], ...] = (("outflow", "out"), ("inflow", "!out"))
    for asset in p.assets:
        for direction, flag in directions:
            mine = [s for s in series if s.asset == asset.name and s.direction == direction]
            checked = flow_checked(p, asset.name, direction)
            if not mine and not checked:
                continue
            blocks.append({
                "test": f"asset == {names.asset[asset.name]} && {flag}",
                "record": [f"uint256 added{s.index} = _seriesAdd({s.index}, {s.bucket}, amount);"
                           for s in mine],
                "checks": [_flow_check(b) for b in checked],
                "holds": any(hold_duration(b) is not None for b in checked),
                "undo": [f"_seriesUndo({s.index}, added{s.index});" for s in mine],
            })
    return blocks


def _flow_check(b: Breaker) -> str:
    """A fired rule refuses the flow, or holds it for its `hold flow` duration."""
    hold = hold_duration(b)
    if hold is None:
        return f"if (_try({b.id})) fired = true;"
    return f"if (_try({b.id}) && hold < {hold}) (hold, _holdRule) = ({hold}, {b.id});"


def _imports(p: Program, iface: str) -> list[str]:
    """What `NAMEGuarded` imports from its interface file: the read interfaces only when the
    constructor checks an asset's or a feed's decimals (an unused import is a lint finding)."""
    return [iface] + (["IGuardFeed"] if p.feeds else []) + (["IGuardToken"] if p.assets else [])


def _decimals_checks(p: Program, names: ConstNames) -> list[str]:
    """The constructor refuses feeds and tokens whose `decimals()` differ from the rule file's
    (an 18-decimals reference against an 8-decimals feed reads as ~100% deviation)."""
    checks = [(names.asset[a.name], "IGuardToken", a.decimals) for a in p.assets]
    for f in p.feeds:
        checks.append((names.feed_addr[f.name], "IGuardFeed", f.decimals))
        if f.reference is not None:
            checks.append((names.feed_ref[f.name], "IGuardFeed", f.decimals))
    return [f"_requireDecimals({c}, {d}, {i}({c}).decimals());" for c, i, d in checks]


def _tvl_functions(p: Program, names: ConstNames) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i, a in enumerate(p.assets):
        lines = [
            f"sum = _addSat(sum, _balance({names.asset[a.name]}, {names.vault[v.name]}));"
            for v in p.vaults
            if a.name in v.holds
        ]
        if lines:  # the rules see the balance after the flow being reported
            lines.append(f"sum = _afterFlow({names.asset[a.name]}, sum);")
        # no vault holds it: nothing to read, and solc warns unless the function says so
        out.append({"index": i, "asset_name": a.name, "lines": lines or ["sum = 0;"],
                    "mutability": "" if lines else " pure"})
    return out
