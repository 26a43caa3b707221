"""Point a rule file at contracts and keys of a test chain by rewriting its addresses.

Example files name fixed mainnet-like addresses (a real USDC, keys nobody here holds). To run
their rules on a test chain, the driver deploys stand-ins (token, vault, feed) and creates
keys, then rewrites every address in the text, declaration by declaration, to the stand-in's
address. Names, numbers and layout stay as they were, so the verifier's counterexamples (which
speak in names) apply to the rewritten file unchanged and every span keeps its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from eth_utils.address import to_checksum_address

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}(?![0-9a-zA-Z_])")


def rewrite_addresses(text: str, mapping: Mapping[str, str]) -> str:
    """Replace every address of `text` found in `mapping` (keys compared case-insensitively).

    Replacements are EIP-55 checksummed; an address not in `mapping` is left unchanged.
    """
    lowered = {k.lower(): to_checksum_address(v) for k, v in mapping.items()}

    def swap(m: re.Match[str]) -> str:
        return lowered.get(m.group(0).lower(), m.group(0))

    return _ADDRESS.sub(swap, text)
