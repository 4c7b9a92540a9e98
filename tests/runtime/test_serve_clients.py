"""`faasgi serve --runtime-client awslambdaric|faasgi`: each emulator instance runs that
Lambda runtime client against its own local Runtime API, and the answers through the
emulator are the same as with faasgi's in-process worker."""

from __future__ import annotations

import importlib.util
import os
import sys

import httpx
import pytest

from faasgi.testing.emulator import Emulator
from tests.runtime.conftest import APPS, SRC

pytestmark = pytest.mark.slow

CLIENTS = [
    "faasgi",
    pytest.param(
        "awslambdaric",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("awslambdaric") is None, reason="dev extra only"
        ),
    ),
]


def serve(handler: str, *options: str) -> Emulator:
    path = os.pathsep.join([str(APPS), str(SRC), *sys.path])
    environment = {"PYTHONPATH": path, "FAASGI_INVOKE_MODE": "RESPONSE_STREAM"}
    return Emulator(handler, "--no-dynamodb", *options, cwd=str(APPS), env=environment)


@pytest.mark.parametrize("client", CLIENTS)
def test_the_emulator_answers_alike_through_a_runtime_client(client: str) -> None:
    with (
        serve("faasgi_json:handler") as plain,
        serve("faasgi_json:handler", "--runtime-client", client) as through_client,
    ):
        answers = []
        for emulator in (plain, through_client):
            with httpx.Client(base_url=emulator.url, timeout=60) as browser:
                answers.append(browser.get("/hello", params={"name": client}))
        expected, actual = answers
        assert actual.status_code == expected.status_code == 200
        assert actual.json() == expected.json() == {"hello": client}
        assert actual.headers.get_list("set-cookie") == expected.headers.get_list("set-cookie")


def test_a_streamed_answer_reaches_the_emulator_whole() -> None:
    with (
        serve("web:handler", "--runtime-client", "faasgi") as emulator,
        httpx.Client(base_url=emulator.url, timeout=60) as browser,
    ):
        answer = browser.get("/stream", params={"count": 3, "pause": 0})
    assert answer.status_code == 200
    assert answer.text == "".join(f"data: token {i}\n\n" for i in range(3))
    assert answer.headers["content-type"].startswith("text/event-stream")
