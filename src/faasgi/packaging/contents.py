"""The list of files a package holds, each with its path in the zip and where it came from:
the project, the vendored faasgi, or one installed distribution.

Installed files are normalised so they carry nothing of the machine that built them:
console scripts (their `#!` line names the builder's Python) and pip's INSTALLER and
direct_url.json go, and each RECORD lists only what is left. Never writes a zip.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import stat
from base64 import urlsafe_b64encode
from collections.abc import Iterable
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path, PurePosixPath

from faasgi.packaging import PackageError

#: Added by pip at install time: who installed it, and from which local path or URL.
_INSTALL_ARTEFACTS = frozenset({"INSTALLER", "direct_url.json"})


@dataclass(slots=True, frozen=True)
class Distribution:
    """An installed distribution, by the name and version of its METADATA."""

    name: str
    version: str
    #: True for faasgi itself, copied from this machine rather than installed by pip.
    vendored: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" + (" (vendored)" if self.vendored else "")


@dataclass(slots=True, frozen=True)
class Entry:
    """One file of the package: its path in the zip and its bytes (on disk or generated)."""

    path: str
    source: Path | None
    data: bytes | None
    executable: bool
    #: None for the project's own files.
    distribution: Distribution | None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.source is not None
        return self.source.read_bytes()


def _executable(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))


def project_entries(files: Iterable[tuple[str, Path]]) -> list[Entry]:
    """Entries for the project's files (`faasgi.packaging.project.scan`)."""
    return [Entry(path, file, None, _executable(file), None) for path, file in files]


def vendored_faasgi() -> list[Entry]:
    """faasgi as imported here (faasgi is not on PyPI), with a dist-info like pip's."""
    import faasgi

    package = Path(faasgi.__file__).resolve().parent
    distribution = Distribution("faasgi", faasgi.__version__, vendored=True)
    entries = []
    for directory, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            file = Path(directory, name)
            path = "faasgi/" + file.relative_to(package).as_posix()
            entries.append(Entry(path, file, None, False, distribution))
    info = f"faasgi-{faasgi.__version__}.dist-info"
    metadata = (
        "Metadata-Version: 2.1\nName: faasgi\nVersion: " + faasgi.__version__ + "\n"
        "Summary: vendored by faasgi package\n"
    ).encode()
    entries.append(Entry(f"{info}/METADATA", None, metadata, False, distribution))
    rows = []
    for entry in entries:
        data = entry.read()
        rows.append((entry.path, _record_hash(data), str(len(data))))
    rows.append((f"{info}/RECORD", "", ""))
    entries.append(Entry(f"{info}/RECORD", None, _csv(rows), False, distribution))
    return entries


def installed_entries(stage: Path) -> list[Entry]:
    """What pip installed into `stage`, each file credited to its distribution by RECORD."""
    owners: dict[str, Distribution] = {}
    records: dict[str, list[list[str]]] = {}
    for info in sorted(stage.glob("*.dist-info")):
        distribution = _read_metadata(info)
        rows = _read_record(info / "RECORD")
        records[info.name] = rows
        for row in rows:
            path = _normalise(row[0])
            if path is not None:
                owners[path] = distribution
        for file in info.iterdir():  # in case RECORD forgot its own dist-info
            owners.setdefault(f"{info.name}/{file.name}", distribution)
    entries = []
    kept: set[str] = set()
    rewritten: list[tuple[str, Distribution]] = []
    for directory, dirs, files in os.walk(stage):
        here = Path(directory)
        relative = here.relative_to(stage).as_posix()
        prefix = "" if relative == "." else relative + "/"
        # bin/: console scripts, whose first line names this machine's interpreter.
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and prefix + d != "bin")
        for name in sorted(files):
            path = prefix + name
            if name.endswith((".pyc", ".pyo")):
                continue
            parent = PurePosixPath(path).parent.name
            if parent.endswith(".dist-info") and name in _INSTALL_ARTEFACTS:
                continue
            owner = owners.get(path)
            if parent.endswith(".dist-info") and name == "RECORD" and owner is not None:
                rewritten.append((path, owner))
                continue
            file = here / name
            entries.append(Entry(path, file, None, _executable(file), owner))
            kept.add(path)
    for record_path, owner in rewritten:
        folder = record_path.split("/", 1)[0]
        rows = [
            row
            for row in records.get(folder, [])
            if _normalise(row[0]) in kept or row[0] == record_path
        ]
        rows.sort(key=lambda row: row[0])
        entries.append(Entry(record_path, None, _csv(rows), False, owner))
    return entries


def combine(*groups: list[Entry]) -> list[Entry]:
    """All entries sorted by path; two sources for one path is an error naming both."""
    by_path: dict[str, Entry] = {}
    clashes: list[str] = []
    for group in groups:
        for entry in group:
            other = by_path.get(entry.path)
            if other is not None:
                clashes.append(f"{entry.path} ({_origin(other)} and {_origin(entry)})")
                continue
            by_path[entry.path] = entry
    if clashes:
        shown = "; ".join(clashes[:5]) + (
            f"; and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        )
        raise PackageError(
            f"two files want the same place in the package: {shown}. Rename or exclude the "
            "project's copy (.faasgiignore)"
        )
    return [by_path[path] for path in sorted(by_path)]


def _origin(entry: Entry) -> str:
    return entry.distribution.label if entry.distribution else "your project"


def _read_metadata(info: Path) -> Distribution:
    try:
        text = (info / "METADATA").read_text(encoding="utf-8", errors="replace")
    except OSError:
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        return Distribution(name, version)
    headers = HeaderParser().parsestr(text, headersonly=True)
    return Distribution(str(headers.get("Name", "")), str(headers.get("Version", "")))


def _read_record(record: Path) -> list[list[str]]:
    try:
        text = record.read_text(encoding="utf-8")
    except OSError:
        return []
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _normalise(recorded: str) -> str | None:
    """A RECORD path as a path in the package; None when it points outside (`../../bin`)."""
    path = os.path.normpath(recorded).replace(os.sep, "/")
    if path.startswith("../") or path == ".." or os.path.isabs(path):
        return None
    return path


def _record_hash(data: bytes) -> str:
    digest = urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "sha256=" + digest


def _csv(rows: Iterable[Iterable[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


__all__ = [
    "Distribution",
    "Entry",
    "combine",
    "installed_entries",
    "project_entries",
    "vendored_faasgi",
]
