"""Matching declarations across two rule files, renames included.

Declarations are matched by name first. An old declaration whose name is gone is a rename of
a new declaration whose name is new when their meaning is equal: the same address (signers,
agents, assets, vaults, feeds: the address is the identity of a key or a contract), or the
same content with spans, positions and the names already matched translated (roles, scopes,
params, metrics, scores, breakers, invariants). A rename is taken only when exactly one
candidate fits; matching repeats until nothing new is found, so renaming a signer and then
the role that uses it is found too.

`translate` then rewrites the old program into the new names, and every comparison reads
both programs in the same names. SPEC §2 makes names unique per file across all kinds, so one
map serves every kind of reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlock.ir.nodes import Program

ADDRESSED = ("signers", "agents", "assets", "vaults", "feeds")
BY_CONTENT = ("roles", "scopes", "params", "metrics", "scores", "breakers", "invariants")
KINDS = ADDRESSED + BY_CONTENT
# string fields that are not references to a declaration
_NOT_NAMES = frozenset({
    "kind", "op", "pred", "safer", "aggregate", "address", "event", "text", "file",
    "reference", "protocol", "source_path", "source_sha256", "ir_version", "field", "entity",
})
_POSITIONAL = frozenset({"span", "index", "id"})  # where a declaration is, not what it means


def _rename(value: Any, names: Mapping[str, str], key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _rename(v, names, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rename(v, names, key) for v in value]
    if isinstance(value, str) and key not in _NOT_NAMES:
        return names.get(value, value)
    return value


def translate(program: Program, names: Mapping[str, str]) -> Program:
    """`program` with every declaration and reference renamed by `names`."""
    if not names:
        return program
    return Program.model_validate(_rename(program.model_dump(), names))


def meaning(value: Any) -> Any:
    """A node's content without where it is: spans, declaration order and ids dropped."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    if isinstance(value, dict):
        return {k: meaning(v) for k, v in value.items() if k not in _POSITIONAL}
    if isinstance(value, list | tuple):
        return [meaning(v) for v in value]
    return value


def _identity(kind: str, decl: Any) -> Any:
    if kind in ADDRESSED:
        return decl.address
    return {k: v for k, v in meaning(decl).items() if k != "name"}


def _pass(old: Program, new: Program, names: dict[str, str]) -> bool:
    """One round of matching; True when it found a rename."""
    moved = translate(old, names)
    taken = set(names.values())
    found = False
    for kind in KINDS:
        new_decls = getattr(new, kind)
        new_names = {d.name for d in new_decls}
        old_names = {d.name for d in getattr(moved, kind)}
        gone = [d for d in getattr(moved, kind) if d.name not in new_names]
        fresh = [d for d in new_decls if d.name not in old_names and d.name not in taken]
        for decl in gone:
            fits = [d for d in fresh if _identity(kind, d) == _identity(kind, decl)]
            if len(fits) == 1 and decl.name not in names:
                names[decl.name] = fits[0].name
                fresh.remove(fits[0])
                found = True
    return found


def renames(old: Program, new: Program) -> dict[str, str]:
    """Old name -> new name for every declaration renamed without a change of meaning."""
    names: dict[str, str] = {}
    while _pass(old, new, names):
        pass
    return names


def kind_of(program: Program, name: str) -> str:
    """The kind of declaration `name` is (`scope`, `role`, ...), for messages."""
    for kind in KINDS:
        if any(d.name == name for d in getattr(program, kind)):
            return kind[:-1]
    return "declaration"
