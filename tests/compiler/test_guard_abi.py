"""The guard's interface is defined once (`compiler.guard_abi`): the compiled guard's ABI is
exactly those functions, so the monitor's calls (encoded from the same definitions) match it."""

from __future__ import annotations

from typing import Any

from interlock.compiler.guard_abi import (
    FEED_FUNCTIONS,
    GUARD_ERRORS,
    GUARD_EVENTS,
    GUARD_FUNCTIONS,
    TOKEN_FUNCTIONS,
    Event,
    Function,
)
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_file
from interlock.runtime.abi import call_data, decode_result, selector

GOLDEN = "tests/compiler/data/golden.guard"


def _type(param: dict[str, Any]) -> str:
    """A compiled ABI parameter's canonical type (`tuple` spelled out)."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_type(c) for c in param["components"]) + ")" + kind[5:]
    return kind


def _compiled(abi: list[dict[str, Any]]) -> set[tuple[str, str, tuple[str, ...]]]:
    return {
        (f"{x['name']}({','.join(_type(i) for i in x['inputs'])})", x["stateMutability"],
         tuple(_type(o) for o in x["outputs"]))
        for x in abi
        if x["type"] == "function"
    }


def _defined(fns: tuple[Function, ...]) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(f.signature, f.mutability, tuple(f.output_types)) for f in fns}


def test_compiled_abi_is_the_definition() -> None:
    front = compile_file(GOLDEN)
    assert front.program is not None, front.diagnostics
    result = compile_sources(emit_solidity(front.program), allow_warnings=False)
    protocol = front.program.protocol
    for name in (f"{protocol}Guard", f"I{protocol}Guard"):
        assert _compiled(result.contract(name).abi) == _defined(GUARD_FUNCTIONS), name
    assert _compiled(result.contract("IGuardFeed").abi) == _defined(FEED_FUNCTIONS)
    assert _compiled(result.contract("IGuardToken").abi) == _defined(TOKEN_FUNCTIONS)


def _compiled_events(abi: list[dict[str, Any]]) -> set[tuple[str, str, tuple[Any, ...]]]:
    return {
        (x["type"], x["name"],
         tuple((_type(i), i["name"], bool(i.get("indexed", False))) for i in x["inputs"]))
        for x in abi
        if x["type"] in ("event", "error")
    }


def _defined_events(events: tuple[Event, ...]) -> set[tuple[str, str, tuple[Any, ...]]]:
    return {(e.kind, e.name, tuple((p.abi_type, p.name, p.indexed) for p in e.inputs))
            for e in events}


def test_compiled_events_and_errors_are_the_definition() -> None:
    front = compile_file(GOLDEN)
    assert front.program is not None, front.diagnostics
    result = compile_sources(emit_solidity(front.program), allow_warnings=False)
    protocol = front.program.protocol
    guard = _compiled_events(result.contract(f"{protocol}Guard").abi)
    assert guard == _defined_events(GUARD_EVENTS + GUARD_ERRORS)
    # OpenZeppelin's contracts (not its IERC5267, which the interface extends) declare the rest
    ours = tuple(e for e in GUARD_ERRORS if not e.declared_by_oz)
    iface = _compiled_events(result.contract(f"I{protocol}Guard").abi)
    assert iface == _defined_events(GUARD_EVENTS + ours)


def test_signatures_and_encoding() -> None:
    by_name = {f.name: f for f in GUARD_FUNCTIONS}
    assert by_name["tripSender"].signature == "tripSender(uint256,address)"
    assert by_name["execute"].signature == (
        "execute((uint16,uint256,int256,uint256,uint256),bytes[])")
    data = call_data(by_name["pausedUntil"], 3)
    assert data[:4] == selector("pausedUntil(uint8)") and int.from_bytes(data[4:]) == 3
    assert decode_result(by_name["paramValue"], (-5).to_bytes(32, signed=True)) == (-5,)
