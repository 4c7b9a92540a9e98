"""What `faasgi serve` tells a user about their app: a plain WSGI/ASGI app wrapped (said
once), an app factory given by mistake (the fix named), a module that raises at import
(their frames, one line), the dev-mode session secret (warned once per instance). Runs on
every Python CI runs (`.ci/run`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.local.test_serve import Serve, get, instance

pytestmark = pytest.mark.slow


def test_a_plain_app_is_wrapped_and_said_so_once(serve: Serve) -> None:
    emulator = serve("tests.local.apps.hello:app", "--fresh")

    answers = [get(emulator, "/") for _ in range(2)]

    assert [a.text for a in answers] == ["hello", "hello"]
    assert len({instance(a)[0] for a in answers}) == 2
    note = "tests.local.apps.hello:app is a plain WSGI app, not a handler: faasgi wraps it"
    assert emulator.count(re.escape(note)) == 1


def test_an_import_failure_shows_the_users_frames_and_one_line(
    serve: Serve, tmp_path: Path
) -> None:
    (tmp_path / "needs_db.py").write_text("import os\nURL = os.environ['DATABASE_URL']\n")
    emulator = serve("needs_db:handler", cwd=str(tmp_path))

    failed = get(emulator, "/")

    assert (failed.status_code, failed.headers["x-faasgi-error"]) == (502, "init")
    line = r"init failed: Runtime.ImportModuleError: importing 'needs_db' failed: KeyError"
    emulator.wait_for(line)
    assert "importlib" not in emulator.output
    emulator.wait_for(rf'\[i-\w+\]   File "{re.escape(str(tmp_path))}/needs_db.py", line 2')


def test_the_dev_session_secret_warning_appears_once_per_instance(serve: Serve) -> None:
    emulator = serve("dev_sessions")

    first = get(emulator, "/")

    instance_id = instance(first)[0]
    emulator.wait_for(rf"GET / 200 {instance_id} cold")
    assert emulator.count(rf"\[{instance_id}\] .*DEV MODE") == 1


def test_a_factory_given_by_mistake_fails_its_cold_start_naming_the_fix(serve: Serve) -> None:
    emulator = serve("tests.local.apps.hello:create_app")

    failed = get(emulator, "/")

    assert (failed.status_code, failed.headers["x-faasgi-error"]) == (502, "init")
    emulator.wait_for(r"init failed: .*looks like an app factory. Add `handler = serverless")
