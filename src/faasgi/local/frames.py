"""The wire between the emulator and its instance processes: length-prefixed frames on a
Unix socket pair. Imported by the instance process at every cold start, so it must stay
standard-library only and import nothing else from faasgi.

A frame is a fixed header `(kind, call id, meta length, body length)` followed by `meta`
(a short ASCII field: the request id of an invocation, the duration of its answer) and
`body` (JSON bytes: the event as the platform delivers it, the function's answer). JSON
rather than pickle because that is what the platforms carry: an answer the platform could
not serialise fails here too.
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


def pack(kind: int, call_id: int, meta: bytes, body: bytes) -> bytes:
    """One frame, ready to write."""
    return HEADER.pack(kind, call_id, len(meta), len(body)) + meta + body


__all__ = ["ERROR", "HEADER", "INIT_FAILED", "INVOKE", "READY", "RESULT", "pack"]
