"""faasgi: run an existing WSGI or ASGI app as a stateless function on AWS Lambda and
Alibaba Cloud Function Compute, with one decorator.

    from faasgi import serverless

    @serverless
    def handler():
        return create_app()      # Flask, FastAPI, Starlette, Django, any WSGI/ASGI app

Importing faasgi imports neither asyncio (until an ASGI app is wrapped) nor boto3.
"""

from faasgi.errors import (
    AppNotReady,
    FaasgiError,
    MalformedEvent,
    OutsideInvocation,
    UnsupportedEvent,
)
from faasgi.function import Handler, serverless
from faasgi.lifecycle import (
    Invocation,
    after_response,
    current_invocation,
    on_init,
    on_shutdown,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from faasgi.triggers import Record

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # Record lives with the non-HTTP event code, loaded only by functions that use it.
    if name == "Record":
        from faasgi.triggers import Record

        return Record
    raise AttributeError(f"module 'faasgi' has no attribute {name!r}")


__all__ = [
    "AppNotReady",
    "FaasgiError",
    "Handler",
    "Invocation",
    "MalformedEvent",
    "OutsideInvocation",
    "Record",
    "UnsupportedEvent",
    "__version__",
    "after_response",
    "current_invocation",
    "on_init",
    "on_shutdown",
    "serverless",
]
