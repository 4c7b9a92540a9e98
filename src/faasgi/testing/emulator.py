"""`faasgi serve` in a child process, for tests over real HTTP (httpx, a browser): started
on a free port, stopped with Ctrl-C (SIGINT) as a developer stops it, everything it
printed kept for assertions.

Never sleeps for a fixed time: it waits for the lines the emulator prints.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from types import TracebackType

_LISTENING = re.compile(r"listening on (http://\S+)")
#: The banner's last line: once it is read, the whole banner is.
_BANNER_END = re.compile(r"^  Ctrl-C stops it")
_COLD_START = re.compile(r"(i-[0-9a-f]+): cold start, pid (\d+)")


class EmulatorError(Exception):
    """The emulator did not start, or printed nothing like what was awaited."""


class Emulator:
    """`with Emulator("app:handler", "--keep-alive", "1") as emulator: emulator.url`.

    `options` are `faasgi serve` options (`--port 0` is added unless given); `env` is
    added to this process's environment; `cwd` is where the handler module is found.
    """

    def __init__(
        self,
        handler: str,
        *options: str,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.handler = handler
        self.options = list(options)
        if "--port" not in self.options:
            self.options += ["--port", "0"]
        self.cwd = cwd
        self.env = dict(env or {})
        self.start_timeout = start_timeout
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._reader: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"<Emulator {self.handler} {self.url or 'not started'}>"

    def start(self) -> str:
        """Start `faasgi serve`; its URL once it listens."""
        command = [
            sys.executable,
            "-c",
            "from faasgi.cli import run; run()",
            "serve",
            self.handler,
            *self.options,
        ]
        self.process = subprocess.Popen(
            command,
            cwd=self.cwd,
            env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._reader = threading.Thread(target=self._read, name="emulator-output", daemon=True)
        self._reader.start()
        try:
            match = self.wait_for(_LISTENING, self.start_timeout)
            self.wait_for(_BANNER_END, self.start_timeout)
        except EmulatorError:
            self.stop(signal.SIGKILL)
            raise
        self.url = match.group(1)
        return self.url

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        """Everything the emulator and its instances printed so far."""
        with self._changed:
            return "\n".join(self._lines)

    def lines(self) -> list[str]:
        with self._changed:
            return list(self._lines)

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 30.0) -> re.Match[str]:
        """The first line (from the start) matching `pattern`, waiting up to `timeout` s."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self._lines:
                    match = regex.search(line)
                    if match:
                        return match
                remaining = deadline - time.monotonic()
                exited = self.process is None or self.process.poll() is not None
                if remaining <= 0 or (exited and not self._reader_alive()):
                    raise EmulatorError(
                        f"no line matching {regex.pattern!r} after {timeout:g} s; "
                        f"output so far:\n" + "\n".join(self._lines)
                    )
                self._changed.wait(min(remaining, 0.5))

    def _reader_alive(self) -> bool:
        return self._reader is not None and self._reader.is_alive()

    def count(self, pattern: str) -> int:
        """How many lines so far match `pattern`."""
        regex = re.compile(pattern)
        return sum(1 for line in self.lines() if regex.search(line))

    def instance_pids(self) -> dict[str, int]:
        """Instance id -> process id, for every instance started so far."""
        found = {}
        for line in self.lines():
            match = _COLD_START.search(line)
            if match:
                found[match.group(1)] = int(match.group(2))
        return found

    def stop(self, signum: int = signal.SIGINT, timeout: float = 30.0) -> int:
        """Send `signum` (Ctrl-C by default) and wait for the emulator to exit; its status."""
        process = self.process
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(signum)
        try:
            status = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise EmulatorError(
                f"faasgi serve still running {timeout:g} s after signal {signum}; killed"
            ) from None
        if self._reader is not None:
            self._reader.join(timeout)
        return status

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


__all__ = ["Emulator", "EmulatorError"]
