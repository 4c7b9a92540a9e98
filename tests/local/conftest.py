"""Fixtures for the emulator tests: `faasgi serve` on a free port as a child process
(stopped with Ctrl-C at the end of the test), and the small apps in tests/local/apps."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from faasgi.testing.emulator import Emulator

ROOT = Path(__file__).parents[2]
APPS = "tests.local.apps"


def app(name: str) -> str:
    """The handler spec of a test app: `app("hello")` -> "tests.local.apps.hello:handler"."""
    return f"{APPS}.{name}:handler"


def alive(pid: int) -> bool:
    """Whether a process exists (and is not a zombie waiting for its parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@pytest.fixture
def serve() -> Iterator[Callable[..., Emulator]]:
    """`serve("hello", "--keep-alive", "1")`: a started emulator for a test app; DynamoDB
    is off unless the options mention it (moto adds a second to every start)."""
    started: list[Emulator] = []

    def start(
        name: str, *options: str, env: dict[str, str] | None = None, cwd: str | None = None
    ) -> Emulator:
        wanted = list(options)
        if not any(
            option.startswith(("--dynamodb", "--tables", "--with-dynamodb")) for option in wanted
        ):
            wanted.append("--no-dynamodb")
        wanted = [option for option in wanted if option != "--with-dynamodb"]
        spec = app(name) if ":" not in name else name
        emulator = Emulator(spec, *wanted, cwd=cwd or str(ROOT), env=env)
        started.append(emulator)
        emulator.start()
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
