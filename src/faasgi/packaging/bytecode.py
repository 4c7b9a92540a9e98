"""Precompiled bytecode for the package's modules (`faasgi package --compile`).

Lambda's /var/task and FC's /code are read-only, so without .pyc files every cold start
compiles every module it imports (a Flask app: ~0.4 s). The .pyc files are written in
unchecked-hash mode (PEP 552): no source mtime inside, never revalidated, so the same
sources give the same bytes. They only work for this interpreter's version, which must
therefore be the target's. Never decides which sources go in.
"""

from __future__ import annotations

import py_compile
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from faasgi.packaging.contents import Entry


@dataclass(slots=True)
class Compiled:
    """The .pyc entries made, and the sources that would not compile (left as source)."""

    entries: list[Entry] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def cache_path(source: str) -> str:
    """`pkg/mod.py` -> `pkg/__pycache__/mod.cpython-312.pyc` for this interpreter."""
    path = PurePosixPath(source)
    tag = sys.implementation.cache_tag
    return str(path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc").removeprefix("./")


def compile_entries(entries: list[Entry]) -> Compiled:
    """A .pyc entry for every `.py` entry that compiles."""
    compiled = Compiled()
    with tempfile.TemporaryDirectory(prefix="faasgi-pyc-") as scratch:
        for index, entry in enumerate(entries):
            if not entry.path.endswith(".py"):
                continue
            source = entry.source
            if source is None:
                source = Path(scratch, f"{index}.py")
                source.write_bytes(entry.read())
            target = Path(scratch, f"{index}.pyc")
            try:
                py_compile.compile(
                    str(source),
                    cfile=str(target),
                    # The path inside the package, not this machine's; the import system
                    # swaps in the real location when it loads the module.
                    dfile=entry.path,
                    doraise=True,
                    optimize=0,  # not whatever -O this interpreter runs with
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                )
            except py_compile.PyCompileError:
                compiled.failed.append(entry.path)
                continue
            compiled.entries.append(
                Entry(cache_path(entry.path), None, target.read_bytes(), False, entry.distribution)
            )
    return compiled


__all__ = ["Compiled", "cache_path", "compile_entries"]
