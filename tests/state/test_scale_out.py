"""A login session survives scale-out: requests alternate between two copies of one
function, each built by its own factory call (its own app, store client and Sessions), that
share nothing but the DynamoDB table. Flask, Starlette and FastAPI, each through a
different platform's events."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import flask
import pytest
from fastapi import Body, FastAPI, Request
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.routing import Route

from faasgi import serverless
from faasgi.state import ASGISessionMiddleware, DynamoDBStore, Sessions, ensure_table
from faasgi.state.flask import FlaskSessionInterface
from faasgi.testing import FaasClient

pytestmark = pytest.mark.slow

TABLE_VARIABLE = "APP_TABLE"


def flask_factory() -> Any:
    """A Flask app as its author would write it: `flask.session`, nothing else."""
    app = flask.Flask(__name__)
    app.session_interface = FlaskSessionInterface(
        Sessions(DynamoDBStore(os.environ[TABLE_VARIABLE]))
    )

    @app.post("/login")
    def login() -> Any:
        flask.session["user"] = flask.request.get_json()["user"]
        flask.session.regenerate()  # type: ignore[attr-defined]
        return {"ok": True}

    @app.post("/cart")
    def add_to_cart() -> Any:
        flask.session["cart"] = [*flask.session.get("cart", []), flask.request.get_json()["item"]]
        return {"ok": True}

    @app.post("/logout")
    def logout() -> Any:
        flask.session.clear()
        return {"ok": True}

    @app.get("/me")
    def me() -> Any:
        return {"user": flask.session.get("user"), "cart": flask.session.get("cart", [])}

    return app


def starlette_factory() -> Any:
    sessions = Sessions(DynamoDBStore(os.environ[TABLE_VARIABLE]))

    async def login(request: StarletteRequest) -> JSONResponse:
        request.session["user"] = (await request.json())["user"]
        request.session.regenerate()  # type: ignore[attr-defined]
        return JSONResponse({"ok": True})

    async def add_to_cart(request: StarletteRequest) -> JSONResponse:
        item = (await request.json())["item"]
        request.session["cart"] = [*request.session.get("cart", []), item]
        return JSONResponse({"ok": True})

    async def logout(request: StarletteRequest) -> JSONResponse:
        request.session.clear()
        return JSONResponse({"ok": True})

    async def me(request: StarletteRequest) -> JSONResponse:
        session = request.session
        return JSONResponse({"user": session.get("user"), "cart": session.get("cart", [])})

    return Starlette(
        routes=[
            Route("/login", login, methods=["POST"]),
            Route("/cart", add_to_cart, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/me", me),
        ],
        middleware=[Middleware(ASGISessionMiddleware, sessions=sessions)],
    )


def fastapi_factory() -> Any:
    app = FastAPI()
    app.add_middleware(
        ASGISessionMiddleware, sessions=Sessions(DynamoDBStore(os.environ[TABLE_VARIABLE]))
    )

    @app.post("/login")
    def login(request: Request, user: str = Body(embed=True)) -> dict[str, bool]:
        request.session["user"] = user
        request.session.regenerate()  # type: ignore[attr-defined]
        return {"ok": True}

    @app.post("/cart")
    def add_to_cart(request: Request, item: str = Body(embed=True)) -> dict[str, bool]:
        request.session["cart"] = [*request.session.get("cart", []), item]
        return {"ok": True}

    @app.post("/logout")
    def logout(request: Request) -> dict[str, bool]:
        request.session.clear()
        return {"ok": True}

    @app.get("/me")
    def me(request: Request) -> dict[str, Any]:
        return {"user": request.session.get("user"), "cart": request.session.get("cart", [])}

    return app


@pytest.fixture
def environment(
    moto_dynamodb: str, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """What the platform gives every copy: the table name, the endpoint, the secret."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_dynamodb)
    monkeypatch.setenv(TABLE_VARIABLE, table_name)
    monkeypatch.setenv("FAASGI_SESSION_SECRET", "one secret for every copy of the function")
    store = DynamoDBStore(table_name)
    ensure_table(store)
    yield
    store.client.delete_table(TableName=table_name)


@pytest.mark.parametrize(
    ("factory", "source"),
    [
        (flask_factory, "aws-rest"),
        (starlette_factory, "aws-http"),
        (fastapi_factory, "fc-http"),
    ],
    ids=["flask", "starlette", "fastapi"],
)
def test_a_login_session_survives_requests_alternating_between_two_copies(
    environment: None, factory: Callable[[], Any], source: str
) -> None:
    copies = [serverless(factory), serverless(factory)]
    assert copies[0].app is not copies[1].app
    client = FaasClient(copies[0], source)
    turn = iter(range(100))

    def send(method: str, path: str, **options: Any) -> Any:
        client.handler = copies[next(turn) % 2]  # A, B, A, B, ...
        response = client.request(method, path, **options)
        assert response.status_code == 200, response.text
        return response.json()

    try:
        assert send("GET", "/me") == {"user": None, "cart": []}
        assert "session" not in client.cookies  # nothing stored, nothing set

        send("POST", "/cart", json={"item": "milk"})
        anonymous = client.cookies["session"]
        send("POST", "/login", json={"user": "alice"})
        assert client.cookies["session"] != anonymous  # regenerated at login
        send("POST", "/cart", json={"item": "eggs"})
        assert send("GET", "/me") == {"user": "alice", "cart": ["milk", "eggs"]}
        assert send("GET", "/me", cookies={"session": anonymous}) == {"user": None, "cart": []}

        send("POST", "/logout")
        assert "session" not in client.cookies
        assert send("GET", "/me") == {"user": None, "cart": []}
    finally:
        for copy in copies:
            copy.shutdown()
