"""`faasgi serve --runtime-client`: the tables an app declares with `faasgi_tables()` are
created in the local DynamoDB before its first invocation, as with faasgi's own worker —
read in the runtime's process, the one process that imports the app."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

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


def serve(handler: str, client: str, *options: str, **env: str) -> Emulator:
    path = os.pathsep.join([str(APPS), str(SRC), *sys.path])
    return Emulator(
        handler,
        "--runtime-client",
        client,
        *options,
        cwd=str(APPS),
        env={"PYTHONPATH": path, **env},
    )


@pytest.mark.parametrize("client", CLIENTS)
def test_declared_tables_exist_before_the_first_request(tmp_path: Path, client: str) -> None:
    imports = tmp_path / "imports.log"
    with serve("tables_app:handler", client, IMPORT_LOG=str(imports)) as emulator:
        answers = [httpx.get(emulator.url + "/", timeout=60) for _ in range(2)]
        emulator.wait_for(r"DynamoDB: created faasgi-runtime-client-tables \(from faasgi_tables")
        instance_pids = set(emulator.instance_pids().values())
        emulator_pid = emulator.process.pid if emulator.process else None
    assert [answer.status_code for answer in answers] == [200, 200], answers[0].text
    assert [answer.json() for answer in answers] == [{"count": 1}, {"count": 2}]
    # Imported once, by the runtime's process: neither the emulator nor the instance.
    importers = imports.read_text().split()
    assert len(importers) == 1
    assert int(importers[0]) not in {emulator_pid, *instance_pids}


def test_a_malformed_tables_hook_is_an_init_failure_in_one_line() -> None:
    with serve("bad_tables:handler", "faasgi", "--no-dynamodb") as emulator:
        answer = httpx.get(emulator.url + "/", timeout=60)
        emulator.wait_for(r"init failed: TypeError: faasgi_tables must be a function")
    assert answer.status_code >= 500
