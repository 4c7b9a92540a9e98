"""`faasgi invoke`: one cold invocation with the platform's event, from METHOD PATH in each
source's format or from an event file; exit 1 when the invocation raised, 2 for mistakes."""

from __future__ import annotations

import json
import re
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


class Asgi:
    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"asgi " + scope["path"].encode()})


asgi = Asgi()


def create_app():
    return app


def lambda_style(event, context):
    import os

    return {name: os.environ.get(name) for name in ("FROM_FILE", "QUOTED", "FROM_FLAG")}
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
        (["{module}:handler", "GET", "/", "--event", "e.json"], "not both"),
        # An HTTP API answers 400 to a lone %25 itself: there is no event to send.
        (["{module}:handler", "GET", "/100%25"], "aws-http answers 400 Bad Request"),
    ],
)
def test_mistakes_exit_2_with_a_message(
    module: str, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["invoke", *(a.format(module=module) for a in arguments)]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("attribute", "kind", "body"), [("app", "WSGI", "GET /?"), ("asgi", "ASGI", "asgi /")]
)
def test_a_plain_app_is_wrapped_and_said_so_in_one_line(
    module: str, capsys: pytest.CaptureFixture[str], attribute: str, kind: str, body: str
) -> None:
    assert main(["invoke", f"{module}:{attribute}", "GET", "/"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["body"].strip() == body
    notes = [line for line in err.splitlines() if "serverless(" in line]
    assert notes == [
        f"faasgi: {module}:{attribute} is a plain {kind} app, not a handler: faasgi wraps it "
        f"in serverless({attribute}) (add `handler = serverless({attribute})` to deploy it)"
    ]


def test_a_factory_given_by_mistake_names_the_fix(
    module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["invoke", f"{module}:create_app", "GET", "/"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "looks like an app factory" in line
    assert f"handler = serverless(create_app)` to {module}" in line


def test_a_module_that_raises_at_import_shows_only_the_users_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "needs_db.py").write_text("import os\nURL = os.environ['DATABASE_URL']\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delitem(sys.modules, "needs_db", raising=False)

    assert main(["invoke", "needs_db:handler", "GET", "/"]) == 1

    lines = capsys.readouterr().err.splitlines()
    assert lines[-1] == "faasgi invoke: importing 'needs_db' failed: KeyError: 'DATABASE_URL'"
    files = [line.split('"')[1] for line in lines if line.startswith('  File "')]
    assert files == [str(tmp_path / "needs_db.py")]  # not importlib's, not faasgi's


def test_an_event_no_source_takes_is_one_line(
    module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.json").write_text("{}")

    assert main(["invoke", f"{module}:handler", "--event", "empty.json"]) == 2

    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("faasgi invoke: the handler cannot take this event: ")


def test_invoke_takes_env_and_an_env_file(
    module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("FROM_FILE", "QUOTED", "FROM_FLAG"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "local.env").write_text(
        "# comment\nexport FROM_FILE=1\n\nQUOTED='two words'\nFROM_FLAG=file\n"
    )
    (tmp_path / "event.json").write_text(json.dumps({"source": "test"}))
    arguments = ["--event", "event.json", "--env-file", "local.env", "-e", "FROM_FLAG=flag"]

    assert main(["invoke", f"{module}:lambda_style", *arguments]) == 0

    answer = json.loads(capsys.readouterr().out)
    assert answer == {"FROM_FILE": "1", "QUOTED": "two words", "FROM_FLAG": "flag"}


def test_a_malformed_env_file_names_the_line(
    module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.env").write_text("A=1\nnot a variable\n")

    assert main(["invoke", f"{module}:handler", "GET", "/", "--env-file", "bad.env"]) == 2
    assert "bad.env, line 2: expected NAME=VALUE" in capsys.readouterr().err


def test_version_is_the_packages(capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    declared = re.search(r'^version = "([^"]+)"', pyproject, re.M)
    assert declared is not None

    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"faasgi {declared.group(1)}"


@pytest.mark.parametrize("command", ["invoke", "serve", "check", "event"])
def test_every_help_shows_the_defaults_and_the_platforms(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse
    import importlib

    from faasgi.cli import COMMANDS, HelpFormatter

    parser = argparse.ArgumentParser(formatter_class=HelpFormatter)
    importlib.import_module(COMMANDS[command][0]).configure(parser)
    formatter = HelpFormatter("faasgi")
    for action in parser._actions:
        if action.option_strings and action.default not in (None, False, [], "==SUPPRESS=="):
            assert "default" in (formatter._get_help_string(action) or ""), action.dest

    with pytest.raises(SystemExit):
        main([command, "--help"])
    shown = capsys.readouterr().out
    assert 'unless their help says "Lambda:" or "FC:"' in " ".join(shown.split())
