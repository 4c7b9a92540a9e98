"""The benchmark commands docs/performance.md gives still run and print their tables (with
small sizes: the numbers themselves are measured by hand, not by tests)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]
DOC = (REPOSITORY / "docs" / "performance.md").read_text()

#: Each documented command, and the options that keep it short here.
SMALL = {
    "bench/bench_adapters.py": ["--quick", "--rounds", "1"],
    "bench/bench_instructions.py": [
        "--apps",
        "flask",
        "--versions",
        "v2",
        "--calls",
        "3",
        "--only",
        "faasgi",
        "--layouts",
        "0",
    ],
    "bench/bench_import.py": ["--apps", "plain-wsgi"],
    "bench/bench_coldstart.py": ["--runs", "1"],
    "bench/bench_emulator.py": ["--seconds", "1", "--connections", "4"],
    "bench/bench_store.py": ["--requests", "10"],
    "bench/bench_runtime.py": ["--invocations", "20"],
    "bench/bench_streaming.py": ["--runs", "1", "--chunks", "5", "--seconds", "0.2"],
    "bench/bench_websockets.py": ["--invocations", "20", "--connections", "20"],
    "bench/bench_async.py": ["--events", "20"],
    "bench/bench_template.py": ["--runs", "1", "--seconds", "1"],
}
#: What each one's output must hold.
EXPECTED = {
    "bench/bench_adapters.py": r"### Targets",
    "bench/bench_instructions.py": r"\| faasgi \| [\d,]+ \| [\d,-]+ \|",
    "bench/bench_import.py": r"\| plain-wsgi \| faasgi \| [\d.]+ \| [\d.]+ \| [\d.]+ \|",
    "bench/bench_coldstart.py": r"\| flask \| faasgi \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|",
    "bench/bench_emulator.py": r"req/s",
    "bench/bench_store.py": r"load \+ save",
    "bench/bench_runtime.py": r"\| RESPONSE_STREAM \| [\d.]+ \| [\d.]+ \|",
    "bench/bench_streaming.py": r"\| faasgi serve \| streamed \| [\d.]+ ms \|",
    "bench/bench_websockets.py": r"posts/s",
    "bench/bench_async.py": r"\| burst of 20: run \| \| \| [\d,]+ events/s \|",
    "bench/bench_template.py": r"--template template.yaml +\d+ req/s",
}


def documented_scripts() -> list[str]:
    return re.findall(r"^python (bench/\S+\.py)", DOC, flags=re.M)


def test_every_documented_benchmark_is_covered() -> None:
    assert set(documented_scripts()) == set(SMALL)


@pytest.mark.parametrize("script", sorted(SMALL))
def test_benchmark_runs(script: str) -> None:
    if script.endswith(("instructions.py", "import.py")) and shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed")
    result = subprocess.run(
        [sys.executable, script, *SMALL[script]],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(EXPECTED[script], result.stdout), result.stdout[-3000:]
