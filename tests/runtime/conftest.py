"""Runtimes in real subprocesses against faasgi's local Runtime API server."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from faasgi.local.runtime_api import RuntimeAPIServer

APPS = Path(__file__).parent / "apps"
SRC = Path(__file__).resolve().parents[2] / "src"
POWERTOOLS = (
    Path(__file__).resolve().parents[1] / "fixtures" / "events" / "aws-powertools-lambda-python"
)


def function_url_event(path: str, query: str = "") -> dict[str, Any]:
    """powertools' captured Function URL event, pointed at another path."""
    event = json.loads((POWERTOOLS / "lambdaFunctionUrlEvent.json").read_text())
    event = copy.deepcopy(event)
    event["rawPath"] = path
    event["rawQueryString"] = query
    event["requestContext"]["http"]["path"] = path
    return event


class Runtime:
    """One runtime process (faasgi.runtime or awslambdaric) serving one handler."""

    def __init__(self, server: RuntimeAPIServer, client: str, handler: str, **env: str) -> None:
        self.server = server
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "FAASGI_", "_HANDLER", "_X_AMZN"))
        }
        environment.update(
            AWS_LAMBDA_RUNTIME_API=server.address,
            _HANDLER=handler,
            AWS_LAMBDA_FUNCTION_NAME=server.function_name,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(server.memory_mb),
            AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
            PYTHONPATH=os.pathsep.join([str(APPS), str(SRC), *sys.path]),
            PYTHONUNBUFFERED="1",
        )
        environment.update(env)
        if client == "faasgi":
            command = [sys.executable, "-m", "faasgi.runtime"]
        else:
            command = [sys.executable, "-m", "awslambdaric", handler]
        self.process = subprocess.Popen(
            command,
            env=environment,
            cwd=str(APPS),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        out, _ = self.process.communicate(timeout=30)
        return out.decode("utf-8", "replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=30)


@pytest.fixture
def launch() -> Iterator[Any]:
    """`launch(client, handler, **env)`: a fresh Runtime API server with a runtime on it."""
    started: list[tuple[RuntimeAPIServer, Runtime]] = []

    def start(client: str, handler: str, **env: str) -> tuple[RuntimeAPIServer, Runtime]:
        server = RuntimeAPIServer(timeout=30, handler=handler).start()
        runtime = Runtime(server, client, handler, **env)
        started.append((server, runtime))
        return server, runtime

    yield start
    for server, runtime in started:
        runtime.close()
        server.close()
