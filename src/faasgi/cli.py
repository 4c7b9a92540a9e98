"""The `faasgi` command: `invoke` one event here; `serve`, `check` and `package` are
registered by the modules that implement them and imported only when used.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

#: subcommand -> (module providing `configure(parser)` and `main(args) -> int`, summary)
COMMANDS: dict[str, tuple[str, str]] = {
    "invoke": ("faasgi.invoke", "invoke a handler once with one event (a cold start)"),
    "serve": ("faasgi.local.serve", "run the function on localhost the way a FaaS platform does"),
    "check": ("faasgi.local.check", "replay a scenario on warm and fresh instances: find state"),
    "trigger": ("faasgi.local.trigger", "fire a schedule of a running `faasgi serve` now"),
    "replay": (
        "faasgi.local.replay",
        "replay what faasgi serve --record wrote on a handler; show the first differing answer",
    ),
    "package": (
        "faasgi.package",
        "build a reproducible deployment zip for AWS Lambda or Alibaba FC",
    ),
}


class UsageError(Exception):
    """A command-line mistake: printed without a traceback, exit status 2."""


def read_text(path: str) -> str:
    """A file the user named on the command line; UsageError when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None


def read_json(path: str, text: str | None = None) -> Any:
    """A JSON file the user named (or `text` read for it, e.g. from stdin); UsageError when
    it cannot be read or is not JSON."""
    try:
        return json.loads(read_text(path) if text is None else text)
    except ValueError as error:
        raise UsageError(f"{path}: not JSON ({error})") from None


def load_handler(spec: str) -> Any:
    """Import `module:attribute` (the current directory first on sys.path) and return it."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"expected MODULE:HANDLER such as app:handler, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise UsageError(f"no module named {module_name!r} (from {spec!r})") from None
        raise
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise UsageError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not callable(target):
        raise UsageError(f"{spec!r} is not callable")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Run `faasgi ARGS`; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="faasgi",
        description="Run WSGI/ASGI apps as FaaS functions: invoke, serve, check, package.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # Only the chosen subcommand's module is imported (serve pulls in uvicorn and moto).
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, (module_name, summary) in COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        if name == chosen:
            importlib.import_module(module_name).configure(sub)
    args = parser.parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.main(args))
    except UsageError as error:
        print(f"faasgi {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


__all__ = ["COMMANDS", "UsageError", "load_handler", "main", "run"]
if __name__ == "__main__":
    run()
