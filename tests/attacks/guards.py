"""A guard compiled from rule text and deployed on Anvil, and signatures made the way
`interlock op` makes them (the typed data of `interlock.compiler.eip712`, signed by eth_account):
what an attacker replays is exactly what honest signers produced."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3

from interlock.compiler import eip712
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_text
from interlock.ir.addresses import constructor_args
from interlock.ir.nodes import Program
from interlock.runtime.anvil import Anvil
from interlock.testing.contracts import deploy
from tests.compiler.conftest import SIGNER_KEYS, Chain

FAR = 2**40
ADDRESSES = {f"k{i}": Account.from_key(k).address for i, k in enumerate(SIGNER_KEYS)}


@dataclass(frozen=True)
class Guard:
    program: Program
    contract: Any

    def sign(self, chain: Chain, chosen: Mapping[str, int], *keys: bytes) -> list[bytes]:
        """Signatures of `keys` over one use of a power, ordered by signer address."""
        msg = eip712.operation_message(self.program, chosen)
        td = eip712.typed_data(self.program, chain.w3.eth.chain_id, self.contract.address, msg)
        signed = sorted((Account.from_key(k).address, Account.sign_message(
            encode_typed_data(full_message=td), k)) for k in keys)
        return [s.r.to_bytes(32, "big") + s.s.to_bytes(32, "big") + bytes([s.v])
                for _, s in signed]

    def call_tuple(self, chosen: Mapping[str, int]) -> tuple[int, ...]:
        return eip712.message_tuple(eip712.operation_message(self.program, chosen))


def chain_of(node: Anvil) -> Chain:
    return Chain(Web3(Web3.HTTPProvider(node.http_url, request_kwargs={"timeout": 30})),
                 node=node)


def deploy_rules(chain: Chain, text: str, deployer: str) -> Guard:
    """Compile `text` (addresses `{k0}`..`{k4}` filled in) and deploy its guard from `deployer`."""
    front = compile_text(text.format(**ADDRESSES), "attack.guard")
    assert front.program is not None, front.diagnostics
    name = f"{front.program.protocol}Guard"
    c = compile_sources(emit_solidity(front.program), allow_warnings=False).contract(name)
    args = constructor_args(front.program)
    return Guard(front.program, deploy(chain.w3, c.abi, c.bytecode, *args, sender=deployer))


def op(power: int, targets: int = 0, value: int = 0, nonce: int = 1) -> dict[str, int]:
    return {"power": power, "targets": targets, "value": value, "nonce": nonce, "deadline": FAR}
