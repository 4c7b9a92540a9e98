"""Flask's session interface on faasgi sessions: `flask.session` is stored server-side,
with Flask's own value tags (datetime, UUID, tuple, bytes, Markup), and views need no change.

Imports Flask; `faasgi.state.sessions` loads this module only when it is asked for, and
this module imports the parts it is made of, never it: no import circle.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Request, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin

from faasgi.state.server_sessions import Sessions
from faasgi.state.session import CONFLICT_BODY, Session, SessionConflict, logger

_TAGS = TaggedJSONSerializer()


class FlaskSession(Session, SessionMixin):
    """`flask.session`: a faasgi `Session` that keeps Flask's tagged JSON for its values."""

    def to_json(self, value: Any) -> Any:
        return _TAGS.tag(value)

    def from_json(self, value: Any) -> Any:
        # Untag through Flask's public loads (its recursive untagger is private).
        return _TAGS.loads(json.dumps(value))


class FlaskSessionInterface(SessionInterface):
    """`app.session_interface = FlaskSessionInterface(sessions)`.

    Cookie settings come from `Sessions`, not from Flask's SESSION_COOKIE_* config; the
    cookie always lasts `max_age` (`session.permanent` is stored, but changes nothing).
    """

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    def open_session(self, app: Flask, request: Request) -> FlaskSession:
        # The raw header, as the ASGI and WSGI middleware read it: same cookie, same choice.
        return self.sessions.open(request.headers.get("Cookie"), FlaskSession)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, FlaskSession):
            return
        try:
            headers = self.sessions.save(session)
        except SessionConflict as conflict:
            logger.warning("%s", conflict)
            response.headers.clear()
            response.status_code = 409
            response.content_type = "text/plain; charset=utf-8"
            response.set_data(CONFLICT_BODY)
            return
        for name, value in headers:
            if name == "Vary":
                response.vary.add(value)
            else:
                response.headers.add(name, value)


__all__ = ["FlaskSession", "FlaskSessionInterface"]
