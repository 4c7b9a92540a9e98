"""docs/emulator.md and docs/testing.md do what they say.

emulator.md: the files it shows (```python file=NAME) are written to a directory, and its
console commands run there: `faasgi serve` as a child process (its banner must read as
shown), `curl` lines against it, `faasgi check` and `faasgi invoke` with the output the
page prints. testing.md: its examples run, as one program and as the pytest files it shows.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from faasgi.local.resources import load_tables_file
from faasgi.local.scenario import load_scenario
from faasgi.testing.emulator import Emulator
from tests.local.conftest import ROOT

pytestmark = pytest.mark.slow

FAASGI = [sys.executable, "-c", "from faasgi.cli import run; run()"]
_BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
_INSTANCE = re.compile(r"\bi-[0-9a-f]{4}\b")
_PORT = re.compile(r"127\.0\.0\.1:\d+")
_DOCUMENTED = "http://127.0.0.1:3000"


def blocks(doc: Path) -> list[tuple[str, str, str]]:
    """(language, info after it, text) of every fenced block."""
    return [(m.group(1), m.group(2).strip(), m.group(3)) for m in _BLOCK.finditer(doc.read_text())]


def write_files(doc: Path, directory: Path) -> list[str]:
    names = []
    for _, info, text in blocks(doc):
        if info.startswith("file="):
            name = info.removeprefix("file=")
            (directory / name).write_text(text)
            names.append(name)
    return names


def commands(text: str) -> Iterator[tuple[str, str]]:
    """(command, the output shown after it) for each `$ ` line of a console block."""
    parts = re.split(r"^\$ (.*)\n", text, flags=re.MULTILINE)
    for index in range(1, len(parts), 2):
        yield parts[index], parts[index + 1].rstrip("\n")


def normalised(text: str) -> str:
    return _PORT.sub("127.0.0.1:PORT", _INSTANCE.sub("i-xxxx", text)).rstrip("\n")


class Page:
    """Runs a page's console commands in one directory, in order."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.emulator: Emulator | None = None
        self.dynamodb = ""

    def run(self, command: str, shown: str) -> None:
        argv = shlex.split(command)
        if argv[:2] == ["faasgi", "serve"]:
            self.serve(argv[2:])
        elif argv[0] == "curl":
            self.curl(argv[1:], shown)
        elif argv[:2] == ["faasgi", "check"]:
            result = self.faasgi(argv[1:])
            assert normalised(result.stdout) == normalised(shown), result.stderr
        elif argv[:2] == ["faasgi", "event"]:
            result = self.faasgi(argv[1:])
            assert result.returncode == 0, result.stderr
            printed, expected = json.loads(result.stdout), json.loads(shown)
            assert printed.keys() == expected.keys()
            # Equal but for the time, which is the current one.
            assert {**printed, "triggerTime": ""} == {**expected, "triggerTime": ""}
        elif argv[:2] == ["faasgi", "invoke"]:
            argv = [self.dynamodb if arg.startswith("http://127.0.0.1:") else arg for arg in argv]
            result = self.faasgi(argv[1:])
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout) == json.loads(shown)
        else:
            pytest.fail(f"docs/emulator.md shows a command no test runs: {command}")

    def faasgi(self, arguments: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*FAASGI, *arguments],
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def serve(self, arguments: list[str]) -> None:
        self.stop()
        self.emulator = Emulator(arguments[0], *arguments[1:], cwd=str(self.directory))
        self.emulator.start()
        self.dynamodb = self.emulator.wait_for(r"DynamoDB\s+(http://\S+)").group(1)

    def curl(self, arguments: list[str], shown: str) -> None:
        assert self.emulator is not None, "curl before faasgi serve"
        method, headers_shown, url = "GET", False, ""
        words = iter(arguments)
        for word in words:
            if word == "-X":
                method = next(words)
            elif word == "-i":
                headers_shown = True
            else:
                url = word.replace(_DOCUMENTED, self.emulator.url)
        response = httpx.request(method, url, timeout=60)
        body = shown
        if headers_shown:
            head, _, body = shown.partition("\n\n")
            status_line, *header_lines = head.splitlines()
            assert status_line.split()[1] == str(response.status_code)
            for line in header_lines:
                name, _, value = line.partition(": ")
                if name != "x-faasgi-instance":
                    assert response.headers[name] == value, name
        assert response.text.rstrip("\n") == body

    def stop(self) -> None:
        if self.emulator is not None:
            assert self.emulator.stop() == 0
            self.emulator = None


def test_the_emulator_page_runs_as_shown(tmp_path: Path) -> None:
    doc = ROOT / "docs" / "emulator.md"
    files = write_files(doc, tmp_path)
    page = Page(tmp_path)
    banner = next(text for lang, _, text in blocks(doc) if lang == "text")
    try:
        for lang, _, text in blocks(doc):
            if lang != "console":
                continue
            for command, shown in commands(text):
                page.run(command, shown)
                if command.startswith("faasgi serve"):
                    assert page.emulator is not None
                    shown_banner = [line for line in banner.splitlines() if line[:1] != "0"]
                    printed = page.emulator.lines()[: len(shown_banner)]
                    assert normalised("\n".join(printed)) == normalised("\n".join(shown_banner))
    finally:
        page.stop()

    assert {"counter.py", "counter_dynamodb.py", "scenario.json", "tables.json"} <= set(files)
    assert len(load_tables_file(str(tmp_path / "tables.json"))) == 2
    assert load_scenario(str(tmp_path / "scenario-ignore.json"))[0].ignore == (
        "served_at",
        "trace.*.id",
    )


def test_the_testing_page_examples_run(tmp_path: Path) -> None:
    doc = ROOT / "docs" / "testing.md"
    namespace: dict[str, object] = {"__name__": "docs_testing"}
    for lang, info, text in blocks(doc):
        if lang == "python" and not info:
            exec(compile(text, str(doc), "exec"), namespace)
    files = write_files(doc, tmp_path)

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    for handler in ("handler", "two"):
        namespace[handler].shutdown()  # type: ignore[attr-defined]
