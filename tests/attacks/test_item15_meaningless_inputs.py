"""Issue 16, items 15 and 9 (front end): inputs the guard cannot honour are errors in `check`.

Before: a comparison constant above the 2**128 saturation (`price > 5000 F` with a 36-decimals
feed never fires), a signer at address 0 (`every power needs 2 signers` then proved for a
power that can never be used), 257 signers (`check` passed, `build` failed with a solc
TypeError) and 256 scopes (every power panicked on its `uint8` loop) were accepted silently.
"""

from __future__ import annotations

from interlock.dsl.frontend import compile_text
from interlock.ir import codes as C

HEAD = "protocol P\nsigner s1 0x00000000000000000000000000000000000000a1\nscope w\n"


def _codes(text: str) -> list[str]:
    return [d.code for d in compile_text(text, "x.guard").diagnostics if d.severity == "error"]


def _addr(i: int) -> str:
    return f"0x{i + 0x1000:040x}"


def test_constant_above_saturation_is_an_error() -> None:
    text = HEAD + (
        "feed F 0x00000000000000000000000000000000000000c3 decimals 36\n"
        "breaker b { when price(F) > 5000 F then pause w for 1h }\n")
    assert C.BEYOND_SATURATION in _codes(text)
    fine = text.replace("decimals 36", "decimals 8")
    assert _codes(fine) == []


def test_signer_at_address_zero_is_an_error() -> None:
    text = HEAD + "signer s2 0x0000000000000000000000000000000000000000\n"
    assert C.ZERO_SIGNER in _codes(text)


def test_257_signers_is_an_error() -> None:
    signers = "".join(f"signer x{i} {_addr(i)}\n" for i in range(256))
    assert C.TOO_MANY in _codes(HEAD + signers)
    assert C.TOO_MANY not in _codes(HEAD + signers.split("\n", 1)[1])  # 256 fit


def test_256_scopes_is_an_error() -> None:
    scopes = "".join(f"scope s{i}\n" for i in range(255))  # 256 with `w`
    assert C.TOO_MANY in _codes(HEAD + scopes)
    assert C.TOO_MANY not in _codes(HEAD + scopes.split("\n", 1)[1])
