"""The Solidity back end: `emit_solidity(program)` -> {file name: source}.

Three files per protocol NAME (docs/guard.md):
- `INAMEGuard.sol`: the interface, events, errors and the `Operation` struct;
- `NAMEGuarded.sol`: the guard, an abstract contract a protocol inherits (its state in the
  protocol's own storage; `whenActive(scope)` modifier);
- `NAMEGuard.sol`: `contract NAMEGuard is NAMEGuarded {}`, the standalone guard a protocol calls.
`emit_reference_vault` adds `NAMEReferenceVault.sol`, a vault integration to copy.

The interface's functions come from `guard_abi`, the one definition the monitor also uses.

The view model (`solidity_view.build_view`) makes every decision; the Jinja2 templates only lay
it out. Output is deterministic and names the rule file and its sha256 in a header.
"""

from __future__ import annotations

from interlock import __version__
from interlock.compiler.solidity_view import GuardView, build_view
from interlock.compiler.templates_env import template
from interlock.ir.nodes import Program


def guard_file_names(protocol: str) -> tuple[str, str, str]:
    """(guard, interface, inheritable) file names for `protocol`."""
    return f"{protocol}Guard.sol", f"I{protocol}Guard.sol", f"{protocol}Guarded.sol"


def render(view: GuardView) -> dict[str, str]:
    guard, iface, guarded = guard_file_names(view.protocol)
    return {
        guard: template("Guard.sol.j2").render(v=view),
        iface: template("IGuard.sol.j2").render(v=view),
        guarded: template("Guarded.sol.j2").render(v=view),
    }


def emit_solidity(program: Program) -> dict[str, str]:
    """The guard's Solidity sources for `program` (file name -> source text)."""
    return render(build_view(program, __version__))


def emit_reference_vault(program: Program) -> dict[str, str]:
    """`NAMEReferenceVault.sol`: a vault integration that checks the caller's entitlement
    before reporting (`interlock build` emits it beside the guard; self-contained)."""
    view = build_view(program, __version__)
    text = template("ReferenceVault.sol.j2").render(v=view)
    return {f"{program.protocol}ReferenceVault.sol": text}
