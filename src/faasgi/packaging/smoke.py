"""The smoke test: import the handler from the unpacked zip in an isolated interpreter
(`python -I -S`: only the package and the standard library on sys.path) and send it one
synthetic event, so a missing dependency fails on this machine, not in the cloud.

This interpreter cannot load compiled modules built for another Python or CPU. When the
target differs from this machine and the package holds compiled modules, a failed run is
not trusted: unless the failure names a module that is nowhere in the package, the test
falls back to checking that every top-level import of the handler's module resolves to the
package or the standard library.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faasgi.packaging import PackageError
from faasgi.packaging.target import Target, local_description

#: The event source a platform's HTTP trigger sends by default.
SOURCES = {"aws": "aws-http", "fc": "fc-http"}
TIMEOUT_S = 120.0
_COMPILED = (".so", ".pyd")
_PROBE = Path(__file__).with_name("probe.py")


@dataclass(slots=True, frozen=True)
class SmokeResult:
    """What the smoke test did and saw."""

    #: "run" (the handler answered an event) or "imports" (imports were resolved only).
    mode: str
    detail: str
    status: int | None = None
    import_ms: float | None = None
    invoke_ms: float | None = None
    #: How far the run stands for the target (another Python stood in, say).
    note: str = ""


def has_compiled_modules(names: list[str]) -> bool:
    return any(name.endswith(_COMPILED) for name in names)


def run(
    zip_path: Path,
    spec: str,
    target: Target,
    *,
    path: str = "/",
    requirements: str = "",
    timeout: float = TIMEOUT_S,
) -> SmokeResult:
    """Smoke-test the package at `zip_path`; PackageError with the reason when it fails."""
    with zipfile.ZipFile(zip_path) as archive, tempfile.TemporaryDirectory() as scratch:
        names = archive.namelist()
        package = Path(scratch, "package")
        archive.extractall(package)
        trusted = target.matches_local() or not has_compiled_modules(names)
        try:
            outcome = _probe(package, spec, target, path, timeout)
            return _judge(outcome, spec, target, path, requirements, trusted)
        except PackageError as error:
            if trusted or _names_missing_dependency(error, package):
                raise
            fallback = _check_imports(package, spec, target, requirements)
            first_line = str(error).splitlines()[0].removeprefix("smoke test failed: ")
            return SmokeResult("imports", f"{fallback.detail} Running it here failed: {first_line}")


class _ProbeFailed(PackageError):
    """The handler failed to import or answer; `missing` is the module that was not found."""

    def __init__(self, message: str, missing: str | None) -> None:
        super().__init__(message)
        self.missing = missing


def _probe(package: Path, spec: str, target: Target, path: str, timeout: float) -> dict[str, Any]:
    result_file = package.parent / "result.json"
    command = [
        sys.executable,
        "-I",  # no PYTHON* variables, no user site, no script folder on sys.path
        "-S",  # no site-packages: only the standard library and the package
        str(_PROBE),
        str(package),
        spec,
        SOURCES[target.platform],
        path,
        str(result_file),
    ]
    try:
        # The function's working folder is its code folder (/var/task, /code).
        finished = subprocess.run(
            command, cwd=package, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise PackageError(
            f"smoke test failed: {spec} did not answer GET {path} within {timeout:.0f} s"
        ) from None
    if not result_file.exists():
        raise PackageError(
            f"smoke test failed: the interpreter importing {spec} exited with status "
            f"{finished.returncode}:\n{_tail(finished.stderr)}"
        )
    outcome: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    outcome["stderr"] = finished.stderr
    return outcome


def _judge(
    outcome: dict[str, Any],
    spec: str,
    target: Target,
    path: str,
    requirements: str,
    trusted: bool,
) -> SmokeResult:
    stage = outcome["stage"]
    if stage in ("import", "invoke"):
        doing = f"importing {spec}" if stage == "import" else f"sending GET {path} to {spec}"
        message = f"smoke test failed: {doing} from the package raised {outcome['error']}"
        missing = outcome.get("missing")
        if missing:
            message += (
                ". The package is missing a dependency: add the distribution that provides "
                f"'{missing.split('.')[0]}' to {requirements or 'requirements.txt'}"
            )
        raise _ProbeFailed(
            message + "\n" + _tail(outcome.get("traceback") or outcome["stderr"]), missing
        )
    status = outcome.get("status")
    if not isinstance(status, int):
        raise PackageError(
            f"smoke test failed: {spec} answered GET {path} with a "
            f"{outcome['answer_type']}, not a dict with an integer statusCode"
        )
    if status >= 500:
        body = outcome.get("body") or ""
        raise PackageError(
            f"smoke test failed: GET {path} answered {status}: {body[:200]!r}\n"
            + _tail(outcome["stderr"])
        )
    note = ""
    if not target.matches_local():
        here = outcome["python"].rsplit(".", 1)[0]
        why = "the package has no compiled modules" if trusted else "its compiled modules aside"
        note = f"this machine's Python {here} stood in for {target.runtime} ({why})"
    return SmokeResult(
        "run",
        f"GET {path} answered {status}",
        status,
        outcome.get("import_ms"),
        outcome.get("invoke_ms"),
        note,
    )


def _names_missing_dependency(error: PackageError, package: Path) -> bool:
    """True when the failure is a module absent from the package, not a foreign binary."""
    if not isinstance(error, _ProbeFailed) or not error.missing:
        return False
    return not _resolves(package, error.missing.split(".")[0])


def _check_imports(package: Path, spec: str, target: Target, requirements: str) -> SmokeResult:
    module_name = spec.partition(":")[0]
    source = _module_file(package, module_name)
    if source is None:
        raise PackageError(f"smoke test failed: module {module_name!r} is not in the package")
    tree = ast.parse(source.read_bytes(), filename=str(source))
    wanted: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            wanted.extend(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            wanted.append(node.module.split(".")[0])
    names = list(dict.fromkeys(wanted))
    missing = [name for name in names if not _resolves(package, name)]
    if missing:
        raise PackageError(
            f"smoke test failed: {module_name} imports {', '.join(repr(m) for m in missing)}, "
            "found neither in the package nor in the standard library. The package is missing "
            f"a dependency: add it to {requirements or 'requirements.txt'}"
        )
    return SmokeResult(
        "imports",
        f"the {len(names)} top-level imports of {module_name} resolve in the package; the "
        f"handler could not be run here: the package holds compiled modules for "
        f"{target.runtime} on linux/{target.machine}, and this is {local_description()}. "
        "Run faasgi package on a machine like the target for the full test.",
    )


def _module_file(package: Path, module_name: str) -> Path | None:
    base = package.joinpath(*module_name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _resolves(package: Path, name: str) -> bool:
    """Whether `import name` finds something: the standard library or the package."""
    if name in sys.stdlib_module_names or name == "__future__":
        return True
    if (package / name).is_dir() or (package / f"{name}.py").is_file():
        return True
    if (package / f"{name}.so").is_file():
        return True
    return any(package.glob(f"{name}.*.so")) or any(package.glob(f"{name}*.pyd"))


def _tail(text: str, lines: int = 15) -> str:
    kept = text.strip().splitlines()[-lines:]
    return "\n".join("    " + line for line in kept)


__all__ = ["SOURCES", "SmokeResult", "has_compiled_modules", "run"]
