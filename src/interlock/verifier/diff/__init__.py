"""Semantic comparison of two rule files (`interlock diff`): what a change does to the
guarantees. `compare.compare(old, new)` returns one `model.Change` per aspect that differs,
each with a verdict and its evidence; docs/diff.md defines every comparison."""
