"""The distributions the target needs that pip left out, found by reading the installed
distributions' requirements with the target's environment markers.

pip evaluates environment markers for the interpreter that runs it, even when told another
Python with --python-version (pypa/pip#11010): building for python3.10 on Python 3.11
skips `exceptiongroup; python_version < "3.11"`, which anyio needs on 3.10, and the function
fails at import in the cloud. This module only reads metadata; the command installs what
it reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from faasgi.packaging.requirements import canonical_name
from faasgi.packaging.target import Target

try:  # the packaging library, or the copy every pip carries (pip runs this command anyway)
    from packaging.markers import Marker
    from packaging.requirements import InvalidRequirement, Requirement
except ImportError:  # pragma: no cover - packaging is not installed
    from pip._vendor.packaging.markers import Marker  # type: ignore[import-untyped,no-redef,assignment,unused-ignore]
    from pip._vendor.packaging.requirements import (  # type: ignore[import-untyped,no-redef,assignment,unused-ignore]
        InvalidRequirement,
        Requirement,
    )


def marker_environment(target: Target) -> dict[str, str]:
    """PEP 508 marker values of the target runtime (patch version unknown: `.0`)."""
    return {
        "implementation_name": "cpython",
        "implementation_version": target.python + ".0",
        "os_name": "posix",
        "platform_machine": target.machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": target.python + ".0",
        "python_version": target.python,
        "sys_platform": "linux",
    }


@dataclass(slots=True)
class Missing:
    """A distribution some installed one requires on the target, and who asked for it."""

    name: str
    specifiers: list[str] = field(default_factory=list)
    required_by: list[str] = field(default_factory=list)


def applies(marker: Marker | None, environment: dict[str, str], extras: Iterable[str]) -> bool:
    if marker is None:
        return True
    return any(marker.evaluate({**environment, "extra": extra}) for extra in ("", *extras))


def missing(
    sites: Iterable[Path], target: Target, requested_extras: dict[str, set[str]]
) -> list[Missing]:
    """Requirements of installed distributions that hold on the target but are not installed.

    `requested_extras` maps a distribution to the extras the project asked for (`moto[s3]`);
    the extras other distributions ask for are followed as well.
    """
    environment = marker_environment(target)
    requires: dict[str, list[str]] = {}
    for site in sites:
        for info in site.glob("*.dist-info"):
            name, lines = _read(info)
            requires[canonical_name(name)] = lines
    extras = {name: set(found) for name, found in requested_extras.items()}
    wanted: dict[str, Missing] = {}
    changed = True
    while changed:  # extras found on the way can switch more requirements on
        changed = False
        for owner, lines in requires.items():
            for line in lines:
                try:
                    requirement = Requirement(line)
                except InvalidRequirement:
                    continue
                if not applies(requirement.marker, environment, extras.get(owner, ())):
                    continue
                name = canonical_name(requirement.name)
                if name in requires:
                    new = set(requirement.extras) - extras.setdefault(name, set())
                    if new:
                        extras[name] |= new
                        changed = True
                    continue
                entry = wanted.setdefault(name, Missing(requirement.name))
                requirement.marker = None
                if str(requirement) not in entry.specifiers:
                    entry.specifiers.append(str(requirement))
                if owner not in entry.required_by:
                    entry.required_by.append(owner)
    return sorted(wanted.values(), key=lambda entry: canonical_name(entry.name))


def _read(info: Path) -> tuple[str, list[str]]:
    try:
        text = (info / "METADATA").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return info.name.split("-", 1)[0], []
    headers = HeaderParser().parsestr(text, headersonly=True)
    return str(headers.get("Name", "")), [
        str(line) for line in headers.get_all("Requires-Dist") or []
    ]


__all__ = ["Missing", "applies", "marker_environment", "missing"]
