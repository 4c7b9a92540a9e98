"""Fixtures for the todo list's tests: "deployments" (storage shared by every copy of the
function) on memory or on moto's DynamoDB server, copies of the Flask or FastAPI function
built on them, and clients that reach a copy through a platform's real events."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.todolist import fastapi_app, flask_app
from examples.todolist.backend import Backend
from examples.todolist.store import TodoStore
from faasgi import Handler, serverless
from faasgi.http import Request, Response
from faasgi.state import DynamoDBStore, MemoryStore, Sessions, Store, ensure_table
from faasgi.state.dynamodb import dynamodb_client
from faasgi.testing import SOURCES, FaasClient, FaasResponse
from faasgi.testing.emulator import Emulator

#: scrypt at its smallest cost, so the hundreds of logins in these tests stay fast; the
#: default cost has its own test.
FAST_SCRYPT_N = 2**4
SECRET = "todolist tests: one secret for every copy of the function"
PASSWORD = "correct horse battery"

#: MemoryStore warns when it serves a function; these tests use it on purpose.
QUIET_MEMORY_STORE = pytest.mark.filterwarnings("ignore::faasgi.state.memory.MemoryStoreWarning")
SLOW = pytest.mark.slow

FRAMEWORKS: dict[str, Callable[[Backend], Any]] = {
    "flask": flask_app.create_app,
    "fastapi": fastapi_app.create_app,
}

#: Every framework through every event source on memory storage, plus a full pass of
#: each framework on DynamoDB (moto's server, over HTTP) through one source each, plus the
#: module-level function of each framework behind `faasgi serve`, over real HTTP.
DYNAMODB_COMBINATIONS = [
    pytest.param(("flask", "aws-http", "dynamodb"), id="flask-aws-http-dynamodb", marks=SLOW),
    pytest.param(("fastapi", "fc-http", "dynamodb"), id="fastapi-fc-http-dynamodb", marks=SLOW),
]
#: The todo list's deployment templates, run by `faasgi serve --template` (the Flask app).
TEMPLATES = {
    "serve-sam": "adapters/aws-lambda/template.yaml",
    "serve-s-yaml": "adapters/alibaba-fc/s.yaml",
}
SERVED_COMBINATIONS = [
    *(
        pytest.param((framework, "serve", "dynamodb"), id=f"{framework}-faasgi-serve", marks=SLOW)
        for framework in FRAMEWORKS
    ),
    *(
        pytest.param(("flask", name, "dynamodb"), id=f"flask-faasgi-{name}", marks=SLOW)
        for name in TEMPLATES
    ),
]
COMBINATIONS = [
    *(
        pytest.param((framework, source, "memory"), id=f"{framework}-{source}")
        for framework in FRAMEWORKS
        for source in SOURCES
    ),
    *DYNAMODB_COMBINATIONS,
    *SERVED_COMBINATIONS,
]
#: For the long lists of user mistakes, whose handling does not depend on the event
#: source: each framework through two sources (four different ones), and one on DynamoDB
#: (so that one combination runs the whole suite on DynamoDB).
EDGE_COMBINATIONS = [
    pytest.param(("flask", "aws-rest", "memory"), id="flask-aws-rest"),
    pytest.param(("flask", "fc-wsgi", "memory"), id="flask-fc-wsgi"),
    pytest.param(("fastapi", "aws-http", "memory"), id="fastapi-aws-http"),
    pytest.param(("fastapi", "alb-multi", "memory"), id="fastapi-alb-multi"),
    DYNAMODB_COMBINATIONS[0],
]
#: `@edge` on a test runs it on EDGE_COMBINATIONS instead of COMBINATIONS.
edge = pytest.mark.parametrize("combination", EDGE_COMBINATIONS, indirect=True)


class ServedClient(FaasClient):
    """FaasClient's API (and its browser-like cookie jar) over real HTTP to `faasgi serve`."""

    def __init__(self, url: str) -> None:
        super().__init__(None, base_url=url)
        self.http = httpx.Client(base_url=url, timeout=60)

    def send(self, request: Request) -> tuple[Response, Any]:
        target = (request.raw_path or "/") + (
            "?" + request.query_string if request.query_string else ""
        )
        answer = self.http.request(
            request.method,
            target,
            headers=[(n, v) for n, v in request.headers if n not in ("host", "content-length")],
            content=request.body,
        )
        self.http.cookies.clear()  # the cookie jar is FaasClient's, as for every source
        headers = [
            (name.decode("latin-1").lower(), value.decode("latin-1"))
            for name, value in answer.headers.raw
        ]
        return Response(answer.status_code, headers, answer.content), answer


@dataclass
class Deployment:
    """Storage one function's copies share (and nothing else): `copy()` builds another
    instance, with its own app, store objects and DynamoDB client, as a cold start would.
    A served deployment is the module-level function behind `faasgi serve` at `url`."""

    framework: str
    make_stores: Callable[[], tuple[Store, Store]]
    handlers: list[Handler] = field(default_factory=list)
    url: str = ""

    def backend(self) -> Backend:
        todo_store, session_store = self.make_stores()
        return Backend(
            TodoStore(todo_store, scrypt_n=FAST_SCRYPT_N), Sessions(session_store, secret=SECRET)
        )

    def copy(self) -> Handler:
        create_app = FRAMEWORKS[self.framework]
        backend = self.backend()
        handler = serverless(lambda: create_app(backend))
        self.handlers.append(handler)
        return handler

    def client(self, source: str = "aws-http", handler: Handler | None = None) -> FaasClient:
        if source.startswith("serve"):
            return ServedClient(self.url)
        return FaasClient(handler or self.copy(), source)


def memory_stores() -> Callable[[], tuple[Store, Store]]:
    todos, sessions = MemoryStore(), MemoryStore()
    return lambda: (todos, sessions)


@dataclass(frozen=True)
class Tables:
    """One todo table and one session table for the run, on moto's server: tests keep
    apart by user name (every todo lives in its user's partition), as the users of one
    deployment do."""

    endpoint_url: str
    todos: str
    sessions: str
    #: A client for tests that do not need one per copy: making one costs ~50 ms.
    client: Any


@pytest.fixture(scope="session")
def dynamodb_tables(moto_dynamodb: str) -> Tables:
    client = dynamodb_client(endpoint_url=moto_dynamodb, region="us-east-1")
    tables = Tables(
        moto_dynamodb,
        "todolist-todos-" + uuid.uuid4().hex[:8],
        "todolist-sessions-" + uuid.uuid4().hex[:8],
        client,
    )
    for name in (tables.todos, tables.sessions):
        ensure_table(DynamoDBStore(name, client=client))
    return tables


def dynamodb_stores(tables: Tables, own_clients: bool) -> Callable[[], tuple[Store, Store]]:
    """Stores on the shared tables; with `own_clients`, each copy makes its own client,
    as each copy of a function does."""

    def make() -> tuple[Store, Store]:
        if own_clients:
            client = dynamodb_client(endpoint_url=tables.endpoint_url, region="us-east-1")
        else:
            client = tables.client
        return DynamoDBStore(tables.todos, client=client), DynamoDBStore(
            tables.sessions, client=client
        )

    return make


@pytest.fixture
def make_deployment(request: pytest.FixtureRequest) -> Iterator[Callable[..., Deployment]]:
    made: list[Deployment] = []

    def make(
        framework: str = "flask", backend: str = "memory", own_clients: bool = False
    ) -> Deployment:
        if backend == "memory":
            stores = memory_stores()
        else:
            stores = dynamodb_stores(request.getfixturevalue("dynamodb_tables"), own_clients)
        deployment = Deployment(framework, stores)
        made.append(deployment)
        return deployment

    yield make
    for deployment in made:
        for handler in deployment.handlers:
            handler.shutdown()


@pytest.fixture(params=COMBINATIONS)
def combination(request: pytest.FixtureRequest) -> tuple[str, str, str]:
    framework, source, backend = request.param
    return framework, source, backend


@pytest.fixture
def deployment(
    combination: tuple[str, str, str],
    make_deployment: Callable[..., Deployment],
    request: pytest.FixtureRequest,
) -> Deployment:
    framework, source, backend = combination
    made = make_deployment(framework, backend)
    if source == "serve":
        made.url = request.getfixturevalue("served_functions")[framework]
    elif source in TEMPLATES:
        made.url = request.getfixturevalue("served_templates")[source]
    return made


def serve_deployed(tables: Tables, commands: dict[str, list[str]]) -> Iterator[dict[str, str]]:
    """Start one `faasgi serve` per entry of `commands` (its first arguments), each on the
    run's tables and configured as a deployed function (a real session secret, Secure
    cookies); yield their URLs and stop them all afterwards."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FAASGI_", "TODO_", "SESSION_"))
    }
    environment["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY), *sys.path])
    deployed = [
        "--dynamodb",
        tables.endpoint_url,
        "-e",
        f"TODO_TABLE={tables.todos}",
        "-e",
        f"SESSION_TABLE={tables.sessions}",
        "-e",
        f"FAASGI_SESSION_SECRET={SECRET}",
        "-e",
        "FAASGI_LOCAL=0",
    ]
    emulators = {
        name: Emulator(*arguments, *deployed, cwd=str(REPOSITORY), env=environment)
        for name, arguments in commands.items()
    }
    try:
        yield {name: emulator.start() for name, emulator in emulators.items()}
    finally:
        for emulator in emulators.values():
            emulator.stop()


@pytest.fixture(scope="session")
def served_functions(dynamodb_tables: Tables) -> Iterator[dict[str, str]]:
    """Each framework's module-level `handler` behind `faasgi serve`."""
    yield from serve_deployed(
        dynamodb_tables,
        {framework: [f"examples.todolist.{framework}_app:handler"] for framework in FRAMEWORKS},
    )


@pytest.fixture(scope="session")
def served_templates(dynamodb_tables: Tables) -> Iterator[dict[str, str]]:
    """The todo list's SAM template and s.yaml behind `faasgi serve --template`."""
    yield from serve_deployed(
        dynamodb_tables,
        {
            name: [f"--template={REPOSITORY / path}", "--invoke-port", "0"]
            for name, path in TEMPLATES.items()
        },
    )


@pytest.fixture
def client(combination: tuple[str, str, str], deployment: Deployment) -> FaasClient:
    """A visitor's browser, talking to one copy of the function through one event source."""
    return deployment.client(combination[1])


def unique(name: str) -> str:
    """A user name no other test uses (DynamoDB tables may be shared within a run)."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def log_in(client: FaasClient, name: str, password: str = PASSWORD) -> str:
    """Register `name` (made unique) and log in as them; the user name used."""
    user = unique(name)
    registered = client.post("/api/register", json={"userName": user, "password": password})
    assert registered.status_code == 200, registered.text
    answer = client.post(
        "/api/login/account", json={"userName": user, "password": password, "type": "account"}
    )
    assert answer.status_code == 200, answer.text
    return user


def add(client: FaasClient, name: str, desc: str = "") -> dict[str, Any]:
    response = client.post("/api/rule", json={"name": name, "desc": desc})
    assert response.status_code == 200, response.text
    todo: dict[str, Any] = response.json()
    return todo


def assert_refused(response: FaasResponse, status: int) -> dict[str, Any]:
    """The documented error answer: the status, and `{success: false, message}` in JSON."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"]
    return body


# -- over real HTTP -------------------------------------------------------------------------

REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    """The function behind `faasgi serve` on 127.0.0.1: instances as processes, configured
    as a local run is (`FAASGI_LOCAL=1`, set by the emulator; moto's DynamoDB; tables of
    its own; no session secret)."""

    url: str
    tables: list[str]
    emulator: Emulator


@pytest.fixture
def serve(moto_dynamodb: str) -> Iterator[Callable[[str], Served]]:
    started: list[Emulator] = []

    def start(module: str) -> Served:
        tables = ["served-todos-" + uuid.uuid4().hex[:8], "served-sessions-" + uuid.uuid4().hex[:8]]
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("FAASGI_", "TODO_", "SESSION_"))
        }
        environment["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY), *sys.path])
        emulator = Emulator(
            f"{module}:handler",
            "--dynamodb",
            moto_dynamodb,
            "-e",
            f"TODO_TABLE={tables[0]}",
            "-e",
            f"SESSION_TABLE={tables[1]}",
            cwd=str(REPOSITORY),
            env=environment,
        )
        started.append(emulator)
        emulator.start()
        return Served(emulator.url, tables, emulator)

    yield start
    for emulator in started:
        emulator.stop()
