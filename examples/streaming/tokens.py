"""A stand-in for a language model: a deterministic feed of tokens with a small delay
between them, as server-sent events. No model, no network: the same prompt always gives
the same tokens, so a test can check what the page shows.

Both apps (fastapi_app.py, flask_app.py) stream this feed unchanged; what they do after
the response (a line in the file named by $STREAMING_AFTER_LOG) shows that faasgi runs
that work once the client has its answer.
"""

from __future__ import annotations

import os
import time

WORDS = (
    *("Serverless", "functions", "can", "stream", "their", "answers", "token", "by"),
    *("token,", "so", "the", "reader", "sees", "the", "first", "words", "while", "the"),
    *("model", "is", "still", "writing", "the", "rest", "of", "the", "reply."),
)

#: Tokens per answer, and seconds between two tokens, unless the query says otherwise.
DEFAULT_COUNT = 24
DEFAULT_DELAY = 0.05
#: Bounds on what a query may ask for: a public endpoint must not be told to run for ever.
MAX_COUNT = 500
MAX_DELAY = 1.0

#: Headers for an event stream: no caching, and no buffering in a proxy on the way.
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def bounded(count: str | None, delay: str | None) -> tuple[int, float]:
    """`?count=` and `?delay=` as numbers within bounds; ValueError for anything else."""
    number = DEFAULT_COUNT if count is None else int(count)
    seconds = DEFAULT_DELAY if delay is None else float(delay)
    if not 1 <= number <= MAX_COUNT or not 0 <= seconds <= MAX_DELAY:
        raise ValueError(f"count must be 1..{MAX_COUNT} and delay 0..{MAX_DELAY} s")
    return number, seconds


def token(prompt: str, position: int) -> str:
    """The token at `position` of the answer to `prompt`: always the same one."""
    offset = sum(prompt.encode("utf-8")) % len(WORDS)
    return WORDS[(offset + position) % len(WORDS)]


def event(data: str, name: str | None = None) -> str:
    """One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html)."""
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {data}\n\n"


def pause(seconds: float) -> None:
    time.sleep(seconds)


def record_after_response(prompt: str, count: int) -> None:
    """The work after the response: here, a line in $STREAMING_AFTER_LOG (if set), written
    a moment later so that a test can tell it came after the answer."""
    path = os.environ.get("STREAMING_AFTER_LOG")
    if not path:
        return
    time.sleep(0.2)
    with open(path, "a", encoding="utf-8") as log:
        log.write(f"{time.time():.6f} answered {count} tokens for {prompt!r}\n")
