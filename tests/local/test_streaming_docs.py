"""examples/streaming/README.md and docs/streaming.md do what they say: their console
commands run (`faasgi serve` and the custom runtime on free ports instead of 3000 and
9000), each `curl -N` prints what the page shows, in pieces that arrive apart; the
README's SAM template is what aws-sam-translator turns into a streaming Function URL on
faasgi's runtime."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from faasgi.runtime.scripts import WRAPPER
from faasgi.testing.emulator import Emulator
from tests.local.conftest import ROOT
from tests.local.test_docs import blocks, commands

pytestmark = pytest.mark.slow

README = ROOT / "examples" / "streaming" / "README.md"
DOC = ROOT / "docs" / "streaming.md"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Servers:
    """What the page's commands start, by the port the page names."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self.emulators: list[Emulator] = []
        self.processes: list[subprocess.Popen[str]] = []

    def run(self, command: str, shown: str) -> None:
        argv = shlex.split(command)
        if argv[:2] == ["faasgi", "serve"]:
            emulator = Emulator(argv[2], *argv[3:], "--no-dynamodb", cwd=str(ROOT))
            self.emulators.append(emulator)
            emulator.start()
            self.urls["3000"] = emulator.url
        elif argv[:3] == ["python", "-m", "faasgi.custom_runtime"]:
            port = free_port()
            words = [str(port) if word == "9000" else word for word in argv[3:]]
            process = subprocess.Popen(
                [sys.executable, "-m", "faasgi.custom_runtime", *words, "--host", "127.0.0.1"],
                cwd=ROOT,
                stderr=subprocess.PIPE,
                text=True,
            )
            self.processes.append(process)
            assert process.stderr is not None
            assert "serving" in process.stderr.readline()
            self.urls["9000"] = f"http://127.0.0.1:{port}"
        elif argv[:2] == ["curl", "-N"]:
            self.curl(argv[2], shown)
        else:
            pytest.fail(f"the README shows a command no test runs: {command}")

    def curl(self, url: str, shown: str) -> None:
        match = re.match(r"http://127\.0\.0\.1:(\d+)(.*)", url)
        assert match is not None
        with httpx.stream("GET", self.urls[match.group(1)] + match.group(2), timeout=60) as r:
            pieces = [(time.monotonic(), piece) for piece in r.iter_raw()]
        assert b"".join(piece for _, piece in pieces).decode().rstrip("\n") == shown
        assert pieces[-1][0] - pieces[0][0] >= 0.5  # 0.5 s apart at least twice: streamed

    def stop(self) -> None:
        for emulator in self.emulators:
            emulator.stop()
        for process in self.processes:
            process.terminate()
            process.wait(timeout=30)
            assert process.stderr is not None
            process.stderr.close()


@pytest.fixture
def servers() -> Iterator[Servers]:
    started = Servers()
    yield started
    started.stop()


@pytest.mark.parametrize("page", [README, DOC], ids=["README", "streaming.md"])
def test_the_page_s_commands_print_what_it_shows(servers: Servers, page: Path) -> None:
    ran = 0
    for language, _, text in blocks(page):
        if language == "console":
            for command, shown in commands(text):
                servers.run(command, shown)
                ran += 1
    assert ran == 4


def test_the_readme_s_sam_template_streams_a_function_url_on_faasgis_runtime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    yaml = pytest.importorskip("yaml")
    transform = pytest.importorskip("samtranslator.translator.transform")
    from tests.runtime.test_kit import _Loader, _NoPolicies

    text = next(text for _, info, text in blocks(README) if info == "file=template.yaml")
    template: dict[str, Any] = yaml.load(text, Loader=_Loader)
    template["Resources"]["TokenFeed"]["Properties"]["CodeUri"] = "s3://bucket/streaming.zip"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    resources = transform.transform(template, {}, _NoPolicies())["Resources"]

    function = resources["TokenFeed"]["Properties"]
    assert function["Environment"]["Variables"]["AWS_LAMBDA_EXEC_WRAPPER"] == f"/var/task/{WRAPPER}"
    assert function["Handler"] == "examples.streaming.fastapi_app.handler"
    urls = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Url"]
    assert urls == [
        {
            "AuthType": "NONE",
            "InvokeMode": "RESPONSE_STREAM",
            "TargetFunctionArn": {"Ref": "TokenFeed"},
        }
    ]
