"""Test contracts and helpers for running generated guards on a real EVM.

Solidity (compiled with the pinned solc): `TestToken` (ERC-20 with mint), `TestVault` (reports
flows to the guard and skips a refused flow), `TestFeed` (Chainlink-style, settable answer and
updatedAt), `ReentrantToken` / `ReentrantFeed` (try to re-enter the guard while it reads them).
Python: `contracts` compiles and deploys them, `signing` signs EIP-712 `Operation`s.
"""
