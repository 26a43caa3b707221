"""The human half of the plan: each `allow` line as the exact `interlock op` command that uses
it, who must sign (the verifier's minimum coalitions, by name) and how long it waits."""

from __future__ import annotations

from dataclasses import dataclass

from interlock.ir.nodes import AllOf, AnyOf, Power, Program, RoleExpr, RoleMember, Threshold
from interlock.verifier.coalition import PowerCoalitions, power_coalitions
from interlock.verifier.describe import describe_power, fmt_duration

BUILD_DIR = "BUILD_DIR"  # the directory `interlock build -o` wrote


@dataclass(frozen=True)
class Action:
    power_id: int
    kind: str
    targets: tuple[str, ...]
    role: str
    power: str  # as the `allow` line says it: `pause * for at most 72h`
    line: int
    command: str  # `interlock op propose BUILD_DIR pause '*' for 72h`
    members: str  # the role as written: `2 of [alice, carol, dave]`
    min_signers: tuple[str, ...]  # one smallest set of signers that can use it
    min_entities: tuple[str, ...]  # one smallest set of entities
    delay: str  # `immediate` or `48h timelock (queued, then executeQueued)`
    condition: str | None  # `when not suspended(ETH_USD)`
    cooldown: str | None


def role_text(program: Program, expr: RoleExpr) -> str:
    if isinstance(expr, Threshold):
        return f"{expr.k} of [{', '.join(role_text(program, m) for m in expr.members)}]"
    if isinstance(expr, AllOf | AnyOf):
        sep = " and " if isinstance(expr, AllOf) else " or "
        return sep.join(f"({role_text(program, i)})" for i in expr.items)
    if isinstance(expr, RoleMember):
        return expr.name
    return expr.name


def _members(program: Program, role: str) -> str:
    r = program.role(role)
    text = role_text(program, r.expr)
    return text if r.delay == 0 else f"{text}, after {fmt_duration(r.delay)}"


def words(program: Program, power: Power) -> str:
    """The words `interlock op propose` takes for the power's widest use (shell-quoted `*`)."""
    described = describe_power(program, power).split(" for at most ")[0].split(" by at most ")[0]
    kind, _, targets = described.partition(" ")
    targets = " ".join(t.strip() for t in targets.replace("*", "'*'").split(","))
    if kind in ("pause", "suspend"):
        bound = fmt_duration(power.max_duration) if power.max_duration else "DURATION"
        return f"{kind} {targets} for {bound}"
    if kind == "extend":
        bound = fmt_duration(power.max_duration) if power.max_duration else "DURATION"
        return f"extend {targets} by {bound}"
    if kind == "set":
        return f"set {targets.split(' within ')[0]} to VALUE"
    if kind == "unblock":
        return f"unblock {targets} sender ADDRESS"
    return f"{kind} {targets}"


def command(program: Program, power: Power) -> str:
    if power.kind == "cancel":
        return "interlock op cancel QUEUED_FILE"
    if power.kind == "cancel_holds":  # the hold id of its `FlowHeld` event
        return f"interlock op propose {BUILD_DIR} cancel holds HOLD_ID"
    return f"interlock op propose {BUILD_DIR} {words(program, power)}"


def _condition(source: str, power: Power) -> str | None:
    if power.when is None:
        return None
    line = source.splitlines()[power.span.line - 1].split("#", 1)[0]
    return " ".join(line[line.find(" when ") + 1 :].split()) if " when " in line else "a condition"


def actions(program: Program, source: str) -> tuple[Action, ...]:
    coalitions: dict[int, PowerCoalitions] = {c.power.id: c for c in power_coalitions(program)}
    out = []
    for p in program.powers:
        c = coalitions[p.id]
        delay = "immediate" if p.delay == 0 else (
            f"{fmt_duration(p.delay)} timelock (queued, then executeQueued)"
        )
        out.append(Action(
            power_id=p.id, kind=p.kind, targets=p.targets, role=p.role,
            power=describe_power(program, p), line=p.span.line,
            command=command(program, p), members=_members(program, p.role),
            min_signers=c.signers.members, min_entities=c.entities.members, delay=delay,
            condition=_condition(source, p),
            cooldown=None if p.cooldown is None else fmt_duration(p.cooldown),
        ))
    return tuple(out)
