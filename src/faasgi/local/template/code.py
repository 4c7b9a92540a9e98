"""Where a function's code runs from locally: always the project's source, so `--reload`
sees edits. A folder runs as is; a zip that `faasgi package` built maps back to the project
it was built from; any other zip is unpacked into a temporary folder.

`faasgi package` writes `NAME.zip` and `NAME.manifest.json` into `PROJECT/dist` unless told
otherwise (src/faasgi/packaging/manifest.py); the manifest lists the project's own files
(those with no distribution), so the project is the folder that holds them.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any


class CodeNotLocal(Exception):
    """The code lives only in the cloud (S3, an image) or cannot be found: not emulated."""


def code_folder(base: Path, code: Any, handler: str) -> tuple[str, str | None]:
    """(folder to run from, a note for the banner or None) for a CodeUri / `code`."""
    if code is None:
        return str(base), None
    if not isinstance(code, str) or code.startswith(("s3://", "oss://")):
        raise CodeNotLocal(f"its code is not a local path ({code!r})")
    path = (base / code).resolve()
    if path.is_dir():
        return str(path), None
    if path.suffix != ".zip":
        raise CodeNotLocal(f"its code {code} is neither a folder nor a .zip")
    module_file = _module_file(handler)
    manifest_path = path.with_name(path.stem + ".manifest.json")
    project = _project_from_manifest(manifest_path, module_file)
    if project is not None:
        return str(project), f"{code} was built by faasgi package: runs from its source {project}"
    # Not built yet (no manifest): faasgi package's default output folder is PROJECT/dist.
    if path.parent.name == "dist" and (path.parent.parent / module_file).exists():
        project = path.parent.parent
        return str(project), f"{code} (not built yet) is faasgi package's: runs from {project}"
    if path.is_file():
        unpacked = tempfile.mkdtemp(prefix="faasgi-code-")
        with zipfile.ZipFile(path) as archive:
            archive.extractall(unpacked)
        return unpacked, f"{code} unpacked into {unpacked} (not a faasgi package: no --reload)"
    raise CodeNotLocal(f"its code {code} does not exist")


def _module_file(handler: str) -> str:
    module = handler.partition(":")[0]
    return module.replace(".", os.sep) + ".py"


def _project_from_manifest(manifest_path: Path, module_file: str) -> Path | None:
    """The project folder a faasgi manifest's own files are found in, or None."""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        own = [f["path"] for f in manifest["files"] if f.get("distribution") is None]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    wanted = module_file.replace(os.sep, "/")
    if wanted not in own and (wanted[:-3] + "/__init__.py") not in own:
        return None
    for candidate in (manifest_path.parent.parent, manifest_path.parent, Path.cwd()):
        if all((candidate / name).exists() for name in own[:20]):
            return candidate.resolve()
    return None


__all__ = ["CodeNotLocal", "code_folder"]
