"""The bottom layer: the frozen IR, spans, diagnostics and the queries every phase shares.

- `nodes`: the frozen IR (`Program` and its parts, `EventSignature` of custom metrics);
- `diagnostics`, `codes`: the one diagnostic type and its codes;
- `conditions`: the one traversal of conditions: sub-conditions, atoms (with or without score
  expansion), what a condition reads, and `CondFold`, the visitor back ends interpret with;
- `trip`: the part of an off-chain rule the guard checks on `trip` (guard and semantics);
- `metric_arith`: WAD, the saturation bound, `deviation`/`change`/`staleness`, metric sign;
- `schema`: the exported JSON Schema (docs/ir.schema.json).
"""
