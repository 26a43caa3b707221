"""`accept CODE [NAME] because "REASON"` -> `ir.Acceptance`.

The code must be a finding's or a diff weakening's (`codes.ACCEPTABLE`): errors of the front
end cannot be accepted.
NAME, when given, is any declared name. Whether a finding matches is decided after the
findings ran (`interlock.verifier.acceptance`).
"""

from __future__ import annotations

import difflib

from interlock.dsl import ast
from interlock.dsl.analysis.common import Sink, Symbols
from interlock.ir import codes as C
from interlock.ir import nodes as ir


def acceptance(d: ast.AcceptDecl, symbols: Symbols, sink: Sink) -> ir.Acceptance | None:
    code = d.code.text
    ok = True
    if code not in C.ACCEPTABLE:
        close = difflib.get_close_matches(code, sorted(C.ACCEPTABLE), n=1, cutoff=0.6)
        sink.error(C.UNKNOWN_FINDING_CODE, f"`{code}` is not the code of a finding", d.code.span,
                   help=f"did you mean `{close[0]}`?" if close else
                   f"findings are {', '.join(sorted(C.FINDINGS))}")
        ok = False
    if d.target is not None and d.target.text not in symbols.table:
        close = difflib.get_close_matches(d.target.text, list(symbols.table), n=1, cutoff=0.6)
        sink.error(C.UNKNOWN_NAME, f"unknown name `{d.target.text}`, expected a declared name",
                   d.target.span, help=f"did you mean `{close[0]}`?" if close else None)
        ok = False
    reason = d.reason[1:-1].strip()
    if not reason:
        sink.error(C.EMPTY_REASON, "an accepted finding needs a reason", d.span,
                   help='say why, e.g. `because "the guardian unpauses by design"`')
        ok = False
    if not ok:
        return None
    target = d.target.text if d.target is not None else None
    return ir.Acceptance(code=code, target=target, reason=reason, span=d.span)
