"""Results of pure functions of frozen objects (the IR, the `Ops` back end), remembered by the
objects' identity.

Hashing a pydantic IR node walks the whole node, so a cache keyed by value would cost what it
saves. `by_identity` keys on `id()` instead and keeps the arguments alive in the entry, so no
id is reused while its entry lives; the cache is cleared when it reaches `SIZE` entries, which
bounds its memory in a long-running monitor or a test session that builds many programs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

SIZE = 1024
F = TypeVar("F", bound=Callable[..., Any])


def by_identity(fn: F) -> F:
    """`fn` (positional arguments only), remembered per identity of its arguments."""
    cache: dict[tuple[int, ...], tuple[tuple[Any, ...], Any]] = {}

    @functools.wraps(fn)
    def remembered(*args: Any) -> Any:
        key = tuple(map(id, args))
        hit = cache.get(key)
        if hit is not None:
            return hit[1]
        value = fn(*args)
        if len(cache) >= SIZE:
            cache.clear()
        cache[key] = (args, value)
        return value

    return cast(F, remembered)
