"""Every `faasgi package` command docs/deploy.md and the deploy kits show builds the todo
list for real (output sent to a temporary folder instead of dist/)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_package import documented_package_commands

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]
HELLO = """\
from flask import Flask
from faasgi import serverless

app = Flask(__name__)


@app.get("/")
def index():
    return {"hello": "world"}


handler = serverless(app)
"""


@pytest.mark.parametrize(
    ("where", "command"),
    sorted(set(documented_package_commands())),
    ids=lambda value: value if value.endswith((".md", ".yaml")) else "",
)
def test_documented_package_command_builds(tmp_path: Path, where: str, command: str) -> None:
    words = shlex.split(command)
    assert words[:2] == ["faasgi", "package"]
    project = REPOSITORY
    if words[2] == "app:handler":  # the doc's Flask hello world, in a project of its own
        project = tmp_path / "hello"
        project.mkdir()
        (project / "app.py").write_text(HELLO)
        (project / "requirements.txt").write_text("flask\n")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-m", "faasgi.cli", *words[1:], "-o", str(tmp_path / "dist")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    digest, zip_path = result.stdout.strip().splitlines()[-1].split()
    assert Path(zip_path).is_file() and len(digest) == 64
    assert "smoke test" in output
