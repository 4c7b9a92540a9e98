"""The smoke test: import the handler from the unpacked zip in an isolated interpreter
(`python -I -S`: only the package and the standard library on sys.path, and only the
environment the user gives it) and send it one synthetic event, so a missing dependency or
a handler that fails fails the build on this machine, not in the cloud.

This interpreter cannot load compiled modules built for another Python or CPU ("foreign"
ones). The handler is run all the same; a failure fails the build unless an ImportError
naming a foreign module is part of it (probe.py tells). Only then is the run not a verdict:
the test falls back to checking that every top-level import of the handler's module
resolves to the package or the standard library, and says the handler could not be run.
"""

from __future__ import annotations

import ast
import importlib.machinery
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
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

#: The smoke test's environment before the user's `-e`/`--env-file`: what both platforms
#: set for any function (Lambda: "Defined runtime environment variables",
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
#: and nothing of this machine's, so a variable the function needs but is not given fails
#: here as it would there.
BASE_ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "en_US.UTF-8",
    "TZ": ":UTC",
}


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


def foreign_modules(names: list[str], target: Target) -> list[str]:
    """The dotted names of the package's compiled modules this interpreter cannot load:
    none when the target is this machine; those without a suffix this Python loads when
    only the Python differs; all of them on another OS or CPU."""
    if target.matches_local():
        return []
    loadable = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    same_system = target.system_matches_local()
    found = []
    for name in names:
        if not name.endswith(_COMPILED):
            continue
        folder, _, file = name.rpartition("/")
        module = file.split(".", 1)[0]
        # The import system looks for exactly MODULE + one of its suffixes
        # ("m.cpython-311-x86_64-linux-gnu.so", "m.abi3.so", "m.so").
        if same_system and any(file == module + suffix for suffix in loadable):
            continue
        found.append(f"{folder.replace('/', '.')}.{module}" if folder else module)
    return sorted(set(found))


def run(
    zip_path: Path,
    spec: str,
    target: Target,
    *,
    path: str = "/",
    requirements: str = "",
    environment: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> SmokeResult:
    """Smoke-test the package at `zip_path`; PackageError with the reason when it fails.

    `environment` is added to BASE_ENVIRONMENT for the handler (the variables the user
    gave with -e and --env-file).
    """
    with zipfile.ZipFile(zip_path) as archive, tempfile.TemporaryDirectory() as scratch:
        names = archive.namelist()
        package = Path(scratch, "package")
        archive.extractall(package)
        foreign = foreign_modules(names, target)
        env = {**BASE_ENVIRONMENT, **(environment or {})}
        outcome = _probe(package, spec, target, path, timeout, foreign, env)
        cause = outcome.get("foreign")
        if cause is None:
            return _judge(outcome, spec, target, path, requirements, foreign)
        fallback = _check_imports(package, spec, requirements)
        return SmokeResult(
            "imports",
            f"the handler could not be run here: it needs {cause}, compiled for "
            f"{target.runtime} on linux/{target.machine}, and this is {local_description()}. "
            f"Checked its imports instead: {fallback.detail}",
        )


def _probe(
    package: Path,
    spec: str,
    target: Target,
    path: str,
    timeout: float,
    foreign: list[str],
    environment: dict[str, str],
) -> dict[str, Any]:
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
        json.dumps(foreign),
    ]
    try:
        # The function's working folder is its code folder (/var/task, /code).
        finished = subprocess.run(
            command,
            cwd=package,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
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
    foreign: list[str],
) -> SmokeResult:
    """The verdict on a run no foreign module can be blamed for: the user's code ran as it
    will on the target, so a failure fails the build."""
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
        elif outcome.get("kind") == "KeyError":
            message += (
                ". The smoke test runs with only the environment you give it: if the "
                "function reads a variable, pass it with -e NAME=VALUE or --env-file FILE"
            )
        raise PackageError(message + "\n" + _tail(outcome.get("traceback") or outcome["stderr"]))
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
        why = "its compiled modules aside" if foreign else "the package has no compiled modules"
        note = f"this machine's Python {here} stood in for {target.runtime} ({why})"
    return SmokeResult(
        "run",
        f"GET {path} answered {status}",
        status,
        outcome.get("import_ms"),
        outcome.get("invoke_ms"),
        note,
    )


def _check_imports(package: Path, spec: str, requirements: str) -> SmokeResult:
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
        f"the {len(names)} top-level imports of {module_name} resolve in the package. "
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


__all__ = [
    "BASE_ENVIRONMENT",
    "SOURCES",
    "SmokeResult",
    "foreign_modules",
    "has_compiled_modules",
    "run",
]
