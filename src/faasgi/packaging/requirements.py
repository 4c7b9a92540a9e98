"""The project's runtime requirements, as the lines pip should install for the target.

They come from `requirements.txt` (or the file given), else from `[project.dependencies]`
in `pyproject.toml`. faasgi is not on PyPI: a `faasgi` requirement is dropped (the
installed faasgi is vendored instead) and its extras become their own requirements.
Never runs pip.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from faasgi.packaging import PackageError

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?")
_EXTRA_MARKER = re.compile(r"""(?:\s+and\s+)?\bextra\s*==\s*['"]([^'"]+)['"]""")
#: Options whose value is a path pip reads relative to the requirements file.
_PATH_OPTIONS = ("-c", "--constraint", "-f", "--find-links")


@dataclass(slots=True)
class Requirements:
    """What pip installs: `lines` of a requirements file, and where they came from."""

    #: "requirements.txt", "pyproject.toml [project.dependencies]" or "" when there are none.
    origin: str
    lines: list[str] = field(default_factory=list)
    #: faasgi extras asked for ("aws"), whose requirements were added to `lines`.
    faasgi_extras: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(not line.startswith("-") for line in self.lines)

    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


def canonical_name(name: str) -> str:
    """PEP 503 normalised name: `Foo_Bar` and `foo.bar` are both `foo-bar`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def find(root: Path, requirements: Path | None = None) -> Requirements:
    """The requirements of the project at `root` (see the module docstring)."""
    if requirements is not None:
        if not requirements.is_file():
            raise PackageError(f"requirements file {requirements} does not exist")
        return _from_file(requirements, root)
    default = root / "requirements.txt"
    if default.is_file():
        return _from_file(default, root)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        return _from_pyproject(pyproject)
    return Requirements(origin="")


def _from_file(path: Path, root: Path) -> Requirements:
    try:
        shown = str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        shown = str(path)
    found = Requirements(origin=shown)
    _read_file(path, found, seen=set())
    _add_faasgi_extras(found)
    return found


def _read_file(path: Path, found: Requirements, seen: set[Path]) -> None:
    resolved = path.resolve()
    if resolved in seen:
        return
    seen.add(resolved)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PackageError(f"cannot read {path}: {error.strerror}") from None
    for line in _logical_lines(text):
        option, _, value = line.partition(" ")
        value = value.strip()
        if option in ("-r", "--requirement") or line.startswith("--requirement="):
            value = value or line.partition("=")[2]
            # pip reads nested files relative to the including one: inline them here.
            _read_file(path.parent / value, found, seen)
        elif option in ("-e", "--editable") or line.startswith("--editable="):
            raise PackageError(
                f"{path}: editable requirement {line!r} cannot go into a package; "
                "list the project by name or path instead"
            )
        elif option in _PATH_OPTIONS and value:
            local = path.parent / value
            found.lines.append(f"{option} {local.resolve() if local.exists() else value}")
        elif line.startswith("-"):
            found.lines.append(line)
        else:
            _add_requirement(line, found)


def requested_extras(found: Requirements) -> dict[str, set[str]]:
    """The extras each requirement line asks for: `moto[s3,sqs]` -> {"moto": {"s3", "sqs"}}."""
    extras: dict[str, set[str]] = {}
    for line in found.lines:
        match = _NAME.match(line)
        if line.startswith("-") or match is None or not match.group(2):
            continue
        names = {extra.strip() for extra in match.group(2).split(",") if extra.strip()}
        extras.setdefault(canonical_name(match.group(1)), set()).update(names)
    return extras


def _logical_lines(text: str) -> Iterable[str]:
    """Lines as pip sees them: continuations joined, comments and blank lines dropped."""
    pending = ""
    for raw in text.splitlines():
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        line = pending + raw
        pending = ""
        # A comment starts a line or follows whitespace (pip's rule; URLs keep their '#').
        line = re.sub(r"(^|\s+)#.*$", "", line).strip()
        if line:
            yield line
    if pending.strip():
        yield pending.strip()


def _add_requirement(line: str, found: Requirements) -> None:
    match = _NAME.match(line)
    if match and canonical_name(match.group(1)) == "faasgi":
        extras = [extra.strip() for extra in (match.group(2) or "").split(",") if extra.strip()]
        found.faasgi_extras.extend(e for e in extras if e not in found.faasgi_extras)
        return
    found.lines.append(line)


def _add_faasgi_extras(found: Requirements) -> None:
    """Turn `faasgi[aws]` into the requirements of faasgi's `aws` extra (`boto3>=1.28`)."""
    if not found.faasgi_extras:
        return
    try:
        declared = metadata.requires("faasgi") or []
    except metadata.PackageNotFoundError:
        raise PackageError(
            f"{found.origin} asks for faasgi[{','.join(found.faasgi_extras)}], but faasgi's "
            "metadata is not installed here; install faasgi with pip first"
        ) from None
    wanted = list(found.faasgi_extras)
    done: set[str] = set()
    while wanted:
        extra = wanted.pop()
        if extra in done:
            continue
        done.add(extra)
        for requirement in declared:
            marker = _EXTRA_MARKER.search(requirement)
            if marker is None or marker.group(1) != extra:
                continue
            line = _EXTRA_MARKER.sub("", requirement).strip().rstrip(";").strip()
            line = re.sub(r";\s*$", "", line)
            match = _NAME.match(line)
            if match and canonical_name(match.group(1)) == "faasgi":
                # faasgi[dev] asks for faasgi[aws,local]: follow it, never install faasgi.
                wanted.extend(e.strip() for e in (match.group(2) or "").split(",") if e.strip())
            elif line not in found.lines:
                found.lines.append(line)


def _from_pyproject(path: Path) -> Requirements:
    data = _load_toml(path)
    project = data.get("project")
    if not isinstance(project, dict):
        return Requirements(origin="")
    if "dependencies" in (project.get("dynamic") or []):
        raise PackageError(
            f"{path.name} declares its dependencies as dynamic; give them with --requirements FILE"
        )
    dependencies = project.get("dependencies") or []
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        raise PackageError(f"{path.name}: [project] dependencies must be a list of strings")
    found = Requirements(origin=f"{path.name} [project.dependencies]")
    for dependency in dependencies:
        _add_requirement(dependency.strip(), found)
    _add_faasgi_extras(found)
    return found


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[import-not-found]
        except ImportError:
            raise PackageError(
                f"reading {path.name} needs Python 3.11 or the tomli package; or list the "
                "dependencies in requirements.txt"
            ) from None
    try:
        with path.open("rb") as file:
            loaded: dict[str, Any] = tomllib.load(file)
    except (OSError, ValueError) as error:
        raise PackageError(f"cannot read {path}: {error}") from None
    return loaded


__all__ = ["Requirements", "canonical_name", "find", "requested_extras"]
