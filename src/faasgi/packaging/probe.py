"""The smoke test's child: run as
`python -I -S probe.py PACKAGE SPEC SOURCE PATH RESULT FOREIGN`, it imports the handler
from the unpacked package and sends it one synthetic event.

It must import nothing outside the standard library before PACKAGE is on sys.path: with
`-I -S` the interpreter sees only the standard library, so anything else the handler needs
has to come from the package, as in the cloud. The outcome goes to RESULT as JSON.

FOREIGN is a JSON list of the package's compiled modules this interpreter cannot load
(built for the target's Python or CPU). A failure is blamed on one of them only when an
ImportError naming it is part of what failed: the exception raised, its causes, or an
exception logged while the app answered 5xx. Anything else is the user's code failing.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import time
import traceback
from typing import Any

_BODY_SHOWN = 500


class _ErrorLog(logging.StreamHandler):  # type: ignore[type-arg]
    """Prints log records to stderr, as Python does when nothing is configured, and keeps
    the exceptions logged with them (how an app's 500 says what went wrong)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.exceptions: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.exceptions.append(record.exc_info[1])
        super().emit(record)


def foreign_cause(errors: list[BaseException], foreign: set[str]) -> str | None:
    """The foreign compiled module an ImportError among `errors` (or their causes) names."""
    for error in errors:
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            if isinstance(current, ImportError):
                name = current.name or ""
                if name in foreign:  # No module named 'markupsafe._speedups'
                    return name
                inside = sorted(module for module in foreign if module.startswith(name + "."))
                if name and inside and not isinstance(current, ModuleNotFoundError):
                    return inside[0]  # cannot import name '_speedups' from 'markupsafe'
                if foreign and current.path and current.path.endswith((".so", ".pyd")):
                    return name or current.path  # the loader refused the file (wrong CPU)
            current = current.__cause__ or current.__context__
    return None


def _failure(stage: str, error: BaseException, foreign: set[str]) -> dict[str, Any]:
    return {
        "stage": stage,
        "error": f"{type(error).__name__}: {error}",
        "kind": type(error).__name__,
        "missing": error.name if isinstance(error, ModuleNotFoundError) else None,
        "foreign": foreign_cause([error], foreign),
        "traceback": traceback.format_exc(),
    }


def probe(
    package: str, spec: str, source: str, path: str, foreign: set[str] | None = None
) -> dict[str, Any]:
    foreign = foreign or set()
    log = _ErrorLog()
    logging.getLogger().addHandler(log)
    sys.path.insert(0, package)
    started = time.perf_counter()
    module_name, _, attribute = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except BaseException as error:
        return _failure("import", error, foreign)
    imported = time.perf_counter()
    try:
        from faasgi.contexts import context_for
        from faasgi.events import Stamp, builder
        from faasgi.testing import FaasClient

        request = FaasClient(None, source=source).build_request("GET", path)
        _, build = builder(source)
        event = build(request, Stamp())
        context = context_for(source)
        if source.startswith("fc") and callable(getattr(target, "initializer", None)):
            target.initializer(context)  # FC runs the initializer hook before the first call
        # FC 3.0 hands a Python handler the event as bytes of JSON.
        payload: Any = json.dumps(event).encode() if source == "fc-http" else event
        answer = target(payload, context)
    except BaseException as error:
        return _failure("invoke", error, foreign)
    finished = time.perf_counter()
    result: dict[str, Any] = {
        "stage": "done",
        "answer_type": type(answer).__name__,
        "status": answer.get("statusCode") if isinstance(answer, dict) else None,
        "import_ms": round((imported - started) * 1000, 1),
        "invoke_ms": round((finished - imported) * 1000, 1),
        "python": ".".join(str(part) for part in sys.version_info[:3]),
    }
    if isinstance(answer, dict):
        body = answer.get("body")
        result["body"] = body[:_BODY_SHOWN] if isinstance(body, str) else None
    result["foreign"] = foreign_cause(log.exceptions, foreign)
    return result


def main(argv: list[str]) -> int:
    package, spec, source, path, result_file = argv[1:6]
    foreign = set(json.loads(argv[6])) if len(argv) > 6 else set()
    result = probe(package, spec, source, path, foreign)
    with open(result_file, "w", encoding="utf-8") as file:
        json.dump(result, file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
