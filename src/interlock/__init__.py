"""Interlock: one rule source, three back ends that agree (proofs, Solidity guard, monitor)."""

__version__ = "0.1.0"
