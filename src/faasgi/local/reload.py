"""`faasgi serve --reload`: notice when a `.py` file of the project changes, by polling
modification times (no file-watching dependency; a project's sources are few).

Only finds changes; the pool decides what a change means (new instances, new cold starts).
Never descends into virtual environments, caches or hidden directories.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

#: Directory names never searched for sources.
SKIPPED = frozenset({"__pycache__", "node_modules", "site-packages", "build", "dist"})


class SourceWatcher:
    """`changed()` lists the `.py` files added, removed or modified since the last call."""

    def __init__(self, roots: Iterable[str]) -> None:
        self.roots = [os.path.abspath(root) for root in roots]
        self._seen = self.snapshot()

    def snapshot(self) -> dict[str, int]:
        """Path -> modification time (ns) of every source file under the roots."""
        found: dict[str, int] = {}
        for root in self.roots:
            self._scan(root, found)
        return found

    def _scan(self, directory: str, found: dict[str, int]) -> None:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return  # removed while we looked, or unreadable: nothing to watch there
        if any(entry.name == "pyvenv.cfg" for entry in entries):
            return  # a virtual environment inside the project
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith(".") and entry.name not in SKIPPED:
                        self._scan(entry.path, found)
                elif entry.name.endswith(".py"):
                    found[entry.path] = entry.stat().st_mtime_ns
            except OSError:
                continue

    def changed(self) -> list[str]:
        current = self.snapshot()
        previous, self._seen = self._seen, current
        paths = {p for p, mtime in current.items() if previous.get(p) != mtime}
        paths.update(p for p in previous if p not in current)
        return sorted(paths)


__all__ = ["SKIPPED", "SourceWatcher"]
