"""Which of the project's files go into the package: a walk of the project root that applies
the exclusion rules (`faasgi.packaging.ignore`), reports what it leaves out for a reason
the user should see (secrets, earlier builds), and never reads outside the root.

Symbolic links: a link to a file or folder inside the project is packed as its target (a
folder's files under the link's path); a link that leaves the project is an error naming
the link, whatever it points at, because following it could put anything of the building
machine into the zip (`/etc/passwd`, `../other-project/.env`). Never writes a zip.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from faasgi.packaging import PackageError
from faasgi.packaging.ignore import Ignore

#: What `faasgi package` writes beside each zip: a folder holding one is build output.
MANIFEST_SUFFIX = ".manifest.json"
_MANIFEST_KEYS = {"format", "handler", "target", "zip", "files"}
#: A manifest lists every file of a package; no real one comes near this.
_MANIFEST_READ_LIMIT = 64 * 1024 * 1024


@dataclass(slots=True, frozen=True)
class Exclusion:
    """A path left out for a reason the user should see."""

    path: str
    #: "secret" or "output".
    reason: str
    #: The pattern or the finding that excluded it.
    because: str


@dataclass(slots=True)
class ProjectFiles:
    """The project's files to pack, in a stable order, and what was reported left out."""

    files: list[tuple[str, Path]] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)


def scan(root: Path, ignore: Ignore, skip: Iterable[Path] = ()) -> ProjectFiles:
    """Every file under `root` the rules keep, as (root-relative POSIX path, file).

    Folders in `skip` (the output folder), virtualenvs (a `pyvenv.cfg` inside) and folders
    holding a faasgi manifest are left out whatever the rules say. Excluded folders are not
    descended into. PackageError for a link that leaves the project, a link loop, or
    something that is not a regular file (a dangling link, a socket).
    """
    root = root.resolve()
    found = ProjectFiles()
    skipped = {path.resolve() for path in skip}
    _walk(root, root, "", ignore, skipped, frozenset({root}), found)
    return found


def _walk(
    root: Path,
    directory: Path,
    prefix: str,
    ignore: Ignore,
    skipped: set[Path],
    ancestors: frozenset[Path],
    found: ProjectFiles,
) -> None:
    with os.scandir(directory) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        path = prefix + entry.name
        full = Path(entry.path)
        is_dir = entry.is_dir()  # follows a link: a link to a folder is a folder here
        rule = ignore.verdict(path, is_dir)
        if rule is not None:
            if rule.reason:
                found.excluded.append(
                    Exclusion(path + ("/" if is_dir else ""), rule.reason, rule.pattern)
                )
            continue
        target = full
        if entry.is_symlink():
            target = _inside(root, path, full)
            # A link to a secret is a secret: `settings.env -> .env` must not pack .env.
            behind = ignore.verdict(target.relative_to(root).as_posix(), is_dir)
            if behind is not None and behind.reason == "secret":
                found.excluded.append(
                    Exclusion(path, "secret", f"a link to {os.readlink(full)}, {behind.pattern}")
                )
                continue
        if is_dir:
            if target in skipped or (target / "pyvenv.cfg").exists():
                continue
            manifest = _manifest_in(target)
            if manifest is not None:
                found.excluded.append(Exclusion(path + "/", "output", f"holds {manifest}"))
                continue
            if target in ancestors:
                raise PackageError(
                    f"{path} is a symlink to {os.readlink(full)}, a folder that contains it: "
                    "packing it would never end. Remove the link or exclude it in .faasgiignore"
                )
            _walk(root, target, path + "/", ignore, skipped, ancestors | {target}, found)
        elif entry.is_file():
            if entry.name.endswith(MANIFEST_SUFFIX) and is_manifest(target):
                found.excluded.append(Exclusion(path, "output", "a faasgi manifest"))
                continue
            found.files.append((path, full))
        else:
            raise PackageError(f"{path} in the project is not a regular file; exclude it")


def _inside(root: Path, path: str, link: Path) -> Path:
    """The target of a link in the project; PackageError when it is outside the project."""
    pointed = os.readlink(link)
    target = link.resolve()  # every link along the way, as the kernel would follow them
    if target != root and root not in target.parents:
        raise PackageError(
            f"{path} is a symlink to {pointed}, outside the project ({root}): faasgi never "
            "packs files from outside the project. Copy what the function needs into the "
            "project, or exclude the link in .faasgiignore"
        )
    if not target.exists():
        raise PackageError(f"{path} is a symlink to {pointed}, which does not exist; exclude it")
    return target


def _manifest_in(folder: Path) -> str | None:
    """The name of a faasgi manifest in `folder`, if it holds one."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    for name in names:
        if name.endswith(MANIFEST_SUFFIX) and is_manifest(folder / name):
            return name
    return None


def is_manifest(file: Path) -> bool:
    """Whether `file` is a manifest `faasgi package` wrote (faasgi.packaging.manifest)."""
    try:
        with open(file, "rb") as opened:
            manifest = json.loads(opened.read(_MANIFEST_READ_LIMIT))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.keys() >= _MANIFEST_KEYS


__all__ = ["MANIFEST_SUFFIX", "Exclusion", "ProjectFiles", "is_manifest", "scan"]
