"""`faasgi_tables` that is not a function: an init failure with one clear line."""

from faasgi import serverless

faasgi_tables = ["not", "a", "function"]


def app(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"never reached"]


handler = serverless(app)
