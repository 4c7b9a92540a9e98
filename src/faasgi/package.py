"""`faasgi package MODULE:HANDLER --platform aws|fc`: build the deployment zip.

Installs the requirements for the target (not for this machine), adds the project and the
vendored faasgi, writes a byte-reproducible zip and its manifest, checks the platform's size
limits and smoke-tests the handler from the unpacked zip. Prints a summary, then the zip's
sha256 and path (`sha256sum` format) as the last line. Exit 0 on success, 1 when the build
or a check fails, 2 on a usage mistake.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TextIO

from faasgi.cli import UsageError
from faasgi.packaging import PackageError
from faasgi.packaging import archive as archive_module
from faasgi.packaging import manifest as manifest_module
from faasgi.packaging.bytecode import compile_entries
from faasgi.packaging.contents import (
    Entry,
    combine,
    installed_entries,
    project_entries,
    vendored_faasgi,
)
from faasgi.packaging.environment import smoke_environment
from faasgi.packaging.ignore import IGNORE_FILE, Ignore
from faasgi.packaging.install import PipOptions, install
from faasgi.packaging.limits import MB, Limit, check, limits_for, megabytes
from faasgi.packaging.project import Exclusion, scan
from faasgi.packaging.requirements import Requirements, find
from faasgi.packaging.runtime_scripts import runtime_script_entries
from faasgi.packaging.smoke import run as smoke_test
from faasgi.packaging.target import ARCHES, DEFAULT_PYTHON, PLATFORMS, Target, platform_handler

_LARGEST = 10
_SPEC = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("handler", help="MODULE:HANDLER, e.g. app:handler")
    parser.add_argument("--platform", required=True, choices=PLATFORMS, help="aws or fc")
    parser.add_argument(
        "--python",
        help="target Python version (default: 3.12 for aws, 3.10 for fc, as in adapters/)",
    )
    parser.add_argument("--arch", default="x86_64", choices=ARCHES, help="target CPU")
    parser.add_argument(
        "-o", "--output", type=Path, help="folder for the zip and manifest (default: PROJECT/dist)"
    )
    parser.add_argument("--project", type=Path, default=Path("."), help="project root (default: .)")
    parser.add_argument(
        "--requirements",
        type=Path,
        help="requirements file (default: requirements.txt, else pyproject.toml dependencies)",
    )
    parser.add_argument("--name", help="zip name without .zip (default: FOLDER-PLATFORM)")
    parser.add_argument(
        "--allow-source",
        action="store_true",
        help="let pip build sdists; needs a machine like the target (same Python, Linux, CPU)",
    )
    parser.add_argument(
        "--find-links", action="append", default=[], metavar="DIR", help="passed to pip"
    )
    parser.add_argument("--no-index", action="store_true", help="passed to pip")
    parser.add_argument(
        "--max-zipped-mb", type=float, metavar="MB", help="replace the platform's zipped limit"
    )
    parser.add_argument(
        "--max-unzipped-mb",
        type=float,
        metavar="MB",
        help="replace the platform's unzipped limit",
    )
    parser.add_argument(
        "--smoke-path", default="/", help="path of the smoke test's GET request (default: /)"
    )
    parser.add_argument("--no-smoke", action="store_true", help="skip the smoke test")
    parser.add_argument(
        "-e",
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the smoke test (repeatable); it sees no other "
        "variable of this machine",
    )
    parser.add_argument(
        "--env-file",
        action="append",
        default=[],
        metavar="FILE",
        help="NAME=VALUE lines (# comments) for the smoke test's environment; -e wins",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="add reproducible .pyc files (faster cold starts); needs this Python to be the "
        "target's version",
    )


def main(args: argparse.Namespace) -> int:
    try:
        return _build(args, sys.stdout, sys.stderr)
    except PackageError as error:
        print(f"faasgi package: error: {error}", file=sys.stderr)
        return 1


def _build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    spec: str = args.handler
    if not _SPEC.fullmatch(spec):
        raise UsageError(f"expected MODULE:HANDLER such as app:handler, got {spec!r}")
    try:
        target = Target(args.platform, args.python or DEFAULT_PYTHON[args.platform], args.arch)
    except ValueError as error:
        raise UsageError(str(error)) from None
    local_python = f"{sys.version_info.major}.{sys.version_info.minor}"
    if args.compile and target.python != local_python:
        raise UsageError(
            f"--compile writes bytecode for this Python ({local_python}), but the target runs "
            f"{target.python}: run faasgi package with Python {target.python}, or drop --compile"
        )
    root = args.project.resolve()
    if not root.is_dir():
        raise UsageError(f"project folder {args.project} does not exist")
    output = (args.output or root / "dist").resolve()
    name = args.name or f"{_safe(root.name)}-{target.platform}"
    zip_path = output / f"{name}.zip"
    manifest_path = output / f"{name}.manifest.json"
    options = PipOptions(
        only_binary=not args.allow_source,
        find_links=tuple(str(Path(link).resolve()) for link in args.find_links),
        no_index=args.no_index,
    )
    requirements = find(root, args.requirements)
    environment = smoke_environment(args.env_file, args.env)

    print(f"faasgi package: {spec} for {target.runtime} on {_where(target)}", file=out)
    with tempfile.TemporaryDirectory(prefix="faasgi-package-") as scratch:
        installed: list[list[Entry]] = []
        if requirements:
            sites = _install(requirements, target, Path(scratch), root, options, out, err)
            installed = [installed_entries(site) for site in sites]
        else:
            shown = requirements.origin or "no requirements.txt or pyproject.toml dependencies"
            print(f"  requirements: none ({shown})", file=out)
        scanned = scan(root, Ignore.for_project(root), skip=[output])
        _report_exclusions(scanned.excluded, out)
        project = project_entries(scanned.files)
        scripts = runtime_script_entries(target.platform, project)
        entries = combine(project, vendored_faasgi(), scripts, *installed)
        _require_module(spec, entries, root)
        if args.compile:
            compiled = compile_entries(entries)
            entries = combine(entries, compiled.entries)
            left = f", {len(compiled.failed)} left as source" if compiled.failed else ""
            print(
                f"  bytecode: {len(compiled.entries)} modules precompiled (unchecked-hash){left}",
                file=out,
            )
        when = archive_module.date_time(os.environ.get("SOURCE_DATE_EPOCH"))
        built = archive_module.write(entries, zip_path, when=when)
    manifest = manifest_module.build(
        built,
        handler=spec,
        target=target,
        requirements=requirements.origin,
        only_binary=options.only_binary,
    )
    manifest_module.write(manifest, manifest_path)

    limits = limits_for(
        target.platform,
        max_zipped=_bytes(args.max_zipped_mb),
        max_unzipped=_bytes(args.max_unzipped_mb),
    )
    _summary(built, manifest_path, limits, out)
    violations = check(limits, zipped=built.size, unzipped=built.unzipped_size)
    for violation in violations:
        if not violation.limit.blocking:
            print(f"  {violation.message}", file=out)
    blocking = [violation for violation in violations if violation.limit.blocking]
    if blocking:
        raise PackageError(
            "\n".join(violation.message for violation in blocking)
            + f"\n  (the zip was written for inspection, not for upload: {_shown(zip_path)})"
        )

    if args.no_smoke:
        print("  smoke test: skipped (--no-smoke)", file=out)
    else:
        try:
            result = smoke_test(
                zip_path,
                spec,
                target,
                path=args.smoke_path,
                requirements=requirements.origin,
                environment=environment,
            )
        except PackageError as error:
            raise PackageError(
                f"{error}\n  (the zip was written for inspection, not for upload: "
                f"{_shown(zip_path)})"
            ) from None
        line = f"  smoke test: {result.detail}"
        if result.import_ms is not None and result.invoke_ms is not None:
            line += f" in {result.invoke_ms:.0f} ms, after a {result.import_ms:.0f} ms import"
        print(line, file=out)
        if result.note:
            print(f"    {result.note}", file=out)
    _print_handler(spec, out)
    print(f"{built.sha256}  {_shown(zip_path)}", file=out)
    return 0


def _print_handler(spec: str, out: TextIO) -> None:
    handler = platform_handler(spec)
    if handler is None:
        module, _, attribute = spec.partition(":")
        print(
            f"  handler: Lambda and FC cannot reach {spec} (they take MODULE.ATTRIBUTE, one "
            f"attribute): add `handler = {attribute}` to {module} and package "
            f"{module}:handler",
            file=out,
        )
        return
    print(f"  handler: {handler}  (Handler in SAM and Lambda, handler in s.yaml and FC)", file=out)


def _report_exclusions(excluded: Sequence[Exclusion], out: TextIO) -> None:
    """One line per file or folder left out as a secret or an earlier build's output."""
    for exclusion in excluded:
        why = "a secret" if exclusion.reason == "secret" else "build output"
        print(f"  left out ({why}, {exclusion.because}): {exclusion.path}", file=out)
    if any(exclusion.reason == "secret" for exclusion in excluded):
        print(
            f"    (to pack one on purpose, add !PATTERN to {IGNORE_FILE}; see docs/deploy.md)",
            file=out,
        )


def _install(
    requirements: Requirements,
    target: Target,
    stage: Path,
    root: Path,
    options: PipOptions,
    out: TextIO,
    err: TextIO,
) -> list[Path]:
    count = sum(1 for line in requirements.lines if not line.startswith("-"))
    tags = (
        f"wheels for {target.pip_platforms()[0]} and older, {target.abi}"
        if options.only_binary
        else "this interpreter, sources allowed"
    )
    print(f"  requirements: {count} from {requirements.origin} -> pip ({tags})", file=out)
    started = time.monotonic()
    with Progress("installing requirements", err) as progress:
        installed = install(
            requirements, target, stage, cwd=root, options=options, on_output=progress
        )
    print(f"  installed in {time.monotonic() - started:.1f} s", file=out)
    for entry in installed.added:
        need = "needs" if len(entry.required_by) == 1 else "need"
        print(
            f"  added {entry.name}: {', '.join(entry.required_by)} {need} it on "
            f"{target.runtime}, and pip skipped it (it read the markers for this machine)",
            file=out,
        )
    return installed.sites


def _require_module(spec: str, entries: list[Entry], root: Path) -> None:
    """The handler's module must be in the package before anything else is checked."""
    module = spec.partition(":")[0].replace(".", "/")
    paths = {entry.path for entry in entries}
    if f"{module}.py" in paths or f"{module}/__init__.py" in paths:
        return
    if any(path.startswith(module + ".") and path.endswith((".so", ".pyd")) for path in paths):
        return
    raise PackageError(
        f"the handler's module is not in the package: no {module}.py or {module}/__init__.py "
        f"under {root} (excluded by .faasgiignore or a built-in exclusion such as tests/?)"
    )


def _summary(
    built: archive_module.Archive,
    manifest_path: Path,
    limits: Sequence[Limit],
    out: TextIO,
) -> None:
    shown_limits = ", ".join(
        f"{megabytes(limit.size)} {limit.measure}" for limit in limits if limit.blocking
    )
    print(f"  files: {len(built.files)}", file=out)
    print(
        f"  size: {megabytes(built.size)} zipped, {megabytes(built.unzipped_size)} unzipped"
        + (f" (limits: {shown_limits})" if shown_limits else ""),
        file=out,
    )
    print("  largest distributions (unzipped, zipped):", file=out)
    for share in manifest_module.shares(built)[:_LARGEST]:
        print(
            f"    {megabytes(share.size):>9}  {megabytes(share.compressed_size):>9}  {share.label}",
            file=out,
        )
    print(f"  manifest: {_shown(manifest_path)}", file=out)


class Progress:
    """Shows that pip is still working: on a terminal a spinner with the elapsed time and
    pip's last line, redrawn in place; otherwise (CI logs) one line every 15 s."""

    FRAMES = "|/-\\"
    QUIET_INTERVAL_S = 15.0

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label = label
        self.stream = stream
        self.interactive = stream.isatty()
        self._last = ""
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._draw, name="faasgi-progress", daemon=True)
        self._started = 0.0

    def __call__(self, line: str) -> None:
        if line.strip():
            self._last = line.strip()

    def __enter__(self) -> Progress:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join()
        if self.interactive:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _draw(self) -> None:
        interval = 0.1 if self.interactive else self.QUIET_INTERVAL_S
        frame = 0
        while not self._done.wait(interval):
            elapsed = time.monotonic() - self._started
            if self.interactive:
                spinner = self.FRAMES[frame % len(self.FRAMES)]
                frame += 1
                self.stream.write(
                    f"\r\033[K{spinner} {self.label} {elapsed:4.0f} s  {self._last[:60]}"
                )
            else:
                self.stream.write(f"  ... still {self.label} ({elapsed:.0f} s)\n")
            self.stream.flush()


def _bytes(megs: float | None) -> int | None:
    return None if megs is None else int(megs * MB)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "function"


def _where(target: Target) -> str:
    return f"linux/{target.machine}"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


__all__ = ["Progress", "configure", "main"]
