"""`faasgi invoke`: one cold invocation with the platform's event, from METHOD PATH in each
source's format or from an event file; exit 1 when the invocation raised, 2 for mistakes."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

from faasgi.cli import main
from tests.conftest import EVENTS

APP = """
from faasgi import serverless

def app(environ, start_response):
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("boom")
    body = (environ["REQUEST_METHOD"] + " " + environ["PATH_INFO"] + "?" + environ["QUERY_STRING"]
            + " " + environ.get("HTTP_X_TEST", "") + " " + environ["wsgi.input"].read().decode())
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]

handler = serverless(app, raise_app_errors=True)
"""


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = "invoked_" + uuid.uuid4().hex[:8]
    (tmp_path / f"{name}.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    yield name
    sys.modules.pop(name, None)


@pytest.mark.parametrize(
    "source", ["aws-http", "function-url", "aws-rest", "alb", "alb-multi", "lattice", "fc-http"]
)
def test_invoke_builds_the_source_s_event(
    module: str, source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "invoke",
            f"{module}:handler",
            "POST",
            "/items?x=1",
            "--source",
            source,
            "-H",
            "X-Test: yes",
            "-d",
            "body text",
        ]
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    answer = json.loads(out)
    assert answer["statusCode"] == 200
    assert answer["body"] == "POST /items?x=1 yes body text"
    assert "cold start" in err and "invocation" in err


def test_invoke_sends_an_event_file_as_it_is(
    module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    event = EVENTS / "alibaba-fc" / "fc3-http-get.json"
    assert main(["invoke", f"{module}:handler", "--event", str(event)]) == 0
    assert json.loads(capsys.readouterr().out)["body"].startswith("GET /api/items/42?")


def test_invoke_exits_1_when_the_invocation_raised(
    module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["invoke", f"{module}:handler", "GET", "/boom"]) == 1
    assert "RuntimeError: boom" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nomodule_here:handler", "GET", "/"], "no module named"),
        (["{module}", "GET", "/"], "MODULE:HANDLER"),
        (["{module}:missing", "GET", "/"], "has no attribute"),
        (["{module}:handler"], "METHOD PATH"),
        (["{module}:handler", "GET", "/", "--source", "gcp"], "--source must be one of"),
        (["{module}:handler", "GET", "/", "-H", "no colon"], "'Name: value'"),
        (["{module}:handler", "--event", "missing.json"], "cannot read"),
        # An HTTP API answers 400 to a lone %25 itself: there is no event to send.
        (["{module}:handler", "GET", "/100%25"], "aws-http answers 400 Bad Request"),
    ],
)
def test_mistakes_exit_2_with_a_message(
    module: str, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["invoke", *(a.format(module=module) for a in arguments)]) == 2
    assert message in capsys.readouterr().err
