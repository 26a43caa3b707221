"""Front-end cases first found by the random-file strategies (`strategies.guard_files`).

Each is kept as a plain regression test.
"""

from __future__ import annotations

from interlock.dsl.frontend import compile_text

HEAD = (
    "protocol P\n"
    "signer a 0x1111111111111111111111111111111111111111\n"
    "role r = a\n"
    "scope s\n"
    "allow r to unpause s\n"
    "invariant i: no unilateral signer\n"
)


def _errors(text: str) -> list[str]:
    result = compile_text(text, "found.guard")
    return [f"{d.code} {d.message}" for d in result.diagnostics if d.is_error]


def test_count_metric_with_unnamed_event_param() -> None:
    """An unnamed param once matched the missing field (None == None) and hit an assert."""
    text = HEAD + "metric m = count(Borrow(address indexed, uint256 amount) at " \
                  "0xabababababababababababababababababababab, 1h)\n"
    assert _errors(text) == []


def test_sum_metric_with_unnamed_event_param() -> None:
    text = HEAD + "metric m = sum(Borrow(address indexed, uint256 amount).amount at " \
                  "0xabababababababababababababababababababab, 1h)\n"
    assert _errors(text) == []
