"""The runtime client's process of an emulator instance run with `--runtime-client`: import
the handler's module, hand its `faasgi_tables()` to the instance over a pipe (the emulator
creates those DynamoDB tables before the first invocation, as with faasgi's own worker),
then run the runtime client in this same process, which finds the module already imported.

So the app is imported once, in the runtime's process only — never in the emulator's or
the instance's. A module that fails to import is left to the runtime client, which imports
it again and reports the failure on `/init/error` as it does on Lambda (the module's code
up to the failure then runs twice).

Run as `python -m faasgi.local.runtime_preload --tables-fd N --client C --handler M:H`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import runpy
import sys
from typing import Any


def client_arguments(client: str, handler: str) -> tuple[str, list[str]]:
    """The client's module and `sys.argv`: awslambdaric wants Lambda's `module.attr`."""
    module, _, attribute = handler.partition(":")
    if client == "awslambdaric":
        return "awslambdaric", ["awslambdaric", f"{module}.{attribute}"]
    return "faasgi.runtime", ["faasgi.runtime", handler]


def read_tables(module_name: str) -> dict[str, Any]:
    """{"tables": [...]} or, for a malformed `faasgi_tables`, {"error": "..."}; nothing
    when the module does not import (the client reports that)."""
    from faasgi.local.worker import declared_tables

    try:
        module = importlib.import_module(module_name)
    except BaseException:  # SystemExit at import too: the client reports it
        return {"tables": []}
    try:
        return {"tables": declared_tables(module)}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faasgi.local.runtime_preload")
    parser.add_argument("--tables-fd", type=int, required=True)
    parser.add_argument("--client", choices=("awslambdaric", "faasgi"), required=True)
    parser.add_argument("--handler", required=True, help="MODULE:HANDLER")
    args = parser.parse_args(argv)
    report = read_tables(args.handler.partition(":")[0])
    with os.fdopen(args.tables_fd, "wb") as pipe:
        pipe.write(json.dumps(report).encode("utf-8"))
    module, sys.argv = client_arguments(args.client, args.handler)
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
