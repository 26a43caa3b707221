"""The attack tests of issue 16: against the venue guard of tests/compiler (py-evm), or on
Anvil (the fixture raises, never skips, when it is missing)."""

from tests.compiler.conftest import anvil_node, pyevm_venue, venue

__all__ = ["anvil_node", "pyevm_venue", "venue"]
