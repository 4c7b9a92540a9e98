"""The start scripts of faasgi's own Lambda runtime (`faasgi.runtime.scripts`) as package
entries: executable, same bytes on every build. AWS packages only; a file of the same name
in the project wins, so a project can bring its own `bootstrap`."""

from __future__ import annotations

from collections.abc import Iterable

from faasgi.packaging.contents import Entry
from faasgi.runtime.scripts import SCRIPTS


def runtime_script_entries(platform: str, project: Iterable[Entry]) -> list[Entry]:
    if platform != "aws":
        return []
    taken = {entry.path for entry in project}
    return [
        Entry(path, None, text.encode("ascii"), True, None)
        for path, text in sorted(SCRIPTS.items())
        if path not in taken
    ]
