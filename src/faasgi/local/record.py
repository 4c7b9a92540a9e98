"""`faasgi serve --record DIR`: every event a function gets and the answer it gives, one
JSON file per invocation, numbered in arrival order (an async event once, when it has
finished: its last attempt's answer, with what became of it under "async"), with secrets
taken out: the values
of `Authorization`, `Cookie`, `Set-Cookie` and `X-Api-Key` headers (and an HTTP API
event's `cookies`) become "<redacted>". `faasgi replay` (replay.py) plays them back.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

from faasgi.local.gateway import Invoker
from faasgi.local.pool import Outcome

REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-api-key"})


def redact(value: Any) -> Any:
    """An event or answer with its secret headers and cookies replaced, at any depth."""
    if isinstance(value, list):
        return [redact(item) for item in value]
    if not isinstance(value, dict):
        return value
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        if key.lower() in SECRET_HEADERS or key == "cookies":
            if isinstance(item, list):
                cleaned[key] = [REDACTED for _ in item]
            elif item is not None:
                cleaned[key] = REDACTED
            else:
                cleaned[key] = None
        else:
            cleaned[key] = redact(item)
    return cleaned


class Recorder:
    """Writes the invocations of every function of one run into `directory`."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        existing = [p for p in self.directory.glob("*.json") if p.name[:6].isdigit()]
        self._numbers = itertools.count(len(existing) + 1)

    def write(
        self, function: str, handler: str, source: str, event: bytes, outcome: Outcome
    ) -> None:
        self._write(function, handler, source, event, outcome.payload, outcome.failure)

    def write_async(self, function: str, handler: str, source: str, event: Any) -> None:
        """One finished async event (asyncinvoke.AsyncEvent): its payload, the answer of
        its last attempt and what became of it, under "async" (origin, condition,
        attempts, request id, scheduled time). An event that expired before it ran has
        failure "expired" and no answer."""
        last = event.attempts[-1] if event.attempts else None
        failure = "expired" if last is None else (None if last.result == "success" else last.result)
        summary = event.summary()
        details = {
            "requestId": event.request_id,
            "origin": event.origin,
            "condition": event.condition,
            "attempts": len(event.attempts),
            "scheduledTime": summary["scheduledTime"],
            "deliveredTo": list(event.delivered),
        }
        self._write(function, handler, source, event.payload, event.answer, failure, details)

    def _write(
        self,
        function: str,
        handler: str,
        source: str,
        event: bytes,
        payload: bytes,
        failure: str | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        number = next(self._numbers)
        try:
            decoded_event: Any = json.loads(event)
        except ValueError:
            decoded_event = event.decode("utf-8", "replace")
        answer: Any = None
        if failure in (None, "error"):
            try:
                answer = json.loads(payload)
            except ValueError:
                answer = payload.decode("utf-8", "replace")
        record: dict[str, Any] = {
            "function": function,
            "handler": handler,
            "source": source,
            "event": redact(decoded_event),
            "answer": redact(answer),
            "failure": failure,
        }
        if details is not None:
            record["async"] = details
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in function)
        path = self.directory / f"{number:06d}-{safe}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", "utf-8")
        os.replace(temporary, path)


class RecordingInvoker:
    """An invoker (a pool) whose every invocation is also written down."""

    def __init__(
        self, invoker: Invoker, recorder: Recorder, function: str, handler: str, source: str
    ) -> None:
        self.invoker = invoker
        self.recorder = recorder
        self.function = function
        self.handler = handler
        self.source = source

    async def invoke(self, request_id: str, event: bytes) -> Outcome:
        outcome = await self.invoker.invoke(request_id, event)
        self.recorder.write(self.function, self.handler, self.source, event, outcome)
        return outcome


__all__ = ["REDACTED", "SECRET_HEADERS", "Recorder", "RecordingInvoker", "redact"]
