"""`faasgi check` on the todo list, with the commands examples/todolist/README.md gives:
the stateful original fails at the request that meets a fresh instance, the stateless
versions pass with a fresh instance per request and round-robin across instances."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]
README = REPOSITORY / "examples" / "todolist" / "README.md"


def readme_check_commands() -> dict[str, list[str]]:
    """`faasgi check ...` lines of the README, by the module they check."""
    commands = {}
    for line in README.read_text().splitlines():
        if line.startswith("faasgi check "):
            words = line.split("#", 1)[0].split()
            commands[words[2].split(":")[0].rsplit(".", 1)[-1]] = words[1:]
    return commands


def check(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FAASGI_", "TODO_", "SESSION_", "AWS_"))
    }
    environment["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY), *sys.path])
    return subprocess.run(
        [sys.executable, "-m", "faasgi.cli", *arguments],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
    )


def test_the_readme_names_both_versions() -> None:
    assert set(readme_check_commands()) == {"stateful_app", "flask_app"}


def test_the_stateful_original_fails_the_check_at_the_second_request() -> None:
    result = check(readme_check_commands()["stateful_app"])
    assert result.returncode == 1, result.stdout + result.stderr
    # The first diverging answer is shown, for the step that met a fresh instance.
    assert re.search(r"step 2\b", result.stdout), result.stdout
    assert "---" in result.stdout and "+++" in result.stdout


@pytest.mark.parametrize("module", ["flask_app", "fastapi_app"])
def test_the_stateless_versions_pass_the_check(module: str) -> None:
    arguments = readme_check_commands()["flask_app"]
    arguments[1] = arguments[1].replace("flask_app", module)
    result = check(arguments)
    assert result.returncode == 0, result.stdout + result.stderr
