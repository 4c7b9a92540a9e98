"""Import the function a user names on the command line (`MODULE:ATTRIBUTE`), the way
`faasgi invoke`, `faasgi serve` and the custom runtime need it: a faasgi handler as it is, a
plain WSGI/ASGI app wrapped in `serverless()` (what a uvicorn user types: `app:app`), and a
mistake (an app factory, a missing attribute, a module that raises) as one clear line.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import sysconfig
import traceback
from typing import Any

import faasgi
from faasgi.cli import UsageError


class LoadError(UsageError):
    """The handler could not be loaded: `str()` is the one line to print; `trace` holds the
    user's own frames when the module raised at import."""

    def __init__(self, message: str, trace: str = "") -> None:
        super().__init__(message)
        self.trace = trace


def import_target(spec: str) -> Any:
    """Import `module:attribute` (the current directory first on sys.path) and return it."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise LoadError(f"expected MODULE:HANDLER such as app:handler, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise LoadError(f"no module named {module_name!r} (from {spec!r})") from None
        raise LoadError(_failed_import(module_name, error), user_frames(error)) from None
    except Exception as error:  # the user's module raised: their frames, not importlib's
        raise LoadError(_failed_import(module_name, error), user_frames(error)) from None
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise LoadError(f"module {module_name!r} has no attribute {attribute!r}") from None
    return target


def _failed_import(module_name: str, error: BaseException) -> str:
    line = traceback.format_exception_only(type(error), error)[-1].strip()
    return f"importing {module_name!r} failed: {line}"


def user_frames(error: BaseException) -> str:
    """The traceback without the standard library's frames (importlib's) and faasgi's own:
    what the user wrote, and the libraries they call."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not _not_theirs(frame.filename)
    ]
    if not frames:
        return ""
    return "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))


#: Where faasgi and the standard library live (frozen modules are the standard library's).
_FAASGI = os.path.dirname(faasgi.__file__) + os.sep
_STDLIB = sysconfig.get_paths()["stdlib"] + os.sep


def _not_theirs(filename: str) -> bool:
    if filename.startswith(("<frozen ", _FAASGI)):
        return True
    return filename.startswith(_STDLIB) and not any(
        packages in filename for packages in ("site-packages", "dist-packages")
    )


def load_function(spec: str) -> tuple[Any, str | None]:
    """(the callable the platform would call, a note when faasgi wrapped a plain app).

    A faasgi handler, or a function written as `handler(event, context)`, is used as it is.
    A WSGI or ASGI app is wrapped in `serverless()`, with a note saying so. A zero-argument
    callable is an app factory given by mistake: LoadError naming the fix.
    """
    target = import_target(spec)
    if not callable(target):
        raise LoadError(f"{spec!r} is not callable")
    from faasgi.function import Handler, interface_of, is_factory

    if isinstance(target, Handler):
        return target, None
    module_name, _, attribute = spec.partition(":")
    if is_factory(target):
        raise LoadError(
            f"{spec} takes no arguments: it looks like an app factory. Add "
            f"`handler = serverless({attribute})` to {module_name} (faasgi calls the factory "
            f"once per instance) and give {module_name}:handler"
        )
    kind = _plain_app(target)
    if kind is None:
        return target, None
    from faasgi.function import serverless

    handler = serverless(target, interface=interface_of(target))
    note = (
        f"{spec} is a plain {kind.upper()} app, not a handler: faasgi wraps it in "
        f"serverless({attribute}) (add `handler = serverless({attribute})` to deploy it)"
    )
    return handler, note


def _plain_app(target: Any) -> str | None:
    """'asgi' or 'wsgi' for an app rather than a `handler(event, context)` function."""
    from faasgi.function import interface_of

    try:
        kind = interface_of(target)
    except ValueError:
        return None
    if kind == "asgi":
        return kind
    # Two positional parameters: WSGI's (environ, start_response) or a Lambda-style
    # (event, context) handler; the names (or Flask's and Django's wsgi_app) tell them apart.
    if hasattr(target, "wsgi_app"):
        return kind
    call = target if inspect.isfunction(target) or inspect.ismethod(target) else target.__call__
    try:
        names = list(inspect.signature(call).parameters)
    except (TypeError, ValueError):
        return None
    return kind if len(names) >= 2 and "start" in names[1] else None


__all__ = ["LoadError", "import_target", "load_function", "user_frames"]
