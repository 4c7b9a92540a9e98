"""Write entries as a zip whose bytes depend on nothing but the entries' paths, contents and
executable bits: sorted names, one fixed timestamp, fixed permissions, one compression level,
no directory entries, no extra fields, Unix as the creating system. Never decides what goes in.

The one outside input is zlib: the same level can deflate differently in another zlib build
(zlib-ng, say), so the manifest records the zlib version used.
"""

from __future__ import annotations

import hashlib
import os
import time
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from faasgi.packaging import PackageError
from faasgi.packaging.contents import Distribution, Entry

#: 1980-01-01T00:00:00Z, the earliest time a zip entry can carry.
ZIP_EPOCH = 315_532_800
#: 2107-12-31T23:59:58Z, the latest.
_ZIP_END = 4_354_819_198
COMPRESSLEVEL = 9
_UNIX = 3
_FILE_MODE = 0o100644
_EXECUTABLE_MODE = 0o100755


@dataclass(slots=True, frozen=True)
class FileRecord:
    """One file as written: what the manifest lists."""

    path: str
    size: int
    compressed_size: int
    sha256: str
    distribution: Distribution | None


@dataclass(slots=True, frozen=True)
class Archive:
    """The zip written, its digest and its files in archive order."""

    path: Path
    sha256: str
    size: int
    files: list[FileRecord]

    @property
    def unzipped_size(self) -> int:
        return sum(record.size for record in self.files)


def date_time(source_date_epoch: str | None) -> tuple[int, int, int, int, int, int]:
    """The timestamp every entry gets: SOURCE_DATE_EPOCH (UTC) when set, else 1980-01-01.

    Values a zip cannot hold are clamped to its range, as reproducible-builds.org advises.
    """
    seconds = ZIP_EPOCH
    if source_date_epoch:
        try:
            seconds = int(source_date_epoch)
        except ValueError:
            raise PackageError(
                f"SOURCE_DATE_EPOCH must be whole seconds since 1970, not {source_date_epoch!r}"
            ) from None
    seconds = min(max(seconds, ZIP_EPOCH), _ZIP_END)
    moment = time.gmtime(seconds)
    return (
        moment.tm_year,
        moment.tm_mon,
        moment.tm_mday,
        moment.tm_hour,
        moment.tm_min,
        moment.tm_sec,
    )


def write(
    entries: Sequence[Entry],
    path: Path,
    *,
    when: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0),
) -> Archive:
    """Write `entries` (in path order) to `path`, replacing it only once complete."""
    ordered = sorted(entries, key=lambda entry: entry.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    sizes: list[tuple[Entry, int, str]] = []
    try:
        with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
            for entry in ordered:
                data = entry.read()
                info = zipfile.ZipInfo(entry.path, date_time=when)
                info.create_system = _UNIX
                info.external_attr = (_EXECUTABLE_MODE if entry.executable else _FILE_MODE) << 16
                archive.writestr(
                    info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL
                )
                sizes.append((entry, len(data), hashlib.sha256(data).hexdigest()))
            compressed = {info.filename: info.compress_size for info in archive.infolist()}
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise PackageError(f"cannot write {path}: {error}") from None
    files = [
        FileRecord(entry.path, size, compressed[entry.path], digest, entry.distribution)
        for entry, size, digest in sizes
    ]
    return Archive(path, sha256_of(path), path.stat().st_size, files)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def zlib_version() -> str:
    return zlib.ZLIB_RUNTIME_VERSION


__all__ = ["COMPRESSLEVEL", "ZIP_EPOCH", "Archive", "FileRecord", "date_time", "sha256_of", "write"]
