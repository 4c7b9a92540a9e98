"""faasgi's loggers, and the warnings it gives once per process instead of once per request."""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger("faasgi")

_warned: set[str] = set()
_warned_lock = threading.Lock()


def warn_once(key: str, message: str, *args: object) -> None:
    """Log a platform limitation the first time it bites, not on every invocation."""
    if key in _warned:
        return
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    logger.warning(message, *args)
