"""An app that starts a process of its own must not blind the emulator: a crash is still
seen at once, Ctrl-C from a terminal still stops everything, and the app's children go
with their instance. Run on every Python CI runs (`.ci/run`): asyncio's subprocess
`wait()` waits for the child's pipes to close on some versions and not on others.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.local.conftest import ROOT, alive, app

pytestmark = pytest.mark.slow


class Terminal:
    """`faasgi serve` in its own process group, as a shell runs a foreground job: Ctrl-C
    sends SIGINT to every process of that group."""

    def __init__(self, *arguments: str, env: dict[str, str]) -> None:
        command = [sys.executable, "-c", "from faasgi.cli import run; run()", "serve"]
        self.process = subprocess.Popen(
            [*command, *arguments, "--port", "0", "--no-dynamodb"],
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self.wait_for(r"listening on (http://\S+)").group(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.lines))

    def ctrl_c(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)

    def close(self) -> None:
        """Ctrl-C, so the instances (and the app's children) are stopped; SIGKILL if that
        fails (an emulator killed outright cannot end the app's children)."""
        if self.process.poll() is None:
            self.ctrl_c()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[tuple[Terminal, Path]]:
    child_pid = tmp_path / "child.pid"
    started = Terminal(app("spawning"), "--timeout", "40", env={"CHILD_PID_FILE": str(child_pid)})
    try:
        yield started, child_pid
    finally:
        started.close()


def ignored(pid: int, signum: int) -> bool:
    """Whether the process ignores the signal (Linux: the SigIgn mask in /proc)."""
    with open(f"/proc/{pid}/status") as status:
        mask = next(line for line in status if line.startswith("SigIgn:")).split()[1]
    return bool(int(mask, 16) & (1 << (signum - 1)))


def gone(pid: int, within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_an_instance_that_crashes_with_a_child_running_answers_502_at_once(
    terminal: tuple[Terminal, Path],
) -> None:
    emulator, child_pid = terminal
    worker = int(httpx.get(emulator.url + "/", timeout=60).text)
    child = int(child_pid.read_text())

    started = time.monotonic()
    crashed = httpx.get(emulator.url + "/crash", timeout=60)

    assert crashed.status_code == 502  # not 504 after the whole --timeout
    assert crashed.headers["x-faasgi-error"] == "crash"
    assert time.monotonic() - started < 20
    emulator.wait_for(r"exited with status 1 during an invocation")
    assert gone(worker) and gone(child)  # the instance's children end with it
    after = httpx.get(emulator.url + "/", timeout=60)
    assert after.status_code == 200 and after.headers["x-faasgi-cold"] == "1"


def test_ctrl_c_stops_the_emulator_and_the_apps_children(
    terminal: tuple[Terminal, Path],
) -> None:
    emulator, child_pid = terminal
    worker = int(httpx.get(emulator.url + "/", timeout=60).text)
    child = int(child_pid.read_text())
    assert not ignored(child, signal.SIGINT)  # the app's child does not inherit "ignore"

    emulator.ctrl_c()

    assert emulator.process.wait(timeout=30) == 0
    assert gone(worker) and gone(child)
    output = "\n".join(emulator.lines)
    assert "after SIGTERM: killed" not in output  # the instance had already exited
    assert "stopped" in emulator.lines[-1]
