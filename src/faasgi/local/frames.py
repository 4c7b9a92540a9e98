"""The wire between the emulator and its instance processes: length-prefixed frames on a
Unix socket pair. Imported by the instance process at every cold start, so it must stay
standard-library only and import nothing else from faasgi.

A frame is a fixed header `(kind, call id, meta length, body length)` followed by `meta`
(a short ASCII field: the request id of an invocation, the duration of its answer) and
`body` (JSON bytes: the event as the platform delivers it, the function's answer; raw
bytes for a streamed chunk). JSON rather than pickle because that is what the platforms
carry: an answer the platform could not serialise fails here too.

One invocation, instance -> emulator: either a whole answer (RESULT or ERROR), or a
streamed one (START, CHUNK..., then END, or BROKEN when the app fails after the first
byte); then, once the work after the response has run, DONE. The answer reaches the
client as soon as it arrives; the instance is busy until DONE, as a Lambda instance is
until its runtime asks for the next event.
"""

from __future__ import annotations

import struct

#: kind (1 byte), call id (4), meta length (2), body length (4); network byte order.
HEADER = struct.Struct("!BIHI")

#: emulator -> instance: meta = request id, body = the event (JSON).
INVOKE = 1
#: instance -> emulator, once after import and init: body = {"init_ms", "pid", "tables"}.
READY = 2
#: instance -> emulator, instead of READY: body = {"errorType", "errorMessage", "trace"}.
INIT_FAILED = 3
#: instance -> emulator: meta = duration in ms, body = what the handler returned (JSON).
RESULT = 4
#: instance -> emulator: meta = duration in ms, body = Lambda's error shape (JSON).
ERROR = 5
#: instance -> emulator, a streamed answer begins: body = its head (JSON): `statusCode`,
#: `headers`, and `cookies` (Function URL) or `multiValueHeaders` (REST), Lambda's
#: streaming prelude; or `statusCode` and `headerList` ([name, value] pairs, FC).
START = 6
#: instance -> emulator: body = one chunk of a streamed answer, as the app produced it.
CHUNK = 7
#: instance -> emulator: the streamed answer is complete; meta = its duration in ms.
END = 8
#: instance -> emulator: the app failed after the first byte; meta = duration in ms,
#: body = Lambda's error shape (JSON), what Lambda's error trailers carry.
BROKEN = 9
#: instance -> emulator: the invocation is over, work after the response included; meta =
#: its duration in ms.
DONE = 10

#: The kinds that belong to an invocation in flight.
ANSWER_KINDS = frozenset({RESULT, ERROR, START, CHUNK, END, BROKEN, DONE})


def pack(kind: int, call_id: int, meta: bytes, body: bytes) -> bytes:
    """One frame, ready to write."""
    return HEADER.pack(kind, call_id, len(meta), len(body)) + meta + body


__all__ = [
    "ANSWER_KINDS",
    "BROKEN",
    "CHUNK",
    "DONE",
    "END",
    "ERROR",
    "HEADER",
    "INIT_FAILED",
    "INVOKE",
    "READY",
    "RESULT",
    "START",
    "pack",
]
