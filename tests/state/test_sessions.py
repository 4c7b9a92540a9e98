"""Server-side sessions (faasgi/state/sessions.py and faasgi/state/flask.py): the cookie,
its signature, the stored data and its sliding expiry, the merge rule, and the ASGI, WSGI
and Flask front ends. Runs on the memory store and on DynamoDB (moto's mock)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest

from faasgi import Handler, serverless
from faasgi.state import (
    ASGISessionMiddleware,
    ItemTooLarge,
    Key,
    MissingSecret,
    NotJSON,
    SessionConflict,
    Sessions,
    Store,
    WSGISessionMiddleware,
)
from faasgi.state.sessions import CONFLICT_BODY, FlaskSessionInterface, Session
from faasgi.testing import FaasClient

from .conftest import Clock

SECRET = "correct horse battery staple, 32+"
DAY = 24 * 3600

# Every session test also runs in a function (FaasClient): the memory store says so.
pytestmark = pytest.mark.filterwarnings("ignore::faasgi.state.memory.MemoryStoreWarning")


@pytest.fixture(params=["memory", "dynamodb-mock"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Spy:
    """A Store that records which of its methods were called."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.store, name)

        def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return method(*args, **kwargs)

        return record


@pytest.fixture
def serve() -> Iterator[Callable[[Any], Handler]]:
    """`serverless(app)`, shut down after the test (ASGI lifespans end cleanly)."""
    handlers: list[Handler] = []

    def make(app: Any) -> Handler:
        handlers.append(serverless(app))
        return handlers[-1]

    yield make
    for handler in handlers:
        handler.shutdown()


@pytest.fixture
def spy(store: Store) -> Spy:
    return Spy(store)


@pytest.fixture
def sessions(spy: Spy, clock: Clock) -> Sessions:
    return Sessions(spy, secret=SECRET, clock=clock)  # type: ignore[arg-type]


def set_cookie(headers: list[tuple[str, str]]) -> SimpleCookie:
    values = [value for name, value in headers if name == "Set-Cookie"]
    assert len(values) == 1, headers
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(values[0])
    return cookie


def cookie_header(headers: list[tuple[str, str]]) -> str:
    return "session=" + set_cookie(headers)["session"].value


def signature(secret: str, session_id: str) -> str:
    """The cookie signature docs/state.md specifies: HMAC-SHA256, base64url, unpadded."""
    digest = hmac.new(secret.encode(), b"faasgi.session:" + session_id.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def logged_in(sessions: Sessions, **data: Any) -> str:
    """A stored session holding `data`; the Cookie header that names it."""
    session = sessions.open(None)
    session.update(data)
    return cookie_header(sessions.save(session))


# -- the cookie ----------------------------------------------------------------------------


def test_a_request_without_a_cookie_gets_a_new_empty_session_and_costs_nothing(
    sessions: Sessions, spy: Spy
) -> None:
    session = sessions.open(None)

    assert (dict(session), session.new, session.id) == ({}, True, None)
    assert sessions.save(session) == []
    assert spy.calls == []


def test_storing_a_value_sets_a_cookie_with_only_a_signed_random_id(
    sessions: Sessions, store: Store, clock: Clock
) -> None:
    session = sessions.open(None)
    session["user"] = "alice"

    cookie = set_cookie(sessions.save(session))["session"]

    session_id, _, signed = cookie.value.rpartition(".")
    assert len(session_id) == 43  # secrets.token_urlsafe(32)
    assert signed == signature(SECRET, session_id)
    assert "alice" not in cookie.value
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == str(14 * DAY)
    item = store.get(Key("session#" + session_id, "session"))
    assert item is not None
    assert item.value == {"user": "alice"}
    assert item.expires_at == clock.now + 14 * DAY


def test_the_next_request_with_the_cookie_sees_the_data(sessions: Sessions) -> None:
    header = logged_in(sessions, user="alice", cart=[1, 2])

    session = sessions.open(header)

    assert dict(session) == {"user": "alice", "cart": [1, 2]}
    assert session.new is False
    assert header.endswith(sessions.sign(session.id or ""))


def make_unsigned(value: str) -> str:
    return value.rpartition(".")[0]


def flip_id_character(value: str) -> str:
    return ("A" if value[0] != "A" else "B") + value[1:]


def flip_signature_character(value: str) -> str:
    return value[:-1] + ("A" if value[-1] != "A" else "B")


def sign_with_another_secret(value: str) -> str:
    session_id = value.rpartition(".")[0]
    return session_id + "." + signature("another secret of enough length", session_id)


@pytest.mark.parametrize(
    "tamper",
    [
        make_unsigned,
        flip_id_character,
        flip_signature_character,
        sign_with_another_secret,
        lambda value: "garbage",
        lambda value: "",
        lambda value: value + "é",
    ],
    ids=[
        "unsigned",
        "id-changed",
        "signature-changed",
        "other-secret",
        "garbage",
        "empty",
        "non-ascii",
    ],
)
def test_a_tampered_or_unsigned_cookie_is_a_new_empty_session_without_a_store_read(
    sessions: Sessions, spy: Spy, tamper: Callable[[str], str]
) -> None:
    header = logged_in(sessions, user="alice")
    spy.calls.clear()

    session = sessions.open("session=" + tamper(header.partition("=")[2]))

    assert (dict(session), session.new) == ({}, True)
    assert spy.calls == []


def test_a_session_started_from_a_forged_cookie_gets_a_fresh_id(sessions: Sessions) -> None:
    forged = "session=" + "A" * 43 + "." + signature("guessed", "A" * 43)
    session = sessions.open(forged)
    session["user"] = "mallory"

    header = cookie_header(sessions.save(session))

    assert "A" * 43 not in header


def test_an_invalid_cookie_is_expired_in_the_browser(sessions: Sessions) -> None:
    session = sessions.open("session=not-a-signed-id")

    cookie = set_cookie(sessions.save(session))["session"]

    assert (cookie.value, cookie["max-age"]) == ("", "0")


def test_of_several_cookies_with_the_name_the_valid_one_counts(sessions: Sessions) -> None:
    header = logged_in(sessions, user="alice")

    session = sessions.open(f"theme=dark; session=forged.value; {header}; lang=en")

    assert dict(session) == {"user": "alice"}


def test_a_cookie_from_a_fallback_secret_still_verifies(spy: Spy, clock: Clock) -> None:
    old = Sessions(spy, secret="the secret of last month, long enough", clock=clock)  # type: ignore[arg-type]
    header = logged_in(old, user="alice")
    rotated = Sessions(
        spy,  # type: ignore[arg-type]
        secret=SECRET,
        fallback_secrets=["the secret of last month, long enough"],
        clock=clock,
    )

    session = rotated.open(header)
    session["seen"] = True
    renewed = cookie_header(rotated.save(session))

    assert session["user"] == "alice"
    session_id = renewed.partition("=")[2].rpartition(".")[0]
    assert renewed.endswith(signature(SECRET, session_id))


def test_cookie_attributes_follow_the_options(spy: Spy, clock: Clock) -> None:
    local = Sessions(
        spy,  # type: ignore[arg-type]
        secret=SECRET,
        secure=False,
        same_site="strict",
        path="/app",
        domain="example.com",
        cookie_name="sid",
        max_age=600,
        clock=clock,
    )
    session = local.open(None)
    session["a"] = 1

    cookie = set_cookie(local.save(session))["sid"]

    assert cookie["secure"] == ""
    assert (cookie["samesite"], cookie["path"], cookie["domain"], cookie["max-age"]) == (
        "Strict",
        "/app",
        "example.com",
        "600",
    )


def test_same_site_none_needs_secure(spy: Spy) -> None:
    with pytest.raises(ValueError, match="Secure"):
        Sessions(spy, secret=SECRET, same_site="None", secure=False)  # type: ignore[arg-type]


# -- the secret ----------------------------------------------------------------------------


def test_sessions_refuse_to_start_without_a_secret(
    spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FAASGI_SESSION_SECRET", raising=False)

    with pytest.raises(MissingSecret, match="FAASGI_SESSION_SECRET"):
        Sessions(spy)  # type: ignore[arg-type]


def test_the_secret_comes_from_the_environment(
    spy: Spy, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAASGI_SESSION_SECRET", SECRET)
    from_environment = Sessions(spy, clock=clock)  # type: ignore[arg-type]

    header = logged_in(from_environment, user="alice")

    assert Sessions(spy, secret=SECRET, clock=clock).open(header)["user"] == "alice"  # type: ignore[arg-type]


def test_a_short_secret_is_refused(spy: Spy) -> None:
    with pytest.raises(MissingSecret, match="at least 16"):
        Sessions(spy, secret="short")  # type: ignore[arg-type]


def test_dev_mode_runs_without_a_secret_and_says_so_loudly(
    spy: Spy, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("FAASGI_SESSION_SECRET", raising=False)

    with pytest.warns(UserWarning, match="DEV MODE") as warned:
        dev = Sessions(spy, dev=True, clock=clock)  # type: ignore[arg-type]

    assert dev.open(logged_in(dev, user="dev"))["user"] == "dev"
    # Said once: the warning, not a log record repeating it on the same stderr.
    assert len(warned) == 1
    assert not [record for record in caplog.records if "DEV MODE" in record.getMessage()]


# -- what is written, and when -------------------------------------------------------------


def test_a_request_that_changes_nothing_writes_nothing(sessions: Sessions, spy: Spy) -> None:
    header = logged_in(sessions, user="alice")
    spy.calls.clear()

    session = sessions.open(header)
    assert session["user"] == "alice"
    headers = sessions.save(session)

    assert spy.calls == ["get"]
    assert headers == [("Vary", "Cookie")]


def test_a_change_inside_a_nested_value_is_saved(sessions: Sessions) -> None:
    header = logged_in(sessions, cart=["milk"])
    session = sessions.open(header)

    session["cart"].append("eggs")
    sessions.save(session)

    assert sessions.open(header)["cart"] == ["milk", "eggs"]


def test_an_emptied_session_is_deleted_and_its_cookie_expired(
    sessions: Sessions, store: Store
) -> None:
    header = logged_in(sessions, user="alice")
    session = sessions.open(header)
    session_id = session.id

    session.clear()
    cookie = set_cookie(sessions.save(session))["session"]

    assert cookie["max-age"] == "0"
    assert store.get(Key("session#" + str(session_id), "session")) is None


def test_regenerate_moves_the_data_to_a_new_id(sessions: Sessions, store: Store) -> None:
    before = logged_in(sessions, cart=["milk"])
    session = sessions.open(before)
    old_id = session.id

    session["user"] = "alice"
    session.regenerate()
    after = cookie_header(sessions.save(session))

    assert after != before
    assert dict(sessions.open(after)) == {"cart": ["milk"], "user": "alice"}
    assert sessions.open(before).new is True
    assert store.get(Key("session#" + str(old_id), "session")) is None


def test_a_value_that_is_not_json_is_refused_naming_its_key(sessions: Sessions, spy: Spy) -> None:
    session = sessions.open(None)
    session["when"] = datetime.datetime(2024, 1, 1)

    with pytest.raises(NotJSON, match=r"session\['when'\] is a datetime"):
        sessions.save(session)
    assert spy.calls == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"at": {1, 2}}, r"session\['prefs'\]\['at'\] is a set"),
        (float("nan"), r"session\['prefs'\] = nan"),
        ({"nested": {1: "int key"}}, r"session\['prefs'\]\['nested'\] has the key 1"),
    ],
    ids=["nested-set", "nan", "nested-int-key"],
)
def test_non_json_inside_a_value_is_refused_naming_the_path(
    sessions: Sessions, spy: Spy, value: Any, message: str
) -> None:
    session = sessions.open(None)
    session["prefs"] = value

    with pytest.raises(NotJSON, match=message):
        sessions.save(session)
    assert session.id is None  # nothing was stored


def test_a_session_over_400_kb_is_refused(sessions: Sessions) -> None:
    session = sessions.open(None)
    session["blob"] = "x" * 500_000

    with pytest.raises(ItemTooLarge):
        sessions.save(session)


# -- expiry --------------------------------------------------------------------------------


def test_a_session_idle_past_max_age_is_gone_though_the_item_remains(
    sessions: Sessions, store: Store, clock: Clock
) -> None:
    header = logged_in(sessions, user="alice")
    clock.advance(14 * DAY + 1)

    session = sessions.open(header)

    assert (dict(session), session.new) == ({}, True)


def test_use_slides_the_expiry_without_rewriting_the_data(
    sessions: Sessions, spy: Spy, clock: Clock
) -> None:
    header = logged_in(sessions, user="alice")

    clock.advance(10 * 60)  # sooner than refresh_after (1 h): nothing to write
    sessions.save(sessions.open(header))
    clock.advance(3 * DAY)
    spy.calls.clear()
    headers = sessions.save(sessions.open(header))
    clock.advance(13 * DAY)  # 16 days after login, 13 after the last use

    assert spy.calls == ["get", "touch"]
    assert set_cookie(headers)["session"]["max-age"] == str(14 * DAY)
    assert sessions.open(header)["user"] == "alice"


# -- two requests of one session at once --------------------------------------------------


def test_concurrent_changes_to_different_keys_are_both_kept(sessions: Sessions) -> None:
    header = logged_in(sessions, user="alice", theme="light", cart=[])
    first, second = sessions.open(header), sessions.open(header)

    first["cart"] = ["milk"]
    del first["theme"]
    second["lang"] = "en"
    sessions.save(first)
    sessions.save(second)

    assert dict(sessions.open(header)) == {"user": "alice", "cart": ["milk"], "lang": "en"}


def test_concurrent_changes_to_one_key_raise_a_conflict_instead_of_dropping_one(
    sessions: Sessions,
) -> None:
    header = logged_in(sessions, count=1)
    first, second = sessions.open(header), sessions.open(header)

    first["count"] += 1
    second["count"] += 1
    second["other"] = "also not saved"
    sessions.save(first)

    with pytest.raises(SessionConflict) as raised:
        sessions.save(second)
    assert raised.value.keys == ["count"]
    assert dict(sessions.open(header)) == {"count": 2}


def test_the_same_change_made_meanwhile_is_still_a_conflict(sessions: Sessions) -> None:
    # Both requests turned 1 into 2: two increments, so taking them as one would lose one.
    header = logged_in(sessions, count=1)
    first, second = sessions.open(header), sessions.open(header)
    first["count"] = second["count"] = 2

    sessions.save(first)

    with pytest.raises(SessionConflict):
        sessions.save(second)


def test_a_change_to_a_session_another_request_logged_out_is_a_conflict(
    sessions: Sessions,
) -> None:
    header = logged_in(sessions, user="alice")
    logout, other = sessions.open(header), sessions.open(header)

    logout.clear()
    sessions.save(logout)
    other["cart"] = ["milk"]

    with pytest.raises(SessionConflict):
        sessions.save(other)
    assert sessions.open(header).new is True


def test_after_a_merge_the_session_holds_what_is_stored(sessions: Sessions) -> None:
    header = logged_in(sessions, user="alice")
    first, second = sessions.open(header), sessions.open(header)
    first["theme"] = "dark"
    sessions.save(first)

    second["lang"] = "en"
    sessions.save(second)
    second["cart"] = []
    sessions.save(second)  # a second save must not drop the merged-in theme

    assert dict(second) == {"user": "alice", "theme": "dark", "lang": "en", "cart": []}
    assert dict(sessions.open(header)) == dict(second)


def test_logout_wins_over_a_concurrent_change(sessions: Sessions) -> None:
    header = logged_in(sessions, user="alice")
    other, logout = sessions.open(header), sessions.open(header)

    other["cart"] = ["milk"]
    sessions.save(other)
    logout.clear()
    sessions.save(logout)

    assert sessions.open(header).new is True


# -- front ends ----------------------------------------------------------------------------


def wsgi_counter(sessions: Sessions, interleave: bool = False) -> Any:
    """A WSGI app counting visits in the session; `interleave` saves a concurrent request
    of the same session while this one runs."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        session = environ["faasgi.session"]
        count = session.get("count", 0)
        if interleave:
            concurrent = sessions.open(environ.get("HTTP_COOKIE"))
            concurrent["count"] = 100
            sessions.save(concurrent)
        session["count"] = count + 1
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-App", "yes")])
        return [str(count + 1).encode()]

    return WSGISessionMiddleware(app, sessions)


def test_wsgi_middleware_keeps_the_session_in_the_environ(
    sessions: Sessions, serve: Callable[[Any], Handler]
) -> None:
    client = FaasClient(serve(wsgi_counter(sessions)))

    answers = [client.get("/").text for _ in range(3)]

    assert answers == ["1", "2", "3"]
    assert "session" in client.cookies


def test_wsgi_middleware_answers_409_when_the_session_conflicts(
    sessions: Sessions, serve: Callable[[Any], Handler]
) -> None:
    client = FaasClient(serve(wsgi_counter(sessions)))
    client.get("/")
    client.handler = serve(wsgi_counter(sessions, interleave=True))

    response = client.get("/")

    assert response.status_code == 409
    assert response.content == CONFLICT_BODY
    assert "x-app" not in response.headers
    assert sessions.open(client.cookies.header())["count"] == 100


async def asgi_counter_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    session = scope["session"]
    session["count"] = session.get("count", 0) + 1
    body = str(session["count"]).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"yes")]})
    await send({"type": "http.response.body", "body": body})


def test_asgi_middleware_keeps_the_session_in_the_scope(
    sessions: Sessions, serve: Callable[[Any], Handler]
) -> None:
    client = FaasClient(serve(ASGISessionMiddleware(asgi_counter_app, sessions)))

    answers = [client.get("/").text for _ in range(3)]

    assert answers == ["1", "2", "3"]


def test_asgi_middleware_answers_409_when_the_session_conflicts(
    sessions: Sessions, serve: Callable[[Any], Handler]
) -> None:
    client = FaasClient(serve(ASGISessionMiddleware(asgi_counter_app, sessions)))
    client.get("/")
    concurrent = sessions.open(client.cookies.header())

    async def interleaved(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope["session"]["count"]  # read before the concurrent write lands
            concurrent["count"] = 100
            sessions.save(concurrent)
        await asgi_counter_app(scope, receive, send)

    client.handler = serve(ASGISessionMiddleware(interleaved, sessions))
    response = client.get("/")

    assert response.status_code == 409
    assert response.content == CONFLICT_BODY
    assert "x-app" not in response.headers


def flask_app(sessions: Sessions) -> Any:
    import flask

    app = flask.Flask(__name__)
    app.session_interface = FlaskSessionInterface(sessions)

    @app.post("/remember")
    def remember() -> Any:
        flask.session["when"] = datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.timezone.utc)
        flask.session["pair"] = (1, "two")
        flask.session["id"] = uuid.UUID(int=7)
        flask.session.permanent = True
        return {"ok": True}

    @app.get("/recall")
    def recall() -> Any:
        session = flask.session
        return {
            "when": session["when"].isoformat(),
            "pair_is_tuple": isinstance(session["pair"], tuple),
            "id": str(session["id"]),
        }

    @app.post("/count")
    def count() -> Any:
        current = flask.session.get("count", 0)
        if flask.request.args.get("interleave"):
            concurrent = sessions.open(flask.request.headers["Cookie"])
            concurrent["count"] = 100
            sessions.save(concurrent)
        flask.session["count"] = current + 1
        return {"count": current + 1}

    return app


def test_flask_session_keeps_flasks_own_value_types(
    sessions: Sessions, serve: Callable[[Any], Handler]
) -> None:
    client = FaasClient(serve(flask_app(sessions)))

    client.post("/remember")
    answer = client.get("/recall").json()

    assert answer == {
        "when": "2024-05-01T12:00:00+00:00",
        "pair_is_tuple": True,
        "id": "00000000-0000-0000-0000-000000000007",
    }


def test_flask_answers_409_when_the_session_conflicts(
    sessions: Sessions, serve: Callable[[Any], Handler]
) -> None:
    client = FaasClient(serve(flask_app(sessions)))
    assert client.post("/count").json() == {"count": 1}

    response = client.post("/count", params={"interleave": "1"})

    assert response.status_code == 409
    assert response.content == CONFLICT_BODY
    assert client.post("/count").json() == {"count": 101}


def test_the_session_is_a_plain_dict_for_the_app(sessions: Sessions) -> None:
    session = sessions.open(None)

    assert isinstance(session, dict)
    assert isinstance(session, Session)
