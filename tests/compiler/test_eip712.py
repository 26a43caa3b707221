"""The guard's Solidity reads the one EIP-712 definition (`interlock.compiler.eip712`): the
struct, the typehash string, the encoding in `operationHash` and the domain (OpenZeppelin's
`EIP712` with our name and version)."""

from __future__ import annotations

from interlock.compiler import eip712
from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_text
from tests.operations.rules import RULES


def test_guard_source_is_generated_from_the_definition() -> None:
    program = compile_text(RULES, "ops.guard").program
    assert program is not None
    source = "\n".join(emit_solidity(program).values())
    view = eip712.solidity_view(program)
    assert f'keccak256("{eip712.type_string("Operation", eip712.OPERATION_FIELDS)}")' in source
    assert eip712.type_string("EIP712Domain", eip712.DOMAIN_FIELDS) == (
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    assert f"abi.encode(OPERATION_TYPEHASH, {view['encoded_fields']})" in source
    assert all(f"        {field}\n" in source for field in view["struct_fields"])
    assert f'EIP712("{program.protocol}Guard", "{eip712.DOMAIN_VERSION}")' in source
    td = eip712.typed_data(program, 5, "0x" + "11" * 20, eip712.operation_message(
        program, {"power": 1, "targets": 2, "value": 3, "nonce": 4, "deadline": 5}))
    assert td["domain"]["name"] == f"{program.protocol}Guard"
    assert eip712.message_tuple(td["message"]) == (1, 2, 3, 4, 5)
    # derived from the rules: the rules' and the power's hash (filled in by the guard)
    assert td["message"]["rulesHash"] == eip712.rules_hash(program)
    # the rules text's hash is a constant, the addresses' part is the constructor's
    assert f"RULES_TEXT_HASH = {eip712.rules_text_hash(program)};" in source
    assert td["message"]["powerHash"] == eip712.power_hash(program.powers[1])
    assert f"if (power == 1) return {eip712.power_hash(program.powers[1])};" in source
