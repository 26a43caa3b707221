"""Markdown and HTML renderings of a `Plan` (logic-free jinja2 templates)."""

from __future__ import annotations

import functools
import re
from typing import Literal

import jinja2
from markupsafe import Markup, escape

from interlock.plan.model import Plan

Format = Literal["md", "html"]


def _code(text: str) -> Markup:
    """HTML: the model's `backticked` names (Markdown code spans) as <code>, the rest escaped."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


@functools.cache
def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("interlock.plan", "templates"),
        autoescape=autoescape, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["code"] = _code
    return env


def render(plan: Plan, fmt: Format) -> str:
    text = _env(fmt == "html").get_template(f"plan.{fmt}.j2").render(p=plan)
    lines = [line.rstrip() for line in text.splitlines()]
    # the templates leave blank lines around blocks; Markdown needs at most one
    kept = [ln for i, ln in enumerate(lines) if ln or (i > 0 and lines[i - 1])]
    return "\n".join(kept).strip("\n") + "\n"


def file_name(protocol: str, fmt: Format) -> str:
    return f"{protocol}.plan.{fmt}"
