"""Lambda sends SIGTERM only to a runtime with a registered extension: faasgi registers an
internal one before the first /next, and on_shutdown hooks run on SIGTERM. Real processes,
real signals; the server plays Lambda's shutdown (SIGTERM, a grace period, SIGKILL)."""

from __future__ import annotations

import importlib.util
import signal
from pathlib import Path
from typing import Any

import pytest

from faasgi.local.runtime_api import signal_shutdown
from tests.runtime.conftest import function_url_event

pytestmark = pytest.mark.slow
AWSLAMBDARIC = importlib.util.find_spec("awslambdaric") is not None

#: Lambda allows 500 ms; a loaded test machine gets more.
GRACE = 10.0


def test_faasgi_runtime_registers_the_extension_and_runs_shutdown_hooks(
    launch: Any, tmp_path: Path
) -> None:
    server, runtime = launch("faasgi", "web.handler", RECORD_DIR=str(tmp_path))
    assert server.invoke(function_url_event("/stream", "count=1&pause=0"), wait=60).kind
    assert [extension.name for extension in server.extensions] == ["faasgi-shutdown"]
    assert server.extensions[0].events == []
    # The runtime now waits in /next: the signal must still be handled at once.
    assert signal_shutdown(server, runtime.process, grace=GRACE) == "terminated"
    assert runtime.process.returncode == -signal.SIGTERM
    assert (tmp_path / "shutdown").exists()


def test_opting_out_registers_nothing_and_lambda_kills_without_notice(
    launch: Any, tmp_path: Path
) -> None:
    server, runtime = launch(
        "faasgi", "web.handler", RECORD_DIR=str(tmp_path), FAASGI_SHUTDOWN_EXTENSION="0"
    )
    assert server.invoke(function_url_event("/stream", "count=1&pause=0"), wait=60).kind
    assert server.extensions == []
    assert signal_shutdown(server, runtime.process, grace=GRACE) == "killed"
    assert not (tmp_path / "shutdown").exists()


@pytest.mark.skipif(not AWSLAMBDARIC, reason="awslambdaric is in the dev extra only")
def test_on_the_managed_python_312_runtime_faasgi_registers_at_import(
    launch: Any, tmp_path: Path
) -> None:
    # awslambdaric polls /next from a thread only on these runtimes, so the main thread
    # can run the SIGTERM handler (its lambda_config.py).
    server, runtime = launch(
        "awslambdaric",
        "web.handler",
        RECORD_DIR=str(tmp_path),
        AWS_EXECUTION_ENV="AWS_Lambda_python3.12",
    )
    assert server.invoke(function_url_event("/stream", "count=1&pause=0"), wait=60).kind
    assert [extension.name for extension in server.extensions] == ["faasgi-shutdown"]
    assert signal_shutdown(server, runtime.process, grace=GRACE) == "terminated"
    assert (tmp_path / "shutdown").exists()


def test_registration_after_init_is_refused(launch: Any, tmp_path: Path) -> None:
    from faasgi.runtime import extension

    server, _ = launch("faasgi", "plain.handler")
    server.invoke({"a": 1}, wait=60)
    extension._registered = False
    try:
        assert extension.register(server.address) is False
    finally:
        extension._registered = False
