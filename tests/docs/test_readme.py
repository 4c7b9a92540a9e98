"""README.md's two set-up commands: the first installs the `local` and `examples` extras and
serves the todo list; the second is `.ci/run`. The serve part runs here as written (on a
free port instead of 3000); `.ci/run` is what CI runs."""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

import httpx
import pytest

from faasgi.testing.emulator import Emulator

REPOSITORY = Path(__file__).resolve().parents[2]
README = (REPOSITORY / "README.md").read_text()


def setup_commands() -> list[str]:
    """The README's first two code blocks, which must come before anything else."""
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    assert README.index("```sh") < README.index("---")
    return [block.strip() for block in blocks[:2]]


def test_the_readme_starts_with_exactly_two_commands() -> None:
    first, second = setup_commands()
    assert "\n" not in first and "\n" not in second
    assert second == "bash .ci/run"
    steps = [shlex.split(step) for step in first.split("&&")]
    assert steps[0][:3] == ["python3", "-m", "venv"]
    extras = re.search(r"\.\[([a-z,]+)\]", first)
    assert extras is not None
    pyproject = (REPOSITORY / "pyproject.toml").read_text()
    section = pyproject.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    declared = re.findall(r"^([a-z]+) = \[", section, flags=re.M)
    assert set(extras.group(1).split(",")) <= set(declared)
    assert steps[-1][0].endswith("faasgi") and steps[-1][1] == "serve"


@pytest.mark.slow
def test_the_first_command_serves_the_todo_list() -> None:
    first, _ = setup_commands()
    serve = shlex.split(first.split("&&")[-1])
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FAASGI_", "TODO_", "SESSION_", "AWS_"))
    }
    environment["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY), *sys.path])
    with Emulator(*serve[2:], cwd=str(REPOSITORY), env=environment) as emulator:
        assert "moto" in emulator.output
        with httpx.Client(base_url=emulator.url, timeout=30) as browser:
            assert browser.get("/").status_code == 200
            account = {"userName": "readme-user", "password": "a long enough password"}
            assert browser.post("/api/register", json=account).status_code == 200
            login = browser.post("/api/login/account", json={**account, "type": "account"})
            assert login.json()["status"] == "ok"
            created = browser.post("/api/rule", json={"name": "try faasgi", "desc": ""})
            assert created.status_code == 200
            listed = browser.get("/api/rule").json()
            assert [todo["name"] for todo in listed["data"]] == ["try faasgi"]
