"""docs/quickstart.md: its app, its `faasgi invoke` commands and its test run as written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "quickstart.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("quickstart")
    app = next(block for block in blocks("python") if block.startswith("# app.py"))
    (directory / "app.py").write_text(app)
    return directory


def faasgi(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "faasgi.cli", *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def invoke_commands() -> list[list[str]]:
    commands = []
    for block in blocks("sh"):
        for line in block.splitlines():
            command = line.split("#", 1)[0].split()
            if command[:2] == ["faasgi", "invoke"] and "--event" not in command:
                commands.append(command[1:])
    return commands


@pytest.mark.slow
@pytest.mark.parametrize("command", invoke_commands(), ids=" ".join)
def test_invoke_commands_answer_as_the_doc_says(project: Path, command: list[str]) -> None:
    result = faasgi(project, *command)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"hello": "world"}
    assert "cold start" in result.stderr


def test_the_docs_test_passes(project: Path) -> None:
    test = next(block for block in blocks("python") if "def test_hello" in block)
    namespace: dict[str, object] = {}
    sys.path.insert(0, str(project))
    try:
        exec(compile(test, str(DOC), "exec"), namespace)
        namespace["test_hello"]()  # type: ignore[operator]
    finally:
        sys.path.remove(str(project))
        sys.modules.pop("app", None)


@pytest.mark.slow
def test_serve_command_serves_the_app(project: Path) -> None:
    from faasgi.testing.emulator import Emulator

    serve = next(
        line.split("#", 1)[0].split()
        for block in blocks("sh")
        for line in block.splitlines()
        if line.startswith("faasgi serve")
    )
    environment = {"PYTHONPATH": os.pathsep.join(sys.path)}
    with Emulator(*serve[2:], "--no-dynamodb", cwd=str(project), env=environment) as emulator:
        answer = httpx.get(emulator.url + "/hello/world", timeout=30)
        assert answer.json() == {"hello": "world"}
        assert answer.headers["x-faasgi-cold"] == "1"


@pytest.mark.slow
def test_package_commands_build_a_zip_that_imports(project: Path) -> None:
    lines = [
        line.split("#", 1)[0].strip()
        for block in blocks("sh")
        for line in block.splitlines()
        if line.startswith(("echo ", "faasgi package"))
    ]
    requirements, package = lines
    assert requirements == "echo flask > requirements.txt"
    (project / "requirements.txt").write_text("flask\n")
    result = faasgi(project, *package.split()[1:])
    assert result.returncode == 0, result.stdout + result.stderr
    digest, zip_path = result.stdout.strip().splitlines()[-1].split()
    assert (project / zip_path).is_file() and len(digest) == 64
    assert "smoke test" in result.stdout + result.stderr
