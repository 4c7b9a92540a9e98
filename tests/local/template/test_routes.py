"""Route matching as API Gateway documents it
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html):
the most specific route wins, a greedy variable never matches the root, `ANY` yields to a
method, `$default` takes the rest; and the answer when nothing matches."""

from __future__ import annotations

import pytest

from faasgi.local.template.model import Function, Route
from faasgi.local.template.routes import RouteTable

FUNCTION = Function("f", "app:handler", ".", "aws")


def table(*routes: tuple[str, str], kind: str = "http") -> RouteTable:
    return RouteTable([(Route(kind, "api", method, path), FUNCTION) for method, path in routes])


@pytest.mark.parametrize(
    ("method", "path", "expected", "parameters"),
    [
        ("GET", "/pets/dog", "GET /pets/dog", {}),
        ("GET", "/pets/6", "GET /pets/{petID}", {"petID": "6"}),
        ("POST", "/pets/6", "ANY /pets/{petID}", {"petID": "6"}),
        ("GET", "/pets/6/toys/1", "ANY /{proxy+}", {"proxy": "pets/6/toys/1"}),
        ("GET", "/", "ANY /", {}),
        ("GET", "/caf%C3%A9", "ANY /{proxy+}", {"proxy": "café"}),
    ],
)
def test_the_most_specific_route_wins(
    method: str, path: str, expected: str, parameters: dict[str, str]
) -> None:
    routes = table(
        ("ANY", "/{proxy+}"),
        ("ANY", "/pets/{petID}"),
        ("GET", "/pets/{petID}"),
        ("GET", "/pets/dog"),
        ("ANY", "/"),
    )
    match = routes.match(method, path)
    assert match is not None
    assert match.route.route_key == expected
    assert match.parameters == parameters


def test_a_greedy_variable_does_not_match_the_root_and_default_takes_the_rest() -> None:
    assert table(("ANY", "/{proxy+}")).match("GET", "/") is None
    with_default = table(("GET", "/todos"), ("ANY", "$default"))
    default = with_default.match("DELETE", "/todos")
    assert default is not None and default.route.route_key == "$default"


def test_no_route_is_the_platforms_answer_per_api_type() -> None:
    # REST: 403 "Missing Authentication Token"; HTTP API: 404 "Not Found".
    assert table(("GET", "/a"), kind="rest").no_route() == (403, "Missing Authentication Token")
    assert table(("GET", "/a"), kind="http").no_route() == (404, "Not Found")
    assert table(("GET", "/a"), kind="rest").match("POST", "/a") is None


def test_a_route_two_functions_declare_is_listed_and_the_first_answers() -> None:
    import argparse
    import socket

    from faasgi.local.template.model import Project
    from faasgi.local.template.plan import Plan

    first, second = Function("First", "a:h", ".", "aws"), Function("Second", "b:h", ".", "aws")
    first.routes.append(Route("http", "ApiA", "GET", "/same"))
    second.routes.append(Route("http", "ApiB", "GET", "/same"))
    project = Project("t.yaml", "sam", {"First": first, "Second": second})
    args = argparse.Namespace(
        tables=None, dynamodb=None, no_dynamodb=True, host="127.0.0.1", port=0, invoke_port=0
    )
    plan = Plan(project, args, {}, None)
    opened: list[socket.socket] = []

    def listen(host: str, port: int) -> socket.socket:
        listener = socket.socket()
        listener.bind((host, port))
        opened.append(listener)
        return listener

    try:
        plan.listeners(listen)
    finally:
        for listener in opened:
            listener.close()
    assert any("GET /same is declared by First and Second" in line for line in project.not_emulated)
    routes = plan.ports[0][2]
    assert routes is not None
    match = RouteTable(routes).match("GET", "/same")
    assert match is not None and match.function.name == "First"
