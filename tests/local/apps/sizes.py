"""Answers `?bytes=N` bytes of text (for the payload limits), the size of the request body
it got in `x-body-bytes`, and, with `?date=1`, a Date header of its own (as a static file
server such as Werkzeug's `send_file` sets one)."""

from urllib.parse import parse_qs

from faasgi import serverless


def app(environ, start_response):
    query = parse_qs(environ["QUERY_STRING"])
    size = int(query.get("bytes", ["5"])[0])
    received = len(environ["wsgi.input"].read())
    headers = [("Content-Type", "text/plain"), ("x-body-bytes", str(received))]
    if query.get("date"):
        headers.append(("Date", "Mon, 30 Nov 2026 06:00:00 GMT"))
    start_response("200 OK", headers)
    return [b"x" * size]


handler = serverless(app)
