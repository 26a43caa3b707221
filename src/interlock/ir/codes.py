"""The front end's stable diagnostic codes (docs/diagnostics.md lists each with an example).

E00xx files, E01xx syntax, E02xx names and addresses, E03xx types and units, E04xx ranges,
E05xx rules (roles, effects, powers, properties).
"""

from __future__ import annotations

UNREADABLE = "E0001"

SYNTAX = "E0101"
BAD_CHARACTER = "E0102"
UNEXPECTED_EOF = "E0103"
MISSING_PROTOCOL = "E0104"
DUPLICATE_PROTOCOL = "E0105"
TOO_DEEP = "E0106"

UNKNOWN_NAME = "E0201"
DUPLICATE_NAME = "E0202"
KEYWORD_NAME = "E0203"
WRONG_KIND = "E0204"
DUPLICATE_ADDRESS = "E0205"
BAD_CHECKSUM = "E0206"
BAD_ADDRESS = "E0207"
LISTED_TWICE = "E0208"
AGENT_IN_ROLE = "E0209"
UNKNOWN_FIELD = "E0210"
BAD_EVENT_TYPE = "E0211"
ZERO_SIGNER = "E0212"
UNKNOWN_PLACEHOLDER = "E0213"
LOOP_VAR_SHADOWS = "E0214"
NOTHING_HELD = "E0218"  # `cancel holds` when no breaker holds a flow
BAD_READ_SIGNATURE = "E0222"
READ_NOT_INTEGER = "E0223"
READ_ARGUMENTS = "E0224"
UNPRICED_ASSET = "E0215"
NO_QUOTE = "E0216"
QUOTE_NAME_TAKEN = "E0217"

UNIT_MISMATCH = "E0301"
NEEDS_UNIT = "E0302"
NONLINEAR = "E0303"
NOT_A_NUMBER = "E0304"
NOT_A_CONDITION = "E0305"
METRIC_NOT_ALLOWED = "E0306"
SCORE_IN_SCORE = "E0307"
BAD_UNIT_NAME = "E0308"
NOT_CONSTANT = "E0309"
FLOW_OUTSIDE_BREAKER = "E0313"  # `flow(..)` in a score, a power or an invariant
FLOW_OFFCHAIN = "E0314"  # `flow(..)` in a rule the guard cannot evaluate itself
QUOTE_MISMATCH = "E0310"

OUT_OF_RANGE = "E0401"
BAD_PARAM_RANGE = "E0402"
ZERO_THRESHOLD = "E0403"
THRESHOLD_TOO_LARGE = "E0404"
ZERO_DURATION = "E0405"
BAD_WINDOW = "E0406"
NOT_INTEGER = "E0407"
FRACTION_DOES_NOT_FIT = "E0408"
BAD_WITHIN = "E0409"
SET_OUT_OF_RANGE = "E0410"
DIVISION_BY_ZERO = "E0411"
TOO_MANY = "E0412"
BEYOND_SATURATION = "E0413"
READ_ARGUMENT_RANGE = "E0416"
VALUE_DECIMALS = "E0414"

ROLE_CYCLE = "E0501"
UNSAFE_DIRECTION = "E0502"
BLOCK_WITHOUT_PER_SENDER = "E0503"
ASSUMING_ON_COALITION = "E0504"
DUPLICATE_OPTION = "E0505"
EMPTY_TARGETS = "E0506"
NO_REFERENCE = "E0507"
CANCEL_UNTIMELOCKED = "E0508"
BAD_AGGREGATE_FIELD = "E0509"
UNKNOWN_FINDING_CODE = "E0510"
EMPTY_REASON = "E0511"
GROUP_CYCLE = "E0512"
NOT_REPEATABLE = "E0513"
HOLD_WITHOUT_FLOW = "E0514"  # `hold flow` in a breaker whose condition does not read `flow(..)`
BAD_STEP = "E0515"
SIGNED_RELATIVE_STEP = "E0516"

# built-in findings (warnings, errors under `--strict`; `interlock.verifier.findings`): the codes
# an `accept CODE` declaration may name, with their titles
DEAD_BREAKER = "W0801"
TIMELOCK_BYPASS = "W0802"
NO_EARLY_UNPAUSE = "W0803"
UNUSED_TIER = "W0804"
UNUSED_ACCEPTANCE = "W0805"  # an `accept` that matches no finding (not itself acceptable)
FLASH_OFFSET = "W0810"
GAP_LOCKOUT = "W0806"
SLOW_CANCEL = "W0807"
UNBOUNDED_BLOCK = "W0811"
UNHELD_IN_COOLDOWN = "W0813"
STEP_BYPASS = "W0814"
UNUSED_READ = "W0815"
UNPRICED_IN_SUM = "W0812"
FINDINGS: dict[str, str] = {
    DEAD_BREAKER: "breaker can never fire",
    TIMELOCK_BYPASS: "power bypasses a timelock",
    NO_EARLY_UNPAUSE: "scope cannot be unpaused before its pause expires",
    UNUSED_TIER: "score tier no breaker uses",
    FLASH_OFFSET: "flash liquidity can offset a rule's outflow",
    GAP_LOCKOUT: "no pause possible after a pause ends",
    SLOW_CANCEL: "cancel power cannot win the race",
    UNBOUNDED_BLOCK: "block sender without a cooldown",
    UNHELD_IN_COOLDOWN: "hold flow with a cooldown",
    STEP_BYPASS: "step bound another power bypasses",
    UNUSED_READ: "custom read no breaker uses",
    UNPRICED_IN_SUM: "value sum leaves out an unpriced asset",
}

TITLES: dict[str, str] = {
    UNREADABLE: "the file cannot be read",
    SYNTAX: "unexpected token",
    BAD_CHARACTER: "unexpected character",
    UNEXPECTED_EOF: "unexpected end of file",
    MISSING_PROTOCOL: "the `protocol` line is missing or not first",
    DUPLICATE_PROTOCOL: "more than one `protocol` line",
    TOO_DEEP: "expressions nested too deeply",
    UNKNOWN_NAME: "unknown name",
    DUPLICATE_NAME: "a name is declared twice",
    KEYWORD_NAME: "a keyword used as a name",
    WRONG_KIND: "a name of the wrong kind",
    DUPLICATE_ADDRESS: "the same address twice",
    BAD_CHECKSUM: "a mixed-case address fails its EIP-55 checksum",
    BAD_ADDRESS: "not an address",
    LISTED_TWICE: "a name listed twice in one list",
    AGENT_IN_ROLE: "an agent as a role member",
    UNKNOWN_FIELD: "an event field that the event does not have",
    BAD_EVENT_TYPE: "an event parameter type that is not an ABI type",
    ZERO_SIGNER: "a signer at address 0",
    UNKNOWN_PLACEHOLDER: "a `{VAR}` placeholder outside a `for each` over `VAR`",
    LOOP_VAR_SHADOWS: "a `for each` variable that is already a name",
    NOTHING_HELD: "`cancel holds` without a breaker that holds flows",
    BAD_READ_SIGNATURE: "a read's signature is not `name(types)(type)` with ABI types",
    READ_NOT_INTEGER: "a read that does not return exactly one integer",
    READ_ARGUMENTS: "a read's arguments do not match its signature",
    UNPRICED_ASSET: "`value` of an asset that no feed prices",
    NO_QUOTE: "`priced by` a feed without a `quote` unit",
    QUOTE_NAME_TAKEN: "a quote unit that is also a declared name",
    UNIT_MISMATCH: "the two sides have different units",
    NEEDS_UNIT: "a bare number where a unit is needed",
    NONLINEAR: "a product or quotient of two quantities",
    NOT_A_NUMBER: "a condition where a number is expected",
    NOT_A_CONDITION: "a number where a condition is expected",
    METRIC_NOT_ALLOWED: "a metric where only state may be used",
    SCORE_IN_SCORE: "a score used inside a score",
    BAD_UNIT_NAME: "an amount's unit is not an asset or a feed",
    NOT_CONSTANT: "a constant is expected",
    FLOW_OUTSIDE_BREAKER: "`flow(..)` outside a breaker's condition",
    FLOW_OFFCHAIN: "`flow(..)` in a rule the guard cannot evaluate",
    QUOTE_MISMATCH: "a sum of values in different quote units",
    OUT_OF_RANGE: "a number out of range",
    BAD_PARAM_RANGE: "a param's range is empty or misses its initial value",
    ZERO_THRESHOLD: "a threshold of zero",
    THRESHOLD_TOO_LARGE: "a threshold larger than its member list",
    ZERO_DURATION: "a zero duration where it means nothing",
    BAD_WINDOW: "a window that is not a positive multiple of 12 s",
    NOT_INTEGER: "a fraction where a whole number is needed",
    FRACTION_DOES_NOT_FIT: "more decimal places than the unit has",
    BAD_WITHIN: "a `within` range outside the param's range",
    SET_OUT_OF_RANGE: "a `set` value outside the param's range",
    DIVISION_BY_ZERO: "division by zero",
    TOO_MANY: "more signers, scopes or feeds than a guard holds",
    BEYOND_SATURATION: "a comparison saturated metrics never satisfy",
    READ_ARGUMENT_RANGE: "a read's integer argument outside its type's range",
    VALUE_DECIMALS: "an asset and its feed with too many decimals to value exactly",
    ROLE_CYCLE: "roles that contain themselves",
    UNSAFE_DIRECTION: "automation that moves a param in its unsafe direction",
    BLOCK_WITHOUT_PER_SENDER: "`block sender` in a breaker without `per sender`",
    ASSUMING_ON_COALITION: "`assuming` on a coalition property",
    DUPLICATE_OPTION: "an option given twice",
    EMPTY_TARGETS: "`* except ...` that leaves nothing",
    NO_REFERENCE: "`deviation` of a feed without a `reference`",
    CANCEL_UNTIMELOCKED: "`cancel` of a role without `after`",
    BAD_AGGREGATE_FIELD: "`sum` without an integer field, or `count` with a field",
    UNKNOWN_FINDING_CODE: "`accept` names a code that is not a finding",
    EMPTY_REASON: "`accept` without a reason",
    GROUP_CYCLE: "groups that contain themselves",
    NOT_REPEATABLE: "a `protocol` line inside a `for each`",
    HOLD_WITHOUT_FLOW: "`hold flow` in a breaker that does not read `flow(..)`",
    BAD_STEP: "a `set` step bound that is zero, too fine or too large",
    SIGNED_RELATIVE_STEP: "a relative step bound on a param that may be negative",
}

# --- `interlock diff`: kinds of change that weaken the guard (docs/diff.md) -----------------
# One code per kind so that a rule file can accept a deliberate weakening with a reason.

POWER_ADDED = "W1001"
POWER_FEWER_KEYS = "W1002"
POWER_SHORTER_TIMELOCK = "W1003"
POWER_WIDER_REACH = "W1004"
POWER_SHORTER_COOLDOWN = "W1005"
POWER_WEAKER_CONDITION = "W1006"
SCOPE_LONGER_PAUSE = "W1007"
SCOPE_RELAXED = "W1008"
BREAKER_REMOVED = "W1009"
BREAKER_FEWER_STATES = "W1010"
BREAKER_WEAKER_RESPONSE = "W1011"
BREAKER_LONGER_COOLDOWN = "W1012"
INVARIANT_REMOVED = "W1013"
INVARIANT_WEAKER = "W1014"
PARAM_LESS_SAFE = "W1015"

DIFF_TITLES: dict[str, str] = {
    POWER_ADDED: "a power is added",
    POWER_FEWER_KEYS: "a power can be used by more sets of signers or by fewer entities",
    POWER_SHORTER_TIMELOCK: "a power's timelock is shorter",
    POWER_WIDER_REACH: "a power reaches more targets, longer durations or a wider range",
    POWER_SHORTER_COOLDOWN: "a power's cooldown is shorter or gone",
    POWER_WEAKER_CONDITION: "a power's `when` holds in more states",
    SCOPE_LONGER_PAUSE: "a scope can stay paused longer",
    SCOPE_RELAXED: "a scope is removed or its `max` or `gap` is relaxed",
    BREAKER_REMOVED: "a breaker is removed",
    BREAKER_FEWER_STATES: "a breaker fires in fewer states",
    BREAKER_WEAKER_RESPONSE: "a breaker's effects are shorter, fewer or off chain only",
    BREAKER_LONGER_COOLDOWN: "a breaker's cooldown is longer",
    INVARIANT_REMOVED: "an invariant is removed",
    INVARIANT_WEAKER: "an invariant asserts less",
    PARAM_LESS_SAFE: "a param's range is wider or its initial value less safe",
}

# what `accept CODE` may name: a finding, or a kind of weakening `interlock diff` reports
ACCEPTABLE: dict[str, str] = {**FINDINGS, **DIFF_TITLES}

# Build errors (E06xx): the rules check, but what they compile to cannot be used. Reported by
# `interlock build` (exit 2); listed under "Build" in docs/diagnostics.md.
TOO_LARGE = "E0601"
# Address files (`deploy --addresses`, `ir.addresses`): a network's addresses for the rules
BAD_ADDRESS_FILE = "E0602"
UNKNOWN_ADDRESS_NAME = "E0603"
REPEATED_ADDRESS = "E0604"
DEFAULT_ADDRESS = "W0816"

BUILD_TITLES: dict[str, str] = {
    TOO_LARGE: "a generated contract exceeds EIP-170's 24,576-byte code size limit",
    BAD_ADDRESS_FILE: "an address file that cannot be used",
    UNKNOWN_ADDRESS_NAME: "an address file names no address of the rules",
    REPEATED_ADDRESS: "the same address twice in a guard's addresses",
    DEFAULT_ADDRESS: "an address keeps the rule file's value on this network",
}
