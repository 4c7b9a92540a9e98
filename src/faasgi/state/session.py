"""One visitor's session as a request sees it (`Session`, a dict of JSON values), and the
errors sessions raise. Knows nothing about cookies, stores or web frameworks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

from faasgi.state.store import Item, StateError

#: One logger for every part of the sessions (faasgi.state.sessions' public name).
logger = logging.getLogger("faasgi.state.sessions")

#: What a client gets when its request lost a session conflict (faasgi.state.sessions).
CONFLICT_BODY: Final = b"409 Conflict: another request changed this session at the same time; retry"


class SessionConflict(StateError):
    """Another request changed the same session keys since this request read them."""

    def __init__(self, keys: Sequence[str]) -> None:
        listed = ", ".join(map(repr, keys)) if keys else "(the session was ended)"
        super().__init__(
            f"another request changed this session's {listed} since this request read it; "
            "neither change was dropped: this request's session changes were not saved"
        )
        self.keys = list(keys)


class MissingSecret(StateError):
    """Sessions were set up without a signing secret."""


class Session(dict[str, Any]):
    """One visitor's session data: a dict of JSON values, saved when the response starts.

    `id` is None until the session is first saved; `new` is True when the request brought
    no live session.
    """

    # No __slots__: Flask's session class adds its own attributes (modified, accessed).

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        super().__init__(data or {})
        self.id: str | None = None
        self.new = True
        self._item: Item | None = None
        #: The JSON fingerprint of each value as read (what `save` compares with).
        self._loaded: dict[str, str] = {}
        self._regenerate = False
        self._stale_cookie = False

    def regenerate(self) -> None:
        """Give the session a new id when it is saved, keeping its data; call it on login
        so an id known before (fixation) or leaked does not carry the new privileges."""
        self._regenerate = True

    def to_json(self, value: Any) -> Any:
        """The JSON form of one session value (Flask's session adds its type tags)."""
        return value

    def from_json(self, value: Any) -> Any:
        """A session value from its JSON form."""
        return value


__all__ = ["CONFLICT_BODY", "MissingSecret", "Session", "SessionConflict", "logger"]
