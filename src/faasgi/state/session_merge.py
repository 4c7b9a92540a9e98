"""The three-way merge that saves a session two requests changed at once (the rule is in
faasgi.state.sessions' docstring), and the fingerprints it compares values by. Pure
functions of JSON values: no store, no cookies.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from typing import Any, Final

from faasgi.state.session import Session, SessionConflict
from faasgi.state.store import DELETE

MISSING: Final = object()


def json_values(session: Session) -> Iterable[tuple[str, Any]]:
    return ((name, session.to_json(value)) for name, value in session.items())


def merge(
    changed: list[str], loaded: dict[str, str], data: dict[str, Any], read: Any
) -> Callable[[Any], Any]:
    """The `update` function applying this request's changes to the stored session, by the
    three-way rule in the module docstring. `read` is the value this request loaded."""

    def apply(stored: Any) -> Any:
        if stored is read:
            # The first try, on the item this request read: nothing to merge. (Its nested
            # values are the session's own, which the app may have changed in place.)
            return data
        if type(stored) is not dict:
            raise SessionConflict([])  # ended (or expired) by another request
        merged = dict(stored)
        conflicts = []
        for name in changed:
            there = fingerprint(stored[name]) if name in stored else MISSING
            # Changed meanwhile, even to the value this request wants: two requests that
            # both turned 1 into 2 made two increments, and one would be lost.
            if there != loaded.get(name, MISSING):
                conflicts.append(name)
            elif name in data:
                merged[name] = data[name]
            else:
                merged.pop(name, None)
        if conflicts:
            raise SessionConflict(sorted(conflicts))
        return merged if merged else DELETE

    return apply


def _bytes_tag(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"\x00bytes": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"{type(value).__name__} is not JSON")


#: Canonical JSON of a session value: C-fast, and strict about types ("1", "1.0" and
#: "true" differ), so comparing fingerprints tells whether a value changed.
fingerprint = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), default=_bytes_tag, check_circular=False
).encode


__all__ = ["MISSING", "fingerprint", "json_values", "merge"]
