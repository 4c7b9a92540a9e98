"""`faasgi serve MODULE:HANDLER --record DIR`, then `faasgi replay DIR --against ...`: the
same code gives the same answers; a change is caught, with the first differing answer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from faasgi.testing.emulator import Emulator

pytestmark = pytest.mark.slow

APP = """
import json

from faasgi import serverless


def app(environ, start_response):
    headers = [("Content-Type", "application/json"), ("Set-Cookie", "session=s3cret")]
    start_response("200 OK", headers)
    return [json.dumps({"path": environ["PATH_INFO"], "version": VERSION}).encode()]


handler = serverless(app)
"""


def replay(folder: Path, record: Path, spec: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from faasgi.cli import run; run()",
            "replay",
            str(record),
            "--against",
            spec,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ,
    )


def test_replay_passes_on_the_same_code_and_shows_the_first_changed_answer(
    serve: Callable[..., Emulator], tmp_path: Path
) -> None:
    (tmp_path / "recorded_app.py").write_text(APP.replace("VERSION", "1"))
    record = tmp_path / "record"
    emulator = serve("recorded_app:handler", "--record", str(record), cwd=str(tmp_path))
    with httpx.Client(base_url=emulator.url, timeout=30) as client:
        for path in ("/a", "/b"):
            answer = client.get(path, headers={"cookie": "session=abc"})
            assert answer.status_code == 200
    emulator.stop()
    assert len(list(record.glob("*.json"))) == 2
    assert "abc" not in "".join(p.read_text() for p in record.glob("*.json"))

    same = replay(tmp_path, record, "recorded_app:handler")
    assert same.returncode == 0, same.stdout + same.stderr
    assert "2 recorded answers, the same" in same.stdout

    (tmp_path / "changed_app.py").write_text(APP.replace("VERSION", "2"))
    changed = replay(tmp_path, record, "changed_app:handler")
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert "answer 1 of 2 differs" in changed.stdout
    assert "GET /a" in changed.stdout
    assert '-  "version": 1' in changed.stdout and '+  "version": 2' in changed.stdout


def test_replay_of_nothing_is_a_usage_error(tmp_path: Path) -> None:
    result = replay(tmp_path, tmp_path, "x:handler")
    assert result.returncode == 2
    assert "no recorded invocations" in result.stderr
