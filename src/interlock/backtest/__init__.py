"""`interlock backtest`: replay recorded or modelled traces through the rules (docs/backtest.md)."""
