"""The smoke test's child: run as `python -I -S probe.py PACKAGE SPEC SOURCE PATH RESULT`,
it imports the handler from the unpacked package and sends it one synthetic event.

It must import nothing outside the standard library before PACKAGE is on sys.path: with
`-I -S` the interpreter sees only the standard library, so anything else the handler needs
has to come from the package, as in the cloud. The outcome goes to RESULT as JSON.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from typing import Any

_BODY_SHOWN = 500


def probe(package: str, spec: str, source: str, path: str) -> dict[str, Any]:
    sys.path.insert(0, package)
    started = time.perf_counter()
    module_name, _, attribute = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except BaseException as error:
        return {
            "stage": "import",
            "error": f"{type(error).__name__}: {error}",
            "missing": error.name if isinstance(error, ModuleNotFoundError) else None,
            "traceback": traceback.format_exc(),
        }
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
        return {
            "stage": "invoke",
            "error": f"{type(error).__name__}: {error}",
            "missing": error.name if isinstance(error, ModuleNotFoundError) else None,
            "traceback": traceback.format_exc(),
        }
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
    return result


def main(argv: list[str]) -> int:
    package, spec, source, path, result_file = argv[1:6]
    result = probe(package, spec, source, path)
    with open(result_file, "w", encoding="utf-8") as file:
        json.dump(result, file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
