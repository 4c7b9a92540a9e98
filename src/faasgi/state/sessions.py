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

The parts: `session` (the Session object and errors), `server_sessions` (Sessions: cookie
<-> store), `session_merge` (the three-way merge), `session_signing` (the secret and the
signature), `session_middleware` (ASGI, WSGI). This module is their public face; the Flask
interface (`faasgi.state.flask`) is loaded only when asked for, so it imports no module
that imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faasgi.state.server_sessions import Sessions
from faasgi.state.session import CONFLICT_BODY, MissingSecret, Session, SessionConflict
from faasgi.state.session_middleware import ASGISessionMiddleware, WSGISessionMiddleware
from faasgi.state.session_signing import DEV_SECRET, SECRET_ENV

if TYPE_CHECKING:  # for type checkers only; at run time __getattr__ below loads it
    from faasgi.state.flask import FlaskSessionInterface


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
