"""Server-side sessions for any framework: the cookie carries only a signed random id, the
data lives in a Store item whose expiry slides with use, so every copy of a function sees
the same session. ASGI middleware (`scope["session"]`), WSGI middleware
(`environ["faasgi.session"]`); the Flask interface is `faasgi.state.flask`.

Never pickles: session values are JSON (or bytes). Never writes for a request that changed
nothing, except to slide the expiry at most once per `refresh_after`.

Concurrency rule (two requests of one session, on two copies, saving at the same time):
the save is a three-way merge, key by key, against the stored session. A key this request
changed is written if nobody else changed that key since this request read it; keys only
others changed are kept. If another request changed the same key in the meantime, the save
raises `SessionConflict` and the middleware answers 409 instead of dropping either change;
the client retries the request. Emptying a session (logout: `session.clear()`) deletes it
whatever others wrote; `regenerate()` (login) moves the data to a new id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from faasgi.state.attributes import to_attribute
from faasgi.state.store import DELETE, Item, Key, NotJSON, StateError, Store

if TYPE_CHECKING:
    from faasgi.state.flask import FlaskSessionInterface

logger = logging.getLogger("faasgi.state.sessions")

#: Where the signing secret comes from when none is passed.
SECRET_ENV: Final = "FAASGI_SESSION_SECRET"
#: The secret of `dev=True`: public, so anyone can forge cookies. Local runs only.
DEV_SECRET: Final = "faasgi-dev-mode-secret-known-to-everyone"

_SALT = b"faasgi.session:"
_SORT = "session"
_EXPIRED = "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
_MISSING: Final = object()
#: What a client gets when its request lost a session conflict (see the module docstring).
CONFLICT_BODY: Final = b"409 Conflict: another request changed this session at the same time; retry"

S = TypeVar("S", bound="Session")


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
        self._keys = [_secret_bytes(secret, dev)]
        self._keys += [_secret_bytes(extra, False) for extra in fallback_secrets]
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
            session._loaded[name] = _fingerprint(value)
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
            if current.get(name, _MISSING) != session._loaded.get(name, _MISSING)
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
        data = dict(_json_values(session))
        if old_id is None:
            return self._create(session, data, current)
        read = session._item.value if session._item is not None else None
        try:
            item = self.store.update(
                self.key(old_id),
                _merge(changed, session._loaded, data, read),
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
            headers = self._create(session, dict(_json_values(session)), current)
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
                encoded[name] = _fingerprint(json_value)
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
        return session_id + "." + _signature(self._keys[0], session_id)

    def verify(self, cookie: str) -> str | None:
        """The session id in a cookie value, or None if it is not signed by our secret."""
        session_id, dot, signature = cookie.strip('"').rpartition(".")
        if not dot or not session_id:
            return None
        if not cookie.isascii():  # compare_digest refuses non-ASCII str; no id of ours has any
            return None
        for secret in self._keys:
            if hmac.compare_digest(signature, _signature(secret, session_id)):
                return session_id
        return None

    def _set_cookie(self, session_id: str) -> list[tuple[str, str]]:
        signed = self.sign(session_id)
        value = f"{self.cookie_name}={signed}; Max-Age={self.max_age}; {self._attributes}"
        return [("Set-Cookie", value), ("Vary", "Cookie")]

    def _expire_cookie(self) -> list[tuple[str, str]]:
        value = f"{self.cookie_name}=; {_EXPIRED}; {self._attributes}"
        return [("Set-Cookie", value), ("Vary", "Cookie")]


class ASGISessionMiddleware:
    """ASGI middleware: `scope["session"]` is the request's `Session` (so Starlette's and
    FastAPI's `request.session` work), saved when the response starts.

    `app.add_middleware(ASGISessionMiddleware, sessions=sessions)` in Starlette and FastAPI.
    Store calls run in a worker thread, so the event loop keeps serving other requests.
    """

    def __init__(self, app: Any, sessions: Sessions) -> None:
        import asyncio  # here, not at import: a WSGI function never pays for asyncio

        self.app = app
        self.sessions = sessions
        self._to_thread = asyncio.to_thread

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = "; ".join(
            value.decode("latin-1") for name, value in scope["headers"] if name == b"cookie"
        )
        session: Session = await self._to_thread(self.sessions.open, header or None)
        scope["session"] = session
        replaced = False

        async def send_with_session(message: Any) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                try:
                    extra = await self._to_thread(self.sessions.save, session)
                except SessionConflict as conflict:
                    logger.warning("%s", conflict)
                    replaced = True
                    await send(_conflict_start())
                    await send({"type": "http.response.body", "body": CONFLICT_BODY})
                    return
                if extra:
                    message["headers"] = [
                        *message.get("headers", ()),
                        *(
                            (name.encode("latin-1"), value.encode("latin-1"))
                            for name, value in extra
                        ),
                    ]
            elif replaced:
                return  # the app's body for the response the conflict replaced
            await send(message)

        await self.app(scope, receive, send_with_session)


class WSGISessionMiddleware:
    """WSGI middleware: `environ["faasgi.session"]` is the request's `Session`, saved once
    the app has answered. Buffers the response body, as every FaaS platform does, so a
    session conflict can still replace the response with a 409."""

    def __init__(self, app: Any, sessions: Sessions) -> None:
        self.app = app
        self.sessions = sessions

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        session: Session = self.sessions.open(environ.get("HTTP_COOKIE"))
        environ["faasgi.session"] = session
        started: list[Any] = []
        written: list[bytes] = []

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            started[:] = [status, list(headers), exc_info]
            return written.append

        result = self.app(environ, capture)
        try:
            chunks = [*written, *result]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        try:
            extra = self.sessions.save(session)
        except SessionConflict as conflict:
            logger.warning("%s", conflict)
            start_response("409 Conflict", _CONFLICT_HEADERS)
            return [CONFLICT_BODY]
        if not started:
            raise RuntimeError("the WSGI app returned without calling start_response")
        status, headers, exc_info = started
        start_response(status, headers + extra, exc_info)
        return chunks


_CONFLICT_HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(CONFLICT_BODY))),
]


def _conflict_start() -> dict[str, Any]:
    return {
        "type": "http.response.start",
        "status": 409,
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in _CONFLICT_HEADERS
        ],
    }


def _json_values(session: Session) -> Iterable[tuple[str, Any]]:
    return ((name, session.to_json(value)) for name, value in session.items())


def _merge(
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
            there = _fingerprint(stored[name]) if name in stored else _MISSING
            # Changed meanwhile, even to the value this request wants: two requests that
            # both turned 1 into 2 made two increments, and one would be lost.
            if there != loaded.get(name, _MISSING):
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
_fingerprint = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), default=_bytes_tag, check_circular=False
).encode


def _signature(secret: bytes, session_id: str) -> str:
    digest = hmac.new(secret, _SALT + session_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _secret_bytes(secret: str | bytes | None, dev: bool) -> bytes:
    if secret is None:
        secret = os.environ.get(SECRET_ENV) or None
    if secret is None:
        if not dev:
            raise MissingSecret(
                f"sessions need a signing secret: set {SECRET_ENV} (generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`) or pass "
                "secret=...; for a local run only, Sessions(..., dev=True)"
            )
        message = (
            "faasgi sessions run in DEV MODE with a publicly known secret: anyone can forge "
            f"session cookies. Set {SECRET_ENV} before deploying."
        )
        # One warning, not a warning and a log record too: both reach the instance's log
        # (stderr), so the same line appeared twice (logging.captureWarnings turns it into
        # a record for apps that route warnings through logging).
        warnings.warn(message, stacklevel=3)
        secret = DEV_SECRET
    raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if len(raw) < 16:
        raise MissingSecret(
            f"the session secret has {len(raw)} bytes; use at least 16 (32 is better)"
        )
    return raw


def __getattr__(name: str) -> Any:
    # The Flask interface imports Flask: only apps that use it pay for that.
    if name == "FlaskSessionInterface":
        from faasgi.state.flask import FlaskSessionInterface

        return FlaskSessionInterface
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CONFLICT_BODY",
    "DEV_SECRET",
    "SECRET_ENV",
    "ASGISessionMiddleware",
    "FlaskSessionInterface",
    "MissingSecret",
    "Session",
    "SessionConflict",
    "Sessions",
    "WSGISessionMiddleware",
]
