"""The one Jinja environment of the code generators: logic-free templates, exact whitespace."""

from __future__ import annotations

from functools import cache

import jinja2


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("interlock.compiler", "templates"),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def template(name: str) -> jinja2.Template:
    """A template of `compiler/templates/`; unknown variables are errors, not empty strings."""
    return _env().get_template(name)
