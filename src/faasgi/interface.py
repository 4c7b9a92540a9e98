"""Tell a WSGI app from an ASGI app, and an app from a factory that builds one, by the
shape of the callable alone (its code object): nothing is called, nothing imported.
"""

from __future__ import annotations

from collections.abc import Callable
from types import CodeType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only
    from typing import Literal

    Interface = Literal["wsgi", "asgi"]

_CO_COROUTINE = 0x0080


def _code(target: Any) -> tuple[CodeType, int, Any] | None:
    """(code object, parameters already bound, the function) for a callable, if it has one."""
    function = getattr(target, "__func__", None)  # bound method
    if function is not None and hasattr(function, "__code__"):
        return function.__code__, 1, function
    code = getattr(target, "__code__", None)
    if isinstance(code, CodeType):
        return code, 0, target
    if isinstance(target, type):
        return None
    call = getattr(type(target), "__call__", None)  # noqa: B004 - instances with __call__
    code = getattr(call, "__code__", None)
    if isinstance(code, CodeType):
        return code, 1, call
    return None


def _required_positional(target: Any) -> int | None:
    found = _code(target)
    if found is None:
        return None
    code, bound, function = found
    defaults = getattr(function, "__defaults__", None) or ()
    return code.co_argcount - bound - len(defaults)


def is_factory(target: Callable[..., Any]) -> bool:
    """A factory takes no arguments and returns the app (`@serverless def handler(): ...`)."""
    return _required_positional(target) == 0 and not _is_coroutine(target)


def _is_coroutine(target: Any) -> bool:
    found = _code(target)
    if found is None:
        return False
    code, _, function = found
    if code.co_flags & _CO_COROUTINE:
        return True
    # inspect.markcoroutinefunction (3.12+) and asyncio's older marker
    return (
        getattr(function, "_is_coroutine_marker", None) is not None
        or getattr(target, "_is_coroutine_marker", None) is not None
        or getattr(function, "_is_coroutine", None) is not None
    )


def interface_of(app: Callable[..., Any]) -> Interface:
    """'asgi' or 'wsgi' by the rule in this module's docstring; ValueError when unsure."""
    if _is_coroutine(app):
        return "asgi"
    count = _required_positional(app)
    if count == 3:
        return "asgi"
    if count == 2:
        return "wsgi"
    raise ValueError(
        f"cannot tell whether {app!r} is a WSGI or an ASGI app "
        f"({'unknown' if count is None else count} required positional parameters); "
        "pass interface='wsgi' or interface='asgi'"
    )
