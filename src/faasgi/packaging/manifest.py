"""The manifest written beside the zip: every file with its size, sha256 and distribution,
the distributions with their totals, and what the package was built for.

Its content is a function of the zip and the target only (no dates, no paths of the
building machine), so it is as reproducible as the zip. Never writes the zip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faasgi.packaging.archive import Archive, zlib_version
from faasgi.packaging.contents import Distribution
from faasgi.packaging.target import Target

FORMAT = 1
PROJECT = "(your project)"


@dataclass(slots=True)
class Share:
    """How much of the package one distribution (or the project) takes."""

    label: str
    name: str | None
    version: str | None
    files: int = 0
    size: int = 0
    compressed_size: int = 0


def shares(archive: Archive) -> list[Share]:
    """One Share per distribution plus one for the project, largest unzipped size first."""
    found: dict[Distribution | None, Share] = {}
    for record in archive.files:
        key = record.distribution
        share = found.get(key)
        if share is None:
            if key is None:
                share = Share(PROJECT, None, None)
            else:
                share = Share(key.label, key.name, key.version)
            found[key] = share
        share.files += 1
        share.size += record.size
        share.compressed_size += record.compressed_size
    return sorted(found.values(), key=lambda share: (-share.size, share.label))


def build(
    archive: Archive,
    *,
    handler: str,
    target: Target,
    requirements: str,
    only_binary: bool,
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict."""
    distributions = [
        {
            "name": share.name,
            "version": share.version,
            "files": share.files,
            "size": share.size,
            "zipped_size": share.compressed_size,
        }
        for share in sorted(shares(archive), key=lambda share: share.label.lower())
        if share.name is not None
    ]
    return {
        "format": FORMAT,
        "handler": handler,
        "target": {
            "platform": target.platform,
            "runtime": target.runtime,
            "python": target.python,
            "arch": target.arch,
            "wheel_platforms": target.pip_platforms() if only_binary else None,
            "only_binary": only_binary,
        },
        "requirements": requirements or None,
        "zip": {
            "file": archive.path.name,
            "sha256": archive.sha256,
            "size": archive.size,
            "zlib": zlib_version(),
        },
        "unzipped_size": archive.unzipped_size,
        "file_count": len(archive.files),
        "distributions": distributions,
        "files": [
            {
                "path": record.path,
                "size": record.size,
                "sha256": record.sha256,
                "distribution": record.distribution.name if record.distribution else None,
            }
            for record in archive.files
        ],
    }


def write(manifest: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


__all__ = ["FORMAT", "PROJECT", "Share", "build", "shares", "write"]
