"""The smoke test's environment from the command line: `-e NAME=VALUE` (repeatable) and
`--env-file FILE` (dotenv-style lines). Only these reach the smoke test: it sees no variable
of the machine that builds the package, as the function sees none of it in the cloud.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from faasgi.cli import UsageError, read_text

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def smoke_environment(files: Sequence[str], pairs: Sequence[str]) -> dict[str, str]:
    """The variables -e and --env-file give the smoke test: files in order, then -e."""
    environment: dict[str, str] = {}
    for file in files:
        for number, line in enumerate(read_text(file).splitlines(), start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            name, value = _pair(text.removeprefix("export ").lstrip(), f"{file}:{number}")
            environment[name] = value
    for pair in pairs:
        name, value = _pair(pair, "-e")
        environment[name] = value
    return environment


def _pair(text: str, where: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not _NAME.fullmatch(name):
        raise UsageError(f"{where}: an environment variable is NAME=VALUE, got {text!r}")
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]  # dotenv's quoting: NAME="a value"
    return name, value


__all__ = ["smoke_environment"]
