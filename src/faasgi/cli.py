"""The `faasgi` command: `invoke` one event here; `serve`, `check` and `package` are
registered by the modules that implement them and imported only when used.
"""

from __future__ import annotations

import argparse
import importlib
import json
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
    "event": ("faasgi.sample_events", "print a sample event of any source, to edit or invoke"),
}


#: Under every subcommand's --help.
PLATFORM_NOTE = (
    'Options apply to AWS Lambda and Alibaba FC alike unless their help says "Lambda:" or "FC:".'
)


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
    """Import `module:attribute` (the current directory first on sys.path) and return it;
    UsageError (a `faasgi.loader.LoadError`) for a mistake, with the user's own frames when
    their module raised."""
    from faasgi.loader import import_target

    target = import_target(spec)
    if not callable(target):
        raise UsageError(f"{spec!r} is not callable")
    return target


def read_env_file(path: str) -> dict[str, str]:
    """`NAME=VALUE` lines of a .env file: `#` comments, blank lines, an optional `export `
    and quotes around the value are allowed; anything else is a UsageError naming the line.
    (A subset of what python-dotenv reads, written here because the CLI is in the core.)"""
    environment: dict[str, str] = {}
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name.replace("_", "a").isalnum() or name[0].isdigit():
            raise UsageError(f"{path}, line {number}: expected NAME=VALUE, got {raw.strip()!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        environment[name] = value
    return environment


def environment_options(parser: argparse.ArgumentParser, who: str) -> None:
    """`-e NAME=VALUE` and `--env-file FILE`, as `serve`, `check` and `invoke` take them."""
    parser.add_argument(
        "-e",
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"an environment variable for {who} (repeatable; overrides --env-file)",
    )
    parser.add_argument(
        "--env-file",
        action="append",
        default=[],
        metavar="FILE",
        help=f"environment variables for {who}, one NAME=VALUE a line (a .env file; "
        "repeatable, later files win)",
    )


def environment_from(args: argparse.Namespace) -> dict[str, str]:
    """The variables `--env-file` and `-e` name (`-e` wins); UsageError for a mistake."""
    environment: dict[str, str] = {}
    for path in args.env_file:
        environment.update(read_env_file(path))
    for pair in args.env:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"an environment variable is NAME=VALUE, got {pair!r}")
        environment[name] = value
    return environment


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help says its default (unless it has none, or says so itself)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and default not in (None, False, [], argparse.SUPPRESS)
            and "default" not in text
        ):
            text += " (default: %(default)s)"
        return text


def version() -> str:
    from faasgi import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run `faasgi ARGS`; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="faasgi",
        description="Run WSGI/ASGI apps as FaaS functions: invoke, serve, check, package, event.",
    )
    parser.add_argument("--version", action="version", version=f"faasgi {version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # Only the chosen subcommand's module is imported (serve pulls in uvicorn and moto).
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, (module_name, summary) in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=PLATFORM_NOTE,
            formatter_class=HelpFormatter,
        )
        if name == chosen:
            importlib.import_module(module_name).configure(sub)
    args = parser.parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.main(args))
    except UsageError as error:
        trace = getattr(error, "trace", "")
        if trace:  # the user's module raised: their frames, then the one line
            sys.stderr.write(trace)
        print(f"faasgi {args.command}: {error}", file=sys.stderr)
        return 1 if trace else 2
    except KeyboardInterrupt:
        return 130


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


__all__ = [
    "COMMANDS",
    "HelpFormatter",
    "UsageError",
    "environment_from",
    "environment_options",
    "load_handler",
    "main",
    "read_env_file",
    "run",
]

if __name__ == "__main__":
    # `python -m faasgi.cli`: run the imported module, so its UsageError is the one the
    # subcommands raise.
    from faasgi.cli import run as run_cli

    run_cli()
