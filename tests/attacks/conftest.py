"""The attack tests of issue 16 run against the venue guard of tests/compiler (py-evm)."""

from tests.compiler.conftest import pyevm_venue, venue

__all__ = ["pyevm_venue", "venue"]
