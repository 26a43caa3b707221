"""Incident operations: signers use the guard's manual powers (`interlock op`, `interlock status`).

Data flows one way: words -> `words.resolve` (a power of the rules, its targets and value) ->
`opfile.propose` (an operation file holding the EIP-712 typed data of `compiler.eip712` and a
summary `describe` derives from it) -> `signing` (signatures added, files merged) -> `roles`
(is the role met; who is missing) -> `chain` (simulate, decode refusals with `errors`, send).
`guard_status` reads a deployed guard's live state. `commands` is what the CLI calls.
"""
