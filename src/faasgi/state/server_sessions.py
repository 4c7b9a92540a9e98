"""`Sessions`: server-side sessions on a Store, named by a signed cookie. Loads the session a
request's Cookie header names and saves what the request changed, returning the headers
its response needs. Framework-neutral: the middleware and the Flask interface call it.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from faasgi.state.attributes import to_attribute
from faasgi.state.session import Session
from faasgi.state.session_merge import MISSING, fingerprint, json_values, merge
from faasgi.state.session_signing import id_signature, secret_bytes
from faasgi.state.store import Item, Key, NotJSON, Store

_SORT = "session"
_EXPIRED = "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"

S = TypeVar("S", bound=Session)


class Sessions:
    """Server-side sessions on a Store: loads a session from a request's cookie and saves
    it, returning the headers the response needs.

    The secret signs the id in the cookie (HMAC-SHA256), so a forged or tampered cookie is
    a new, empty session without a store read. It comes from `secret` or the
    `FAASGI_SESSION_SECRET` environment variable; `fallback_secrets` still verify (rotation).
    """

    def __init__(
        self,
        store: Store,
        *,
        secret: str | bytes | None = None,
        fallback_secrets: Iterable[str | bytes] = (),
        cookie_name: str = "session",
        max_age: int = 14 * 24 * 3600,
        refresh_after: float | None = None,
        secure: bool = True,
        same_site: str = "Lax",
        path: str = "/",
        domain: str | None = None,
        key_prefix: str = "session#",
        dev: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_age < 1:
            raise ValueError("max_age must be at least one second")
        if same_site.capitalize() not in ("Lax", "Strict", "None"):
            raise ValueError(f"same_site must be 'Lax', 'Strict' or 'None', not {same_site!r}")
        if same_site.capitalize() == "None" and not secure:
            raise ValueError("browsers drop SameSite=None cookies that are not Secure")
        self.store = store
        self.cookie_name = cookie_name
        self.max_age = int(max_age)
        #: Seconds after a write before a request that changed nothing writes the new expiry.
        self.refresh_after = refresh_after if refresh_after is not None else min(3600, max_age / 20)
        self.key_prefix = key_prefix
        self._clock = clock
        self._keys = [secret_bytes(secret, dev)]
        self._keys += [secret_bytes(extra, False) for extra in fallback_secrets]
        attributes = [f"Path={path}"]
        if domain:
            attributes.append(f"Domain={domain}")
        attributes.append("HttpOnly")
        if secure:
            attributes.append("Secure")
        attributes.append(f"SameSite={same_site.capitalize()}")
        self._attributes = "; ".join(attributes)
        self._prefix = cookie_name + "="

    # -- loading ----------------------------------------------------------------------------

    def open(self, cookie_header: str | None, session_class: type[S] = Session) -> S:  # type: ignore[assignment]
        """The session a request's Cookie header names (every cookie of our name is tried,
        as a browser may send several); a new one if none is valid and live."""
        if cookie_header and self._prefix in cookie_header:
            values = [
                value
                for name, _, value in (
                    part.strip().partition("=") for part in cookie_header.split(";")
                )
                if name == self.cookie_name
            ]
            for value in values:
                session_id = self.verify(value)
                if session_id is not None:
                    return self._load(session_id, session_class)
            return self._new(session_class, stale_cookie=bool(values))
        return self._new(session_class, stale_cookie=False)

    def _load(self, session_id: str, session_class: type[S]) -> S:
        item = self.store.get(self.key(session_id))
        if item is None or type(item.value) is not dict:
            return self._new(session_class, stale_cookie=True)
        session = session_class()
        session.new = False
        self._adopt(session, session_id, item)
        return session

    @staticmethod
    def _adopt(session: Session, session_id: str, item: Item) -> None:
        """Make the session hold the stored item's data, and remember it as read."""
        session.id = session_id
        session._item = item
        session._loaded = {}
        dict.clear(session)
        for name, value in item.value.items():
            session._loaded[name] = fingerprint(value)
            dict.__setitem__(session, name, session.from_json(value))

    @staticmethod
    def _new(session_class: type[S], stale_cookie: bool) -> S:
        session = session_class()
        session._stale_cookie = stale_cookie
        return session

    # -- saving -----------------------------------------------------------------------------

    def save(self, session: Session) -> list[tuple[str, str]]:
        """Write what the request changed; the headers (Set-Cookie, Vary) to add to its
        response. Raises `SessionConflict` (see the module docstring) and `NotJSON`."""
        now = self._clock()
        current = self._encode(session)
        changed = [
            name
            for name in {*current, *session._loaded}
            if current.get(name, MISSING) != session._loaded.get(name, MISSING)
        ]
        old_id = session.id
        if session._regenerate:
            return self._save_regenerated(session, current, old_id)
        if not changed:
            item = session._item
            if (
                old_id is not None
                and item is not None
                and item.expires_at is not None
                and item.expires_at - now < self.max_age - self.refresh_after
                and self.store.touch(self.key(old_id), ttl=self.max_age)
            ):
                return self._set_cookie(old_id)
            if session._stale_cookie:
                session._stale_cookie = False
                return self._expire_cookie()
            return [("Vary", "Cookie")] if old_id is not None else []
        if not current:
            # Emptied (logout): delete it whatever other requests wrote meanwhile.
            if old_id is not None:
                self.store.delete(self.key(old_id))
            self._saved(session, None, None, {})
            return self._expire_cookie()
        data = dict(json_values(session))
        if old_id is None:
            return self._create(session, data, current)
        read = session._item.value if session._item is not None else None
        try:
            item = self.store.update(
                self.key(old_id),
                merge(changed, session._loaded, data, read),
                ttl=self.max_age,
                current=session._item,
            )
        except NotJSON as error:
            error.root = "session"
            raise
        if item is not None and item.value is not data:
            self._adopt(session, old_id, item)  # other requests' keys were merged in
        else:
            self._saved(session, old_id, item, current)
        return self._set_cookie(old_id)

    def _save_regenerated(
        self, session: Session, current: dict[str, str], old_id: str | None
    ) -> list[tuple[str, str]]:
        headers = self._expire_cookie()
        if current:
            headers = self._create(session, dict(json_values(session)), current)
        else:
            self._saved(session, None, None, {})
        if old_id is not None:  # after the new one is stored: a failed save loses nothing
            self.store.delete(self.key(old_id))
        return headers

    def _create(
        self, session: Session, data: dict[str, Any], current: dict[str, str]
    ) -> list[tuple[str, str]]:
        session_id = secrets.token_urlsafe(32)
        try:
            item = self.store.put(self.key(session_id), data, version=0, ttl=self.max_age)
        except NotJSON as error:
            error.root = "session"
            raise
        self._saved(session, session_id, item, current)
        return self._set_cookie(session_id)

    @staticmethod
    def _saved(
        session: Session,
        session_id: str | None,
        item: Item | None,
        current: dict[str, str],
    ) -> None:
        """Make the session object describe what is now stored (a second save is a no-op)."""
        session.id = session_id
        session._item = item
        session._loaded = current
        session._regenerate = False
        session._stale_cookie = False

    @staticmethod
    def _encode(session: Session) -> dict[str, str]:
        """The fingerprint of each value, as it would be stored."""
        encoded = {}
        for name, value in session.items():
            if type(name) is not str:
                raise NotJSON(f"session key {name!r} is not a str")
            json_value = session.to_json(value)
            try:
                encoded[name] = fingerprint(json_value)
            except (TypeError, ValueError):
                try:
                    to_attribute(json_value)  # says exactly where the value is not JSON
                except NotJSON as error:
                    error.path.insert(0, f"[{name!r}]")
                    error.root = "session"
                    raise
                raise
        return encoded

    # -- cookies ----------------------------------------------------------------------------

    def key(self, session_id: str) -> Key:
        """Where a session's data is stored."""
        return Key(self.key_prefix + session_id, _SORT)

    def sign(self, session_id: str) -> str:
        """The cookie value for a session id: `<id>.<HMAC-SHA256 of it, base64url>`."""
        return session_id + "." + id_signature(self._keys[0], session_id)

    def verify(self, cookie: str) -> str | None:
        """The session id in a cookie value, or None if it is not signed by our secret."""
        session_id, dot, signature = cookie.strip('"').rpartition(".")
        if not dot or not session_id:
            return None
        if not cookie.isascii():  # compare_digest refuses non-ASCII str; no id of ours has any
            return None
        for secret in self._keys:
            if hmac.compare_digest(signature, id_signature(secret, session_id)):
                return session_id
        return None

    def _set_cookie(self, session_id: str) -> list[tuple[str, str]]:
        signed = self.sign(session_id)
        value = f"{self.cookie_name}={signed}; Max-Age={self.max_age}; {self._attributes}"
        return [("Set-Cookie", value), ("Vary", "Cookie")]

    def _expire_cookie(self) -> list[tuple[str, str]]:
        value = f"{self.cookie_name}=; {_EXPIRED}; {self._attributes}"
        return [("Set-Cookie", value), ("Vary", "Cookie")]


__all__ = ["Sessions"]
