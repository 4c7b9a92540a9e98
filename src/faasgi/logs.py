"""faasgi's loggers, made on first need; the warnings it gives once per process; and what it
tells about each invocation when asked: the opt-in REPORT line (`report=True` or the
`faasgi.report` logger at INFO) and the `Server-Timing` header. Never a log line per
request unless the user turned one on.

`logging` brings `threading`, `traceback`, `string`, `tokenize` and more with it: about half
of what `import faasgi` and wrapping a WSGI app cost where the framework does not import it
already (bench/bench_import.py). So faasgi imports it only when it must tell something. A
message at DEBUG or INFO while `logging` is not even imported could go nowhere (no handler
or level can have been set; the last-resort handler prints WARNING and up), so it is
dropped; WARNING and up, or anything once `logging` is loaded, goes to the real logger,
which from then on is called directly.
"""

from __future__ import annotations

import sys
import time
from _thread import allocate_lock
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

    from faasgi.http import Headers
    from faasgi.lifecycle import Invocation

_WARNING = 30  # logging.WARNING: the root logger's level until someone configures logging
INFO = 20  # logging.INFO, without importing logging for its constants


class LazyLogger:
    """A stand-in for `logging.getLogger(name)` with the methods faasgi uses; the real logger
    replaces them (as instance attributes) once it exists."""

    def __init__(self, name: str) -> None:
        self.name = name

    def real(self) -> logging.Logger:
        """The real logger, made now if need be; its methods are this one's from now on."""
        import logging

        logger = logging.getLogger(self.name)
        for method in ("debug", "info", "warning", "error", "exception", "isEnabledFor"):
            setattr(self, method, getattr(logger, method))
        return logger

    def isEnabledFor(self, level: int) -> bool:
        if "logging" not in sys.modules:
            return level >= _WARNING
        return self.real().isEnabledFor(level)

    def debug(self, message: str, *args: object, **options: Any) -> None:
        if "logging" in sys.modules:
            self.real().debug(message, *args, stacklevel=2, **options)

    def info(self, message: str, *args: object, **options: Any) -> None:
        if "logging" in sys.modules:
            self.real().info(message, *args, stacklevel=2, **options)

    def warning(self, message: str, *args: object, **options: Any) -> None:
        self.real().warning(message, *args, stacklevel=2, **options)

    def error(self, message: str, *args: object, **options: Any) -> None:
        self.real().error(message, *args, stacklevel=2, **options)

    def exception(self, message: str, *args: object, **options: Any) -> None:
        """Call in an `except` block, as `Logger.exception`."""
        self.real().error(message, *args, exc_info=True, stacklevel=2, **options)


def get_logger(name: str) -> LazyLogger:
    """The logger `name`, made once `logging` is needed (see the module's docstring)."""
    found = _LOGGERS.get(name)
    if found is None:
        found = _LOGGERS[name] = LazyLogger(name)
    return found


_LOGGERS: dict[str, LazyLogger] = {}

logger = get_logger("faasgi")
report_logger = get_logger("faasgi.report")


# -- warnings given once ----------------------------------------------------------------------

_warned: set[str] = set()
_warned_lock = allocate_lock()


def warn_once(key: str, message: str, *args: object) -> None:
    """Log a platform limitation the first time it bites, not on every invocation."""
    if key in _warned:
        return
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    logger.warning(message, *args)


# -- what faasgi tells about each invocation ----------------------------------------------------


def enable_report() -> None:
    """Turn the REPORT line on (`serverless(..., report=True)`)."""
    import logging

    real = report_logger.real()
    real.setLevel(logging.INFO)
    if not logging.getLogger().handlers and not real.handlers:
        real.addHandler(logging.StreamHandler())


def reporting() -> bool:
    """Whether the REPORT line is on: the `faasgi.report` logger is enabled for INFO."""
    return report_logger.isEnabledFor(INFO)


def add_server_timing(headers: Headers, invocation: Invocation, init_ms: float | None) -> None:
    app_ms = (time.monotonic() - invocation.started) * 1000
    timing = f"app;dur={app_ms:.2f}"
    if invocation.cold and init_ms is not None:
        timing = f"init;dur={init_ms:.2f}, " + timing
    headers.append(("server-timing", timing))


def report(invocation: Invocation, status: int, init_ms: float | None) -> None:
    """One REPORT line; call only when `reporting()`."""
    duration_ms = (time.monotonic() - invocation.started) * 1000
    line: dict[str, Any] = {
        "type": "faasgi.report",
        "requestId": invocation.request_id,
        "source": invocation.source,
        "cold": invocation.cold,
        "durationMs": round(duration_ms, 3),
        "status": status,
    }
    if invocation.cold and init_ms is not None:
        line["initMs"] = round(init_ms, 3)
    import json  # only once the opt-in REPORT line is on

    report_logger.info("REPORT %s", json.dumps(line), extra={"faasgi": line})
