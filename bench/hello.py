"""Hello world as a faasgi function: what bench_emulator.py serves through `faasgi serve`."""

from faasgi import serverless


def app(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


handler = serverless(app)
