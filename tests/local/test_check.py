"""`faasgi check` end to end, as a user runs it: it must fail the app that keeps its
todos and logins in module globals, pass its DynamoDB twin, and say why in a diff."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from faasgi.cli import main as faasgi
from tests.local.conftest import ROOT, app

SCENARIOS = Path(__file__).parent / "scenarios"
FAASGI = [sys.executable, "-c", "from faasgi.cli import run; run()"]


def check(handler: str, scenario: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FAASGI, "check", handler, "--scenario", str(SCENARIOS / scenario), *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_check_fails_an_app_that_keeps_its_todos_in_module_globals() -> None:
    result = check(app("todos_in_memory"), "todos.json", "--no-dynamodb")

    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "one warm instance                 5 steps on 1 instance (1 cold start)" in out
    assert "a fresh instance per request      DIFFERS at step 3 of 5" in out
    assert "round-robin across 3 instances    DIFFERS at step 3 of 5" in out
    assert "step 3 on a fresh instance per request: GET /todos\n" in out
    assert '-      "title": "milk"' in out
    assert '+  "todos": []' in out
    assert "State kept in process memory" in out


@pytest.mark.slow
def test_check_carries_cookies_and_fails_a_login_kept_in_memory() -> None:
    result = check(app("todos_in_memory"), "login.json", "--no-dynamodb", "--instances", "2")

    assert result.returncode == 1, result.stderr
    # The warm run knew alice at step 2: the login cookie went back, as from a browser.
    assert '-  "user": "alice"\n+  "user": null' in result.stdout
    assert "round-robin across 2 instances    DIFFERS at step 2 of 2" in result.stdout


@pytest.mark.slow
def test_check_passes_the_same_app_with_its_state_in_dynamodb() -> None:
    result = check(app("todos_in_dynamodb"), "todos.json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "a fresh instance per request      5 steps on 5 instances (5 cold starts)" in (
        result.stdout
    )
    assert "round-robin across 3 instances    5 steps on 3 instances (3 cold starts)" in (
        result.stdout
    )
    assert result.stdout.rstrip().endswith("the same answers on every instance layout")


@pytest.mark.slow
def test_check_warns_when_a_step_fails_on_the_warm_instance_too() -> None:
    scenario = SCENARIOS / "crash.json"
    result = subprocess.run(
        [*FAASGI, "check", app("crashing"), "--scenario", str(scenario), "--no-dynamodb"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning: step 1 (GET /raise) failed on the warm instance too: error" in result.stdout


@pytest.mark.slow
def test_check_fails_when_the_app_does_not_even_start() -> None:
    result = check(app("broken"), "crash.json", "--no-dynamodb")

    assert result.returncode == 1
    assert "the scenario does not run on one warm instance:" in result.stdout
    assert "step 1 (GET /raise): init: instance i-" in result.stdout
    assert "ImportError: no module named 'flaskk'" in result.stdout
    assert "a fresh instance per request" not in result.stdout  # not worth running


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ({"method": "GET", "path": "/"}, "a scenario is a non-empty JSON list"),
        ([{"method": "GET", "path": "/", "query": "x"}], "step 1: unknown key(s) ['query']"),
        ([{"method": "GET", "path": "x"}], "step 1: 'path' must be a string starting"),
        ([{"method": "POST", "path": "/", "json": {}, "body": ""}], "'json' or 'body', not"),
        ([{"method": "GET", "path": "/", "ignore": "id"}], "'ignore' must be a list of paths"),
    ],
)
def test_a_malformed_scenario_is_a_usage_error_naming_the_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scenario: object, message: str
) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))

    status = faasgi(["check", app("hello"), "--scenario", str(path), "--no-dynamodb"])

    assert status == 2
    assert message in capsys.readouterr().err
