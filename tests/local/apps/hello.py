"""Hello world: the smallest function, for cold/warm and speed."""

from faasgi import serverless


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


handler = serverless(app)


def create_app():
    """An app factory, given to `faasgi serve` by mistake in a test."""
    return app
