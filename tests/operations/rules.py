"""The rule file the operation tests deploy: three signers, a 2-of-3 guardian, a timelocked
governor, every kind of power, and an on-chain breaker for the incident."""

RULES = """protocol OpsVenue

signer alice 0x1111111111111111111111111111111111111111 entity foundation
signer bob   0x2222222222222222222222222222222222222222 entity foundation
signer carol 0x3333333333333333333333333333333333333333 entity auditor
agent  watcher 0x6666666666666666666666666666666666666666

role guardian = 2 of [alice, bob, carol]
role governor = 2 of [alice, bob, carol] after 1d

scope deposits
scope withdrawals max 72h gap 24h
scope liquidations

asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
feed ETH_USD 0x5f4ec3df9cbd43714fe2740f5e3616155c5b8419 decimals 8
param max_leverage = 20 in [2, 50] safer lower

breaker drain {
  when outflow(USDC, 1h) > 10% of tvl(USDC)
  then pause withdrawals for 6h, set max_leverage to 10 for 2h
  cooldown 24h
}

allow guardian to pause * for at most 72h cooldown 24h
allow guardian to unpause * except liquidations
allow guardian to unpause liquidations when not suspended(ETH_USD)
allow guardian to suspend ETH_USD for at most 1h
allow guardian to extend withdrawals by at most 7d
allow governor to set max_leverage within [5, 40]
allow guardian to cancel governor
"""
