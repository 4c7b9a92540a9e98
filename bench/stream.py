"""A stream as a faasgi function, for bench_streaming.py: `?chunks=N&seconds=S` yields N
small chunks spread evenly over S seconds (the first at once). Streams when
$FAASGI_INVOKE_MODE is RESPONSE_STREAM, answers whole otherwise."""

import time
from urllib.parse import parse_qs

from faasgi import serverless


def app(environ, start_response):  # type: ignore[no-untyped-def]
    query = parse_qs(environ["QUERY_STRING"])
    chunks = int(query.get("chunks", ["100"])[0])
    seconds = float(query.get("seconds", ["2"])[0])
    start_response("200 OK", [("Content-Type", "text/event-stream")])
    return _chunks(chunks, seconds / max(chunks - 1, 1))


def _chunks(count, gap):  # type: ignore[no-untyped-def]
    for n in range(count):
        if n:
            time.sleep(gap)
        yield f"data: {n}\n\n".encode()


handler = serverless(app)
