"""The machine a package is built for: platform, Python version and CPU, and the pip
wheel tags that follow from them. Knows nothing about files or zips.

The wheel tags are what make a package built on a laptop import in the cloud: pip is told
the target's interpreter and glibc instead of looking at the machine it runs on.
"""

from __future__ import annotations

import platform
import re
import sys
from dataclasses import dataclass

PLATFORMS = ("aws", "fc")
ARCHES = ("x86_64", "arm64")

#: Python of the runtime the deploy kits in adapters/ use.
DEFAULT_PYTHON = {"aws": "3.12", "fc": "3.10"}

#: The CPU names wheels use (`uname -m`).
_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
_LOCAL_MACHINE = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}

#: manylinux2014 = glibc 2.17, the oldest glibc of every runtime below.
_OLDEST_GLIBC = 17

_PYTHON = re.compile(r"3\.(\d{1,2})")


@dataclass(slots=True, frozen=True)
class Target:
    """One runtime: `Target("aws", "3.12", "x86_64")` is Lambda's python3.12 on x86_64."""

    platform: str
    python: str
    arch: str = "x86_64"

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(
                f"platform must be one of {', '.join(PLATFORMS)}, not {self.platform!r}"
            )
        if not _PYTHON.fullmatch(self.python):
            raise ValueError(f"python must look like 3.12, not {self.python!r}")
        if self.arch not in ARCHES:
            raise ValueError(f"arch must be one of {', '.join(ARCHES)}, not {self.arch!r}")
        if self.platform == "fc" and self.arch != "x86_64":
            raise ValueError("Function Compute's built-in Python runtimes run on x86_64 only")

    @property
    def runtime(self) -> str:
        """The runtime's name in SAM and s.yaml: "python3.12"."""
        return "python" + self.python

    @property
    def machine(self) -> str:
        """The CPU as wheels name it: "x86_64" or "aarch64"."""
        return _MACHINE[self.arch]

    @property
    def abi(self) -> str:
        """The CPython ABI tag: "cp312"."""
        return "cp" + self.python.replace(".", "")

    @property
    def glibc_minor(self) -> int:
        """Minor version of the glibc the runtime's OS ships (2.x).

        Lambda python3.12 and later run on Amazon Linux 2023 (glibc 2.34), older ones on
        Amazon Linux 2 (glibc 2.26); FC's Python runtimes run on Debian 10 or later (2.28).
        """
        if self.platform == "fc":
            return 28
        minor = int(self.python.split(".")[1])
        return 34 if minor >= 12 else 26

    def pip_platforms(self) -> list[str]:
        """Every manylinux tag whose wheels run on the target, newest first.

        pip (before 24) does not widen `manylinux_2_28` to the older `manylinux_2_x` tags by
        itself, so each one is listed; `manylinux2014` also brings manylinux2010 and 1.
        """
        machine = self.machine
        tags = [
            f"manylinux_2_{minor}_{machine}"
            for minor in range(self.glibc_minor, _OLDEST_GLIBC - 1, -1)
        ]
        tags.append(f"manylinux2014_{machine}")
        return tags

    def matches_local(self) -> bool:
        """True when this interpreter could run the target's wheels: same Python, CPU, OS."""
        local_python = f"{sys.version_info.major}.{sys.version_info.minor}"
        return self.system_matches_local() and local_python == self.python

    def system_matches_local(self) -> bool:
        """True when this is CPython on the target's OS and CPU (the Python may differ)."""
        local_machine = _LOCAL_MACHINE.get(platform.machine().lower(), platform.machine())
        return (
            sys.platform == "linux"
            and sys.implementation.name == "cpython"
            and local_machine == self.machine
        )


def platform_handler(spec: str) -> str | None:
    """The handler setting Lambda's and FC's built-in Python runtimes take for
    MODULE:ATTRIBUTE: `MODULE.ATTRIBUTE`, which both split at the last dot (Lambda:
    https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html; FC, "File name.Method
    name": https://www.alibabacloud.com/help/doc-detail/74756.htm). None when the attribute
    is nested (`app:api.handler`), which neither can reach."""
    module, _, attribute = spec.partition(":")
    return None if "." in attribute else f"{module}.{attribute}"


def local_description() -> str:
    """ "Python 3.11 on linux/x86_64", for messages that compare with the target."""
    machine = _LOCAL_MACHINE.get(platform.machine().lower(), platform.machine())
    return f"Python {sys.version_info.major}.{sys.version_info.minor} on {sys.platform}/{machine}"


__all__ = [
    "ARCHES",
    "DEFAULT_PYTHON",
    "PLATFORMS",
    "Target",
    "local_description",
    "platform_handler",
]
