"""Regenerate the `## Findings` part of docs/diagnostics.md from the registered findings.

    .venv/bin/python -m tests.verifier.gen_findings_doc

Everything before the `## Findings` heading (the front end's part) and from the `## Diff`
heading on (`tests.verifier.diff.gen_diff_doc`'s part) is kept as it is.
"""

from __future__ import annotations

from pathlib import Path

from interlock.dsl.frontend import compile_text
from interlock.report.diagnostic_text import render_diagnostic
from interlock.verifier.findings import REGISTRY, accepted, find

DOC = Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"
HEAD = """protocol T
signer alice 0x1111111111111111111111111111111111111111
signer bob   0x2222222222222222222222222222222222222222
role ops = 2 of [alice, bob]
role dao = ops after 48h
scope s
feed ETH 0x5f4ec3df9cbd43714fe2740f5e3616155c5b8419 decimals 8
  reference 0x8888888888888888888888888888888888888888
param lev = 20 in [2, 50] safer lower
"""
SCORE_OUT_OF_REACH = """score risk {
  40 when deviation(ETH) > 2%
  30 when deviation(ETH) > 5%
}
breaker halt {
  when risk >= 80
  then pause s for 6h
}
allow ops to unpause s
"""
CASES = {
    "W0801": HEAD + SCORE_OUT_OF_REACH,
    "W0802": HEAD + "allow dao to set lev within [5, 40]\nallow ops to set lev\n",
    "W0803": HEAD + "breaker b {\n  when deviation(ETH) > 3%\n  then pause s for 6h\n}\n",
    "W0804": HEAD + "score risk {\n  40 when deviation(ETH) > 2%\n}\n",
    "W0810": HEAD + "asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6\n"
    "vault pool 0x3333333333333333333333333333333333333333 holds USDC\n"
    "breaker bank_run {\n  when outflow(USDC, 1h) > inflow(USDC, 1h) + 15% of tvl(USDC)\n"
    "  then pause s for 6h\n}\n",
    "W0806": HEAD.replace("scope s\n", "scope s gap 12h\n")
    + "breaker b {\n  when deviation(ETH) > 3%\n  then pause s for 6h\n}\n"
    + "allow ops to pause s for at most 1d\nallow ops to unpause s\n",
    "W0807": HEAD + "allow dao to set lev\nallow dao to cancel dao\n",
    "W0812": HEAD + "asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6 "
    "priced by USDC_USD\nasset DUST 0x4444444444444444444444444444444444444444 decimals 18\n"
    "vault pool 0x3333333333333333333333333333333333333333 holds USDC, DUST\n"
    "feed USDC_USD 0x8fFfFfd4AfB6115b954Bd326cbe7B4BA576818f6 decimals 8 quote USD\n"
    "breaker notional {\n  when value(outflow(*, 24h)) > 1_000_000 USD\n"
    "  then pause s for 6h\n}\nallow ops to unpause s\n",
    "W0811": HEAD + "agent bot 0x6666666666666666666666666666666666666666\n"
    "breaker spam {\n  when calls(s, 1h, per sender) > 30\n"
    "  then block sender from s for 24h\n}\n",
    "W0813": HEAD + "asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6\n"
    "vault pool 0x3333333333333333333333333333333333333333 holds USDC\n"
    "breaker big {\n  when flow(USDC) > 10% of tvl(USDC)\n  then hold flow for 24h\n"
    "  cooldown 1h\n}\n",
    "W0814": HEAD + "allow ops to set lev by at most 50% per 1d\nallow ops to set lev\n",
    "W0815": HEAD + 'read debt = call 0x5555555555555555555555555555555555555555 '
    '"totalSupply()(uint256)"\n',
}
INTRO = [
    "## Findings",
    "",
    "Built-in findings of the verifier (`interlock.verifier.findings`, SPEC §5): warnings, errors",
    "under `--strict` (then `interlock check` exits 1, like a violated property). Each is decided",
    'with Z3 over free metrics (see docs/verification.md, "Findings"); the docstring of each check',
    "says exactly what it reports. A finding kept on purpose is accepted in the rule file with",
    '`accept CODE [NAME] because "REASON"` (docs/language.md, "Accepting a finding"): it is then',
    "reported as accepted and is not an error under `--strict`.",
    "",
]
UNUSED = HEAD + 'accept W0801 because "halt is a drill"\n'
UNUSED_DOC = (
    "An `accept` line that matches no finding: the code has no finding in the file, or none "
    "about the named declaration (a stale acceptance would otherwise outlive its rule)."
)


def findings_part() -> str:
    out = list(INTRO)
    for f in sorted(REGISTRY, key=lambda f: f.code):
        text = CASES[f.code]
        program = compile_text(text, "rules.guard").program
        assert program is not None
        diag = next(d for d in find(program) if d.code == f.code)
        rendered = render_diagnostic(diag, text).rstrip("\n")
        out += [f"### {f.code}: {f.title}", "", " ".join(f.doc.split()), "", "```", rendered]
        out += ["```", ""]
    program = compile_text(UNUSED, "rules.guard").program
    assert program is not None
    diag = next(d for d in accepted(program, find(program)) if d.code == "W0805")
    out += ["### W0805: `accept` matches no finding", "", UNUSED_DOC, "", "```"]
    out += [render_diagnostic(diag, UNUSED).rstrip("\n"), "```", ""]
    return "\n".join(out)


def main() -> None:
    text = DOC.read_text("utf-8")
    head = text[: text.index("\n## Findings")] if "\n## Findings" in text else text
    head = head.rstrip()
    tail = text[text.index("\n## Diff") + 1:] if "\n## Diff" in text else ""  # gen_diff_doc
    DOC.write_text(head + "\n\n" + findings_part() + "\n" + tail, "utf-8")


if __name__ == "__main__":
    main()
