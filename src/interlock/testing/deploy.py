"""Put a rule file on a test chain: stand-ins, rewritten addresses, the generated guard.

    deployed = deploy_rules(chain, text, "examples/perp_venue.guard")
    driver = ChainDriver(deployed.program, deployed.harness, deployed.guard, t0=...)

The rule file is checked as written, stand-ins are deployed for its assets, vaults and feeds
(`harness`), its addresses are rewritten to them (`rewrite`), the rewritten text is checked
again (the program every later step uses), and `NAMEGuard` is generated, compiled with the
pinned solc and deployed. Each vault stand-in is then pointed at the guard.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from interlock.compiler.solc import CompileResult, compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_text
from interlock.ir.addresses import constructor_args
from interlock.ir.nodes import Program
from interlock.report.diagnostic_text import render_diagnostic
from interlock.testing.chain import TestChain
from interlock.testing.harness import Harness, deploy_harness
from interlock.testing.rewrite import rewrite_addresses

INHERITING = """// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {{EIP712}} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {{{p}Guarded}} from "./{p}Guarded.sol";
import {{{p}Addresses}} from "./I{p}Guard.sol";

/// @notice A protocol that keeps the guard's state in its own storage.
contract InheritingProtocol is {p}Guarded {{
    constructor() {p}Guarded({p}Addresses.defaults()) EIP712("{p}Guard", "1") {{}}

    uint256 public counter;

    function act(uint8 scope) external whenActive(scope) {{
        counter += 1;
    }}
}}
"""


class RulesError(Exception):
    """The rule file (as written or rewritten) did not check."""


@dataclass(frozen=True)
class Deployed:
    program: Program  # the rewritten rule file's program
    text: str  # the rewritten rule file
    harness: Harness
    guard: Any  # web3 contract
    compiled: CompileResult  # the guard's sources, compiled (extra contracts included)


def check_text(text: str, path: str) -> Program:
    result = compile_text(text, path)
    if result.program is None:
        shown = "\n".join(render_diagnostic(d, text) for d in result.diagnostics)
        raise RulesError(f"{path} does not check:\n{shown}")
    return result.program


def deploy_rules(
    chain: TestChain,
    text: str,
    path: str,
    *,
    vault_factory: Callable[[Harness, str], Any] | None = None,
    extra_sources: Mapping[str, str] | None = None,
    inherited: bool = False,
) -> Deployed:
    """Deploy `text`'s guard on `chain` with stand-ins.

    `vault_factory(harness, vault_name)`, when given, deploys each vault in place of the
    `TestVault` stand-in (a contract with `setGuard(address)`; the harness's tokens exist by
    then); `extra_sources` are compiled beside the guard's files. With `inherited`, the guard
    is a protocol contract that inherits the abstract `NAMEGuarded` (the guard's state in the
    protocol's storage) instead of the standalone `NAMEGuard`.
    """
    original = check_text(text, path)
    harness = deploy_harness(chain, original)
    for v in original.vaults:
        if vault_factory is not None:
            harness.vaults[v.name] = vault_factory(harness, v.name)
            harness.address_map[v.address] = harness.vaults[v.name].address
    rewritten = rewrite_addresses(text, harness.address_map)
    program = check_text(rewritten, path)
    sources = {**emit_solidity(program), **(extra_sources or {})}
    name, args = f"{program.protocol}Guard", constructor_args(program)
    if inherited:
        sources["InheritingProtocol.sol"] = INHERITING.format(p=program.protocol)
        name, args = "InheritingProtocol", ()
    compiled = compile_sources(sources)
    c = compiled.contract(name)
    guard = chain.deploy(c.abi, c.bytecode, *args)
    for vault in harness.vaults.values():
        out = chain.call_fn(vault.functions.setGuard(guard.address), chain.accounts[0])
        if not out.ok:
            raise RuntimeError("could not point a vault at the guard")
    return Deployed(program=program, text=rewritten, harness=harness, guard=guard,
                    compiled=compiled)
