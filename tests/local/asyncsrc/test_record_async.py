"""`faasgi serve --template ... --record DIR` writes async events too (an S3 event and a
failing schedule, once each, with the answer of their last attempt and what became of
them), and `faasgi replay` replays them: the same handler agrees, a changed one is caught."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faasgi.testing.emulator import Emulator
from tests.local.asyncinv.conftest import aws_endpoint, trigger, wait_finished
from tests.local.asyncsrc.test_sources import PROJECT, client

pytest.importorskip("samtranslator")
pytest.importorskip("boto3")
pytestmark = pytest.mark.slow

CHANGED = (PROJECT / "job.py").read_text().replace('{"done": True}', '{"done": "changed"}')


def replay(folder: Path, record: Path, spec: str, calls: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-c", "from faasgi.cli import run; run()", "replay", str(record)),
            *("--against", spec, "--no-dynamodb", "-e", f"CALLS_LOG={calls}"),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), *sys.path])},
    )


def test_async_events_are_recorded_with_their_result_and_replayed(tmp_path: Path) -> None:
    record, calls = tmp_path / "record", tmp_path / "calls.jsonl"
    emulator = Emulator(
        f"--template={PROJECT / 'template.yaml'}",
        "--invoke-port",
        "0",
        "--no-dynamodb",
        "--retry-delay",
        "0.1",
        "--record",
        str(record),
        env={"CALLS_LOG": str(calls)},
    )
    emulator.start()
    try:
        client("s3", aws_endpoint(emulator)).put_object(
            Bucket="uploads", Key="incoming/r.txt", Body=b"abc"
        )
        wait_finished(emulator, 1)
        assert trigger(emulator, "Broken").returncode == 0
        wait_finished(emulator, 2)
    finally:
        emulator.stop()

    records = [json.loads(p.read_text()) for p in sorted(record.glob("*.json"))]
    assert [r["async"]["origin"] for r in records] == ["s3 Upload", "schedule Broken"]
    uploaded, broken = records
    assert uploaded["answer"] == {"done": True} and uploaded["failure"] is None
    assert uploaded["async"]["condition"] == "Success"
    assert uploaded["event"]["Records"][0]["s3"]["bucket"]["name"] == "uploads"
    # EventInvokeConfig MaximumRetryAttempts 1: two attempts, then the DLQ.
    assert broken["event"] == {"fail": True} and broken["failure"] == "error"
    assert broken["answer"]["errorMessage"] == "failed on purpose"
    assert (broken["async"]["attempts"], broken["async"]["condition"]) == (2, "RetriesExhausted")
    assert any("DeadLetterQueue" in d for d in broken["async"]["deliveredTo"])

    same = replay(PROJECT, record, "job:handler", calls)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "2 recorded answers, the same" in same.stdout

    (tmp_path / "changed_job.py").write_text(CHANGED)
    changed = replay(tmp_path, record, "changed_job:handler", calls)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert "answer 1 of 2 differs" in changed.stdout
    assert "async from s3 Upload, Success" in changed.stdout
