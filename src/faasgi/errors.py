"""The exceptions faasgi raises, each with a message a user can act on."""

from __future__ import annotations


class FaasgiError(Exception):
    """Base class of every error faasgi raises on purpose."""


class UnsupportedEvent(FaasgiError):
    """The event matches no HTTP source and no function registered with `handler.on(...)`."""


class MalformedEvent(FaasgiError):
    """An HTTP event of a known source that cannot be turned into a request (answered with 400)."""


class AppNotReady(FaasgiError):
    """The app factory, an init hook or the ASGI lifespan startup failed: the instance is
    unusable, and the platform should start a fresh one."""


class OutsideInvocation(FaasgiError, LookupError):
    """`current_invocation()` was called while no invocation is running (at import time, say)."""
