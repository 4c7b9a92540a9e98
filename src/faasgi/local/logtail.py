"""The log of one invocation, for the Invoke API's `X-Amz-Log-Type: Tail`: Lambda answers
a synchronous invocation with `X-Amz-Log-Result`, "the last 4 KB of the execution log,
which is base64-encoded" (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html,
LogType and LogResult).

The instances' output reaches the emulator's log line by line through the
`faasgi.local.instance` logger (pool.py, "[instance] line"); a handler on that logger keeps
the latest lines of each instance, numbered, so the lines an instance printed while it ran
an invocation can be picked out afterwards. Lambda frames them with its own
`START RequestId: ... Version: $LATEST`, `END RequestId: ...` and `REPORT RequestId: ...
Duration: ... ms` lines (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html);
the emulator writes the same three.

Best effort, said in docs/templates.md: an instance serving several requests at once
(`--concurrency`) mixes their lines, as one log stream would.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
from collections import deque

#: API_Invoke: the last 4 KB.
TAIL_BYTES = 4096
_KEPT_LINES = 500


class InstanceLines(logging.Handler):
    """Keeps each instance's latest output lines, numbered in arrival order."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self._numbers = itertools.count(1)
        self.latest = 0
        self._lines: dict[str, deque[tuple[int, str]]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 2:
            return
        instance, line = str(args[0]), str(args[1])
        self.latest = next(self._numbers)
        kept = self._lines.setdefault(instance, deque(maxlen=_KEPT_LINES))
        kept.append((self.latest, line))

    def since(self, instance: str, mark: int) -> list[str]:
        return [line for number, line in self._lines.get(instance, ()) if number > mark]

    def forget(self, instance: str) -> None:
        self._lines.pop(instance, None)


_installed: InstanceLines | None = None


def instance_lines() -> InstanceLines:
    """The one handler on `faasgi.local.instance` (installed on first use)."""
    global _installed
    if _installed is None:
        _installed = InstanceLines()
        # `faasgi serve` logs faasgi.local at INFO (serve._logging), so the lines arrive.
        logging.getLogger("faasgi.local.instance").addHandler(_installed)
    return _installed


async def drained() -> None:
    """Let the instance's output copier read what the instance printed before answering
    (it writes unbuffered before it sends the answer, so the lines are in the pipe)."""
    for _ in range(5):
        await asyncio.sleep(0)


def log_result(lines: list[str], request_id: str, duration_ms: float, memory: int = 128) -> str:
    """`X-Amz-Log-Result`: START, the lines, END and REPORT, last 4 KB, base64."""
    billed = max(1, int(-(-duration_ms // 1)))
    text = "".join(
        [
            f"START RequestId: {request_id} Version: $LATEST\n",
            *(line + "\n" for line in lines),
            f"END RequestId: {request_id}\n",
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {billed} ms\tMemory Size: {memory} MB\n",
        ]
    )
    data = text.encode("utf-8")[-TAIL_BYTES:]
    return base64.b64encode(data).decode("ascii")


__all__ = ["TAIL_BYTES", "InstanceLines", "drained", "instance_lines", "log_result"]
