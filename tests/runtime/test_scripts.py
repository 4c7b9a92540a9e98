"""`faasgi package` writes faasgi's runtime start scripts into an AWS zip, executable and
the same on every build, and they really start faasgi.runtime: the exec wrapper as Lambda
calls it (`faasgi-runtime /var/lang/bin/python3.N /var/runtime/bootstrap.py`) and the
`bootstrap` of provided.al2023 with a Python bundled in the zip."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from faasgi.cli import main as cli
from faasgi.local.runtime_api import RuntimeAPIServer, signal_shutdown
from faasgi.runtime.scripts import BOOTSTRAP_SCRIPT, WRAPPER_SCRIPT
from tests.runtime.conftest import APPS, SRC

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("project")
    (project / "plain.py").write_text((APPS / "plain.py").read_text())
    out = project / "dist"
    argv = [
        "package",
        "plain:handler",
        "--project",
        str(project),
        "--platform",
        "aws",
        "--no-smoke",
    ]
    assert cli([*argv, "--output", str(out), "--name", "one"]) == 0
    assert cli([*argv, "--output", str(out), "--name", "two"]) == 0
    return out


def test_the_aws_zip_carries_both_scripts_executable_and_reproducible(built: Path) -> None:
    with zipfile.ZipFile(built / "one.zip") as one, zipfile.ZipFile(built / "two.zip") as two:
        for name, text in (("faasgi-runtime", WRAPPER_SCRIPT), ("bootstrap", BOOTSTRAP_SCRIPT)):
            info = one.getinfo(name)
            assert stat.S_IMODE(info.external_attr >> 16) == 0o755
            assert stat.S_ISREG(info.external_attr >> 16)
            assert one.read(name) == two.read(name) == text.encode()
    assert (built / "one.zip").read_bytes() == (built / "two.zip").read_bytes()


def extract(archive: Path, into: Path) -> Path:
    """Unzip as Lambda does, permissions included (zipfile alone drops them)."""
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            zipped.extract(info, into)
            mode = stat.S_IMODE(info.external_attr >> 16)
            if mode:
                os.chmod(into / info.filename, mode)
    return into


def run_script(task_root: Path, command: list[str]) -> tuple[Any, Any]:
    server = RuntimeAPIServer(timeout=30).start()
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "FAASGI_"))
    }
    environment.update(
        AWS_LAMBDA_RUNTIME_API=server.address,
        _HANDLER="plain.handler",
        LAMBDA_TASK_ROOT=str(task_root),
        # faasgi itself comes from the zip; only the test's own packages from outside.
        PYTHONPATH=os.pathsep.join(p for p in sys.path if p and Path(p) != SRC),
    )
    process = subprocess.Popen(command, env=environment, cwd=str(task_root))
    return server, process


@pytest.mark.parametrize("script", ["faasgi-runtime", "bootstrap"])
def test_the_scripts_start_faasgis_runtime_from_the_zip(
    built: Path, tmp_path: Path, script: str
) -> None:
    root = extract(built / "one.zip", tmp_path / "task")
    if script == "faasgi-runtime":
        command = [str(root / script), sys.executable, "/var/runtime/bootstrap.py"]
    else:
        (root / "python" / "bin").mkdir(parents=True)
        (root / "python" / "bin" / "python3").symlink_to(sys.executable)
        command = [str(root / script)]
    server, process = run_script(root, command)
    try:
        outcome = server.invoke({"from": script}, wait=60)
        assert outcome.json()["event"] == {"from": script}
        # It is faasgi's runtime (not awslambdaric): it registered the shutdown extension.
        assert [extension.name for extension in server.extensions] == ["faasgi-shutdown"]
    finally:
        signal_shutdown(server, process, grace=10)
        server.close()
