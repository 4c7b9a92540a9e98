"""The todo list's API as issue 6 specifies it, the same suite for the Flask and the
FastAPI version, through every event source faasgi serves (on memory storage), and through
one source each on DynamoDB (moto's server): shapes of the original backend, paging
applied, per-user todos, per-request times, and a 4xx with `{success: false, message}` for
every user mistake."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest

from examples.todolist.validation import BODY_LIMIT, DESC_LIMIT, NAME_LIMIT, PAGE_SIZE_LIMIT
from faasgi.testing import FaasClient

from .conftest import (
    PASSWORD,
    QUIET_MEMORY_STORE,
    Deployment,
    add,
    assert_refused,
    edge,
    log_in,
    unique,
)

pytestmark = QUIET_MEMORY_STORE

#: JavaScript's Date.toJSON(), which the original backend sent: UTC, milliseconds, "Z".
JS_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
TODO_FIELDS = {"key", "name", "desc", "status", "createdAt", "updatedAt", "owner"}


def parse_date(text: str) -> datetime:
    assert JS_DATE.fullmatch(text), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def add_in_order(client: FaasClient, names: list[str]) -> list[dict[str, Any]]:
    """Add todos a few ms apart: createdAt has millisecond resolution, as in the original."""
    todos = []
    for name in names:
        todos.append(add(client, name))
        time.sleep(0.003)
    return todos


def listing(client: FaasClient, **query: Any) -> dict[str, Any]:
    response = client.get("/api/rule", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- the page -------------------------------------------------------------------------------


def test_root_serves_the_page_and_its_assets(client: FaasClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>faasgi todo list</title>" in page.text
    script = client.get("/static/app.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "x-faasgi-instance" in script.text
    style = client.get("/static/app.css")
    assert style.status_code == 200
    assert style.headers["content-type"].startswith("text/css")


def test_responses_name_the_instance_and_its_cold_start(client: FaasClient) -> None:
    first, second = client.get("/api/currentUser"), client.get("/api/currentUser")
    if "x-faasgi-cold" in first.headers:
        # Behind faasgi serve the instance may be warm already; the app and the emulator
        # must agree on it.
        cold = first.headers["x-faasgi-cold"] == "1"
        assert first.headers["x-todo-cold"] == ("true" if cold else "false")
        assert first.headers["x-faasgi-instance"] == second.headers["x-faasgi-instance"]
    else:  # a new copy of the function per client
        assert first.headers["x-todo-cold"] == "true"
    assert second.headers["x-todo-cold"] == "false"
    assert first.headers["x-todo-instance"] == second.headers["x-todo-instance"] != ""
    assert first.headers["x-todo-request-id"] != second.headers["x-todo-request-id"]


def test_api_answers_are_never_cached(client: FaasClient) -> None:
    assert client.get("/api/currentUser").headers["cache-control"] == "no-store"


def test_unknown_api_path_is_a_json_404(client: FaasClient) -> None:
    assert_refused(client.get("/api/nothing-here"), 404)


# -- users and sessions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/rule"),
        ("POST", "/api/rule"),
        ("PUT", "/api/rule"),
        ("DELETE", "/api/rule"),
        ("GET", "/api/currentUser"),
    ],
)
def test_anonymous_visitors_get_401(client: FaasClient, method: str, path: str) -> None:
    body = {"name": "sneaky", "key": str(uuid.uuid4())} if method != "GET" else None
    assert_refused(client.request(method, path, json=body), 401)


def test_register_log_in_see_profile_log_out(client: FaasClient) -> None:
    user = unique("alice")
    registered = client.post("/api/register", json={"userName": user, "password": PASSWORD})
    assert registered.status_code == 200
    assert registered.json()["status"] == "ok"
    assert "session" not in client.cookies  # registering does not log in
    logged_in = client.post(
        "/api/login/account", json={"userName": user, "password": PASSWORD, "type": "account"}
    )
    assert logged_in.status_code == 200
    assert logged_in.json() == {"status": "ok", "type": "account", "currentAuthority": "user"}
    profile = client.get("/api/currentUser")
    assert profile.status_code == 200
    assert profile.json()["name"] == user
    assert re.fullmatch(r"[0-9a-f]{32}", profile.json()["userid"])
    assert client.post("/api/logout").status_code == 200
    assert_refused(client.get("/api/currentUser"), 401)
    assert_refused(client.get("/api/rule"), 401)


def test_login_sets_an_httponly_secure_lax_session_cookie(client: FaasClient) -> None:
    user = unique("carol")
    client.post("/api/register", json={"userName": user, "password": PASSWORD})
    answer = client.post("/api/login/account", json={"userName": user, "password": PASSWORD})
    cookie = next(value for value in answer.get_all("set-cookie") if value.startswith("session="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags


def test_login_gets_a_new_session_id(client: FaasClient) -> None:
    user = unique("dave")
    client.post("/api/register", json={"userName": user, "password": PASSWORD})
    client.cookies.set("session", "attacker-chosen.value")
    client.post("/api/login/account", json={"userName": user, "password": PASSWORD})
    assert client.cookies["session"] != "attacker-chosen.value"


@pytest.mark.parametrize("who", ["wrong password", "unknown user"])
def test_failed_login_answers_status_error_as_a_guest(client: FaasClient, who: str) -> None:
    user = unique("erin")
    client.post("/api/register", json={"userName": user, "password": PASSWORD})
    name, password = (user, "not the password") if who == "wrong password" else ("nobody", PASSWORD)
    answer = client.post(
        "/api/login/account", json={"userName": name, "password": password, "type": "account"}
    )
    body = assert_refused(answer, 401)
    assert body["status"] == "error"
    assert body["type"] == "account"
    assert body["currentAuthority"] == "guest"
    assert_refused(client.get("/api/currentUser"), 401)


def test_a_taken_user_name_is_a_409(client: FaasClient) -> None:
    user = unique("frank")
    client.post("/api/register", json={"userName": user, "password": PASSWORD})
    assert_refused(client.post("/api/register", json={"userName": user, "password": "other1"}), 409)
    # and the first password still works
    answer = client.post("/api/login/account", json={"userName": user, "password": PASSWORD})
    assert answer.status_code == 200


def test_no_answer_ever_contains_the_password_or_its_hash(client: FaasClient) -> None:
    password = "a very particular password"
    user = unique("grace")
    answers = [
        client.post("/api/register", json={"userName": user, "password": password}),
        client.post("/api/login/account", json={"userName": user, "password": password}),
        client.get("/api/currentUser"),
        client.post("/api/rule", json={"name": "todo"}),
        client.get("/api/rule"),
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert password not in answer.text
        assert "scrypt" not in answer.text and "salt" not in answer.text


# -- todos ----------------------------------------------------------------------------------


def test_create_returns_the_new_todo(client: FaasClient) -> None:
    user = log_in(client, "heidi")
    todo = add(client, "buy milk", "two litres")
    assert set(todo) >= TODO_FIELDS
    assert uuid.UUID(todo["key"]).version == 4 and str(uuid.UUID(todo["key"])) == todo["key"]
    assert (todo["name"], todo["desc"], todo["owner"]) == ("buy milk", "two litres", user)
    assert todo["status"] == 1  # in progress, the default
    assert todo["createdAt"] == todo["updatedAt"]
    parse_date(todo["createdAt"])


def test_list_is_newest_first_and_paged(client: FaasClient) -> None:
    log_in(client, "ivan")
    add_in_order(client, [f"todo {n}" for n in range(1, 8)])  # 1 is the oldest
    first = listing(client, current=1, pageSize=3)
    assert first["success"] is True
    assert (first["total"], first["current"], first["pageSize"]) == (7, 1, 3)
    assert [todo["name"] for todo in first["data"]] == ["todo 7", "todo 6", "todo 5"]
    second = listing(client, current=2, pageSize=3)
    assert [todo["name"] for todo in second["data"]] == ["todo 4", "todo 3", "todo 2"]
    last = listing(client, current=3, pageSize=3)
    assert [todo["name"] for todo in last["data"]] == ["todo 1"]
    assert last["total"] == 7
    assert listing(client, current=4, pageSize=3)["data"] == []


def test_list_defaults_to_page_1_of_10(client: FaasClient) -> None:
    log_in(client, "judy")
    add_in_order(client, [f"todo {n}" for n in range(12)])
    body = listing(client)
    assert (body["current"], body["pageSize"], body["total"], len(body["data"])) == (1, 10, 12, 10)


def test_update_changes_named_fields_and_updated_at(client: FaasClient) -> None:
    log_in(client, "ken")
    todo = add(client, "write report", "draft")
    time.sleep(0.005)
    # The original front end's "finish" button sends the status as a string.
    answer = client.put("/api/rule", json={"key": todo["key"], "status": "2"})
    assert answer.status_code == 200
    done = answer.json()
    assert done["status"] == 2
    assert (done["name"], done["desc"], done["createdAt"]) == (
        "write report",
        "draft",
        todo["createdAt"],
    )
    assert parse_date(done["updatedAt"]) > parse_date(todo["updatedAt"])
    renamed = client.put("/api/rule", json={"key": todo["key"], "name": "final report"}).json()
    assert (renamed["name"], renamed["status"]) == ("final report", 2)
    assert listing(client)["data"][0]["name"] == "final report"


@edge
@pytest.mark.parametrize("status", [0, 1, 2, 3, "0", "3"])
def test_every_status_is_accepted_as_number_or_string(client: FaasClient, status: Any) -> None:
    log_in(client, "leo")
    todo = add(client, "task")
    answer = client.put("/api/rule", json={"key": todo["key"], "status": status})
    assert answer.status_code == 200
    assert answer.json()["status"] == int(status)


def test_update_with_the_version_read_is_refused_once_the_todo_moved_on(client: FaasClient) -> None:
    log_in(client, "mallory")
    todo = add(client, "shared")
    assert todo["version"] == 1
    first = client.put("/api/rule", json={"key": todo["key"], "name": "mine", "version": 1})
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = client.put("/api/rule", json={"key": todo["key"], "name": "theirs", "version": 1})
    body = assert_refused(stale, 409)
    assert body["data"]["name"] == "mine"  # what is there now, to show the user
    assert listing(client)["data"][0]["name"] == "mine"


def test_delete_answers_the_list_after_the_delete(client: FaasClient) -> None:
    log_in(client, "nina")
    first, second, third = add_in_order(client, ["one", "two", "three"])
    answer = client.delete("/api/rule", json={"key": [first["key"], third["key"]]})
    assert answer.status_code == 200
    body = answer.json()
    assert [todo["key"] for todo in body["list"]] == [second["key"]]
    assert body["pagination"]["total"] == 1
    assert listing(client)["total"] == 1


def test_deleting_an_unknown_key_deletes_nothing(client: FaasClient) -> None:
    log_in(client, "oscar")
    todo = add(client, "keep me")
    answer = client.delete("/api/rule", json={"key": [todo["key"], str(uuid.uuid4())]})
    assert_refused(answer, 404)
    assert [item["key"] for item in listing(client)["data"]] == [todo["key"]]


def test_the_single_endpoint_form_still_works(client: FaasClient) -> None:
    """The original master branch: everything is a POST with a `method` field."""
    log_in(client, "peggy")
    created = client.post("/api/rule", json={"method": "post", "name": "old style", "desc": "d"})
    assert created.status_code == 200
    key = created.json()["key"]
    updated = client.post(
        "/api/rule", json={"method": "update", "key": key, "name": "still old", "status": "2"}
    )
    assert updated.status_code == 200
    assert (updated.json()["name"], updated.json()["status"]) == ("still old", 2)
    deleted = client.post("/api/rule", json={"method": "delete", "key": [key]})
    assert deleted.status_code == 200
    assert deleted.json()["list"] == []
    assert deleted.json()["pagination"]["total"] == 0


def test_a_create_with_the_clients_key_is_safe_to_retry(client: FaasClient) -> None:
    log_in(client, "quinn")
    key = str(uuid.uuid4())
    first = client.post("/api/rule", json={"key": key, "name": "once"})
    assert first.status_code == 200
    assert first.json()["key"] == key
    assert_refused(client.post("/api/rule", json={"key": key, "name": "once"}), 409)
    assert listing(client)["total"] == 1


def test_each_user_sees_and_edits_only_their_own_todos(
    deployment: Deployment, combination: Any
) -> None:
    source = combination[1]
    alice, bob = deployment.client(source), deployment.client(source)
    log_in(alice, "alice")
    bob_name = log_in(bob, "bob")
    secret = add(alice, "alice's secret")
    add(bob, "bob's todo")
    seen = listing(bob)
    assert seen["total"] == 1
    assert [todo["owner"] for todo in seen["data"]] == [bob_name]
    assert_refused(bob.put("/api/rule", json={"key": secret["key"], "name": "hacked"}), 404)
    assert_refused(bob.delete("/api/rule", json={"key": [secret["key"]]}), 404)
    assert listing(alice)["data"][0]["name"] == "alice's secret"


# -- per-request time: the init-time clock bug ----------------------------------------------


def test_timestamps_are_read_per_request_not_at_init(
    deployment: Deployment, combination: Any
) -> None:
    """The original computed createdAt/updatedAt once, at module load: every todo of an
    instance got the same ones. Ours come from each request."""
    handler = deployment.copy()  # init happens here
    built = datetime.now(timezone.utc)
    time.sleep(0.02)
    client = deployment.client(combination[1], handler)
    log_in(client, "rita")
    first = add(client, "first")
    time.sleep(0.005)
    second = add(client, "second")
    assert parse_date(first["createdAt"]) > built
    assert parse_date(second["createdAt"]) > parse_date(first["createdAt"])
    time.sleep(0.005)
    updated = client.put("/api/rule", json={"key": first["key"], "desc": "later"}).json()
    assert parse_date(updated["updatedAt"]) > parse_date(second["createdAt"])


# -- user mistakes: 4xx with {success: false, message}, never a 500 -------------------------

KEY = "9f1b8c1e-3a5d-4c4e-8f7a-2b6d9e0c1a3f"  # a uuid4 no todo has

BAD_TODO_REQUESTS = [
    pytest.param("POST", {"desc": "no name"}, 400, id="create-without-name"),
    pytest.param("POST", {"name": "   "}, 400, id="create-with-blank-name"),
    pytest.param("POST", {"name": 42}, 400, id="create-with-number-name"),
    pytest.param("POST", {"name": "x" * (NAME_LIMIT + 1)}, 400, id="create-with-long-name"),
    pytest.param("POST", {"name": "ok", "desc": ["list"]}, 400, id="create-with-list-desc"),
    pytest.param(
        "POST", {"name": "ok", "desc": "x" * (DESC_LIMIT + 1)}, 400, id="create-with-long-desc"
    ),
    pytest.param("POST", {"name": "ok", "key": "not-a-uuid"}, 400, id="create-with-bad-key"),
    pytest.param("POST", {"method": "explode"}, 400, id="unknown-legacy-method"),
    pytest.param("PUT", {"name": "no key"}, 400, id="update-without-key"),
    pytest.param("PUT", {"key": 7, "name": "x"}, 400, id="update-with-number-key"),
    pytest.param("PUT", {"key": KEY, "name": "x"}, 404, id="update-unknown-key"),
    pytest.param("PUT", {"key": "EXISTING", "status": 4}, 400, id="status-above-range"),
    pytest.param("PUT", {"key": "EXISTING", "status": -1}, 400, id="status-below-range"),
    pytest.param("PUT", {"key": "EXISTING", "status": "done"}, 400, id="status-word"),
    pytest.param("PUT", {"key": "EXISTING", "status": True}, 400, id="status-boolean"),
    pytest.param("PUT", {"key": "EXISTING", "status": 2.5}, 400, id="status-fraction"),
    pytest.param("PUT", {"key": "EXISTING", "status": None}, 400, id="status-null"),
    # str.isdigit() passes these; int() refuses them.
    pytest.param("PUT", {"key": "EXISTING", "status": "\u00b2"}, 400, id="status-superscript"),
    pytest.param("PUT", {"key": "EXISTING", "status": "1" * 4301}, 400, id="status-4301-digits"),
    pytest.param("PUT", {"key": "EXISTING", "name": ""}, 400, id="update-to-empty-name"),
    pytest.param("PUT", {"key": "EXISTING", "version": "1"}, 400, id="version-as-string"),
    pytest.param("DELETE", {}, 400, id="delete-without-key"),
    pytest.param("DELETE", {"key": []}, 400, id="delete-empty-list"),
    pytest.param("DELETE", {"key": 5}, 400, id="delete-number-key"),
    pytest.param("DELETE", {"key": [KEY]}, 404, id="delete-unknown-key"),
]


@edge
@pytest.mark.parametrize(("method", "body", "status"), BAD_TODO_REQUESTS)
def test_bad_todo_requests_are_refused(
    client: FaasClient, method: str, body: dict[str, Any], status: int
) -> None:
    log_in(client, "sybil")
    existing = add(client, "existing")
    if body.get("key") == "EXISTING":
        body = {**body, "key": existing["key"]}
    assert_refused(client.request(method, "/api/rule", json=body), status)
    after = listing(client)["data"]
    assert after == [existing]  # nothing changed


MALFORMED_BODIES = [
    pytest.param(b'{"name": "unterminated', id="truncated"),
    pytest.param(b"name=form-encoded", id="not-json"),
    pytest.param(b'["an", "array"]', id="array"),
    pytest.param(b'"a string"', id="string"),
    pytest.param(b'{"name": "\xc3\x28"}', id="not-utf8"),
    pytest.param(b"[" * 5000 + b"]" * 5000, id="deeply-nested"),
]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_truncated_body_is_a_400(client: FaasClient, method: str) -> None:
    """Through every source: each passes bodies its own way (plain, base64, WSGI input)."""
    log_in(client, "trudy")
    answer = client.request(
        method, "/api/rule", content=b'{"key": [', headers={"content-type": "application/json"}
    )
    assert_refused(answer, 400)


@edge
@pytest.mark.parametrize("raw", MALFORMED_BODIES)
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_malformed_json_is_a_400(client: FaasClient, method: str, raw: bytes) -> None:
    log_in(client, "trent")
    answer = client.request(
        method, "/api/rule", content=raw, headers={"content-type": "application/json"}
    )
    assert_refused(answer, 400)


@edge
@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("text/plain", 415),  # what a cross-site form may send with the visitor's cookie
        ("application/x-www-form-urlencoded", 415),
        ("multipart/form-data; boundary=x", 415),
        (None, 415),
        ("application/json; charset=utf-8", 200),
        ("application/merge-patch+json", 200),
    ],
)
def test_bodies_must_be_sent_as_json(
    client: FaasClient, content_type: str | None, status: int
) -> None:
    log_in(client, "xavier")
    headers = {"content-type": content_type} if content_type else {}
    answer = client.post("/api/rule", content=b'{"name": "typed"}', headers=headers)
    if status == 200:
        assert answer.status_code == 200, answer.text
        assert listing(client)["total"] == 1
    else:
        assert_refused(answer, status)
        assert listing(client)["total"] == 0


def test_a_body_over_the_limit_is_a_413(client: FaasClient) -> None:
    log_in(client, "uma")
    oversize = {"name": "big", "desc": "x" * BODY_LIMIT}
    assert_refused(client.post("/api/rule", json=oversize), 413)
    assert listing(client)["total"] == 0


def test_a_body_just_under_the_limit_is_read(client: FaasClient) -> None:
    log_in(client, "victor")
    padding = BODY_LIMIT - len('{"name": "fits", "pad": ""}')
    raw = ('{"name": "fits", "pad": "' + "x" * padding + '"}').encode()
    assert len(raw) == BODY_LIMIT
    answer = client.post("/api/rule", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 200


@edge
@pytest.mark.parametrize(
    "query",
    [
        {"pageSize": "0"},
        {"pageSize": str(PAGE_SIZE_LIMIT + 1)},
        {"current": "0"},
        {"current": "-1"},
        {"current": "two"},
        {"pageSize": "1.5"},
        # str.isdigit() passes these; int() refuses them (superscripts; over 4,300 digits).
        {"current": "\u00b2"},
        {"pageSize": "\u00b3"},
        {"current": "1" * 4301},
        {"pageSize": "9" * 4301},
    ],
    ids=repr,
)
def test_bad_paging_is_a_400(client: FaasClient, query: dict[str, str]) -> None:
    log_in(client, "wendy")
    assert_refused(client.get("/api/rule", params=query), 400)


@edge
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/register", {"userName": "shorty", "password": "12345"}),
        ("/api/register", {"userName": "has space", "password": PASSWORD}),
        ("/api/register", {"userName": "", "password": PASSWORD}),
        ("/api/register", {"password": PASSWORD}),
        ("/api/register", {"userName": "nopassword"}),
        ("/api/register", {"userName": ["list"], "password": PASSWORD}),
        ("/api/register", {"userName": "x" * 65, "password": PASSWORD}),
        ("/api/login/account", {"userName": "someone"}),
        ("/api/login/account", {"password": PASSWORD}),
        ("/api/login/account", {"userName": "someone", "password": 123456}),
    ],
)
def test_bad_user_requests_are_a_400(client: FaasClient, path: str, body: dict[str, Any]) -> None:
    assert_refused(client.post(path, json=body), 400)


#: `\ud800` escapes, as a client sends them (httpx cannot encode such a str to send it).
LONE_SURROGATE = "a\\ud800b"
KNOWN_KEY = "EXISTING"


@edge
@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("POST", "/api/rule", '{"name": "%s"}'),
        ("POST", "/api/rule", '{"name": "ok", "desc": "%s"}'),
        ("PUT", "/api/rule", '{"key": "EXISTING", "name": "%s"}'),
        ("PUT", "/api/rule", '{"key": "EXISTING", "desc": "%s"}'),
        ("PUT", "/api/rule", '{"key": "%s", "name": "x"}'),
        ("DELETE", "/api/rule", '{"key": ["%s"]}'),
        ("POST", "/api/register", '{"userName": "%s", "password": "long enough"}'),
        ("POST", "/api/register", '{"userName": "lone", "password": "long %s enough"}'),
        ("POST", "/api/login/account", '{"userName": "%s", "password": "long enough"}'),
        ("POST", "/api/login/account", '{"userName": "lone", "password": "long %s enough"}'),
        (
            "POST",
            "/api/login/account",
            '{"userName": "lone", "password": "p4ssw0rd!", "type": "%s"}',
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and value.startswith("{") else None,
)
def test_a_lone_surrogate_in_any_field_is_a_400(
    client: FaasClient, method: str, path: str, template: str
) -> None:
    log_in(client, "ursula")
    existing = add(client, "existing")
    raw = (template % LONE_SURROGATE).replace("EXISTING", existing["key"])
    answer = client.request(
        method, path, content=raw.encode(), headers={"content-type": "application/json"}
    )
    assert "surrogate" in assert_refused(answer, 400)["message"]
    assert listing(client)["data"] == [existing]  # nothing changed
