"""Test contracts and helpers for running generated guards on a real EVM.

Solidity (compiled with the pinned solc), one family of stand-ins for every use (the demo, the
guard tests, the chain driver, the gas bench): `TestToken` (ERC-20 with open `mint` and
`setBalance`), `TestVault` (reports flows to the guard and skips a refused flow;
`reportOutflow` reports one without moving tokens, `reportOutflowTo` one a `hold flow` rule
may hold), `TestFeed` (Chainlink-style, settable answer and
updatedAt), `ReentrantToken` / `ReentrantFeed` (try to re-enter the guard while it reads them),
`GuardStateReader` (a guard's whole state in one call).
Python: `contracts` compiles and deploys them, `signing` signs EIP-712 `Operation`s.
"""
