"""Install the requirements for the target with pip into an empty staging folder.

pip is told the target's wheel tags and Python version, and to take wheels only, so what
lands in the folder is what the runtime can import, whatever machine builds it. Output of
pip goes to a callback (the command shows progress); this module never prints.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faasgi.packaging import PackageError
from faasgi.packaging.closure import Missing, missing
from faasgi.packaging.requirements import Requirements, requested_extras
from faasgi.packaging.target import Target, local_description

_TAIL_LINES = 25


@dataclass(slots=True, frozen=True)
class PipOptions:
    """How pip may find and build distributions."""

    #: Wheels only (the default). Without it pip may build sdists, which only makes sense on
    #: a machine like the target, so it also drops the target tags.
    only_binary: bool = True
    find_links: Sequence[str] = field(default_factory=tuple)
    no_index: bool = False


def pip_command(
    target: Target, requirements_file: Path, stage: Path, options: PipOptions
) -> list[str]:
    """The pip command line that installs `requirements_file` into `stage` for `target`."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        str(stage),
        "--no-compile",  # .pyc would be for this interpreter and carry build-time mtimes
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
    ]
    if options.only_binary:
        for tag in target.pip_platforms():
            command += ["--platform", tag]
        command += [
            "--implementation",
            "cp",
            "--python-version",
            target.python,
            "--abi",
            target.abi,
            "--only-binary=:all:",
        ]
    for link in options.find_links:
        command += ["--find-links", link]
    if options.no_index:
        command.append("--no-index")
    command += ["--requirement", str(requirements_file)]
    return command


#: Rounds of requirements pip skipped (a skipped backport may itself need another).
_ROUNDS = 5


@dataclass(slots=True)
class Installed:
    """Where pip installed things: the first folder for the requirements, one more for each
    round of requirements pip skipped by evaluating markers for this machine."""

    sites: list[Path]
    added: list[Missing] = field(default_factory=list)


def install(
    requirements: Requirements,
    target: Target,
    stage: Path,
    *,
    cwd: Path,
    options: PipOptions,
    on_output: Callable[[str], None] = lambda line: None,
) -> Installed:
    """Run pip, then again for what it skipped; PackageError with pip's output on failure."""
    if not options.only_binary and not target.matches_local():
        raise PackageError(
            f"--allow-source builds with this interpreter ({local_description()}), so it must "
            f"match the target ({target.runtime} on linux/{target.machine}): run faasgi "
            f"package on such a machine, e.g. in the public.ecr.aws/sam/build-{target.runtime} "
            "image, or drop --allow-source"
        )
    first = stage / "site-0"
    _pip(requirements.text(), requirements, target, first, cwd, options, on_output, [])
    installed = Installed([first])
    extras = requested_extras(requirements)
    for round_number in range(1, _ROUNDS + 1):
        skipped = missing(installed.sites, target, extras)
        if not skipped:
            return installed
        site = stage / f"site-{round_number}"
        # The project's pip options (an index URL, find-links) apply to these too.
        options_lines = [line for line in requirements.lines if line.startswith("-")]
        specifiers = [specifier for entry in skipped for specifier in entry.specifiers]
        lines = "".join(f"{line}\n" for line in options_lines + specifiers)
        _pip(lines, requirements, target, site, cwd, options, on_output, ["--no-deps"])
        installed.sites.append(site)
        installed.added.extend(skipped)
    raise PackageError(
        f"pip kept skipping requirements the target needs after {_ROUNDS} rounds: "
        + ", ".join(entry.name for entry in missing(installed.sites, target, extras))
    )


def _pip(
    lines: str,
    requirements: Requirements,
    target: Target,
    site: Path,
    cwd: Path,
    options: PipOptions,
    on_output: Callable[[str], None],
    extra: list[str],
) -> None:
    site.mkdir(parents=True)
    requirements_file = site.parent / (site.name + "-requirements.txt")
    requirements_file.write_text(lines, encoding="utf-8")
    command = pip_command(target, requirements_file, site, options) + extra
    output: list[str] = []
    try:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as error:
        raise PackageError(f"cannot run pip: {error}") from None
    assert process.stdout is not None
    with process:
        for line in process.stdout:
            line = line.rstrip()
            output.append(line)
            on_output(line)
    if process.returncode != 0:
        raise PackageError(_failure(output, requirements, target))


def _failure(output: list[str], requirements: Requirements, target: Target) -> str:
    text = "\n".join(output)
    tail = "\n".join("    " + line for line in output[-_TAIL_LINES:])
    message = (
        f"pip could not install the requirements from {requirements.origin or 'the project'} "
        f"for {target.runtime} on linux/{target.machine}:\n{tail}"
    )
    if "No module named pip" in text:
        return message + "\n  this Python has no pip: install it (python -m ensurepip)"
    if "No matching distribution" in text or "Could not find a version" in text:
        message += (
            f"\n  pip found no wheel for {target.abi} manylinux {target.machine} "
            "(only wheels are used, built for the target, not for this machine). Pin a "
            "version that publishes such a wheel, or build on a machine like the target "
            "with --allow-source."
        )
    return message


__all__ = ["Installed", "PipOptions", "install", "pip_command"]
