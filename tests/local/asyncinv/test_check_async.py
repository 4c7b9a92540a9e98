"""`faasgi check` with schedule steps: the README's two commands, the clock-reading job
flagged, the trigger-time one passed; and scenario mistakes as one-line usage errors."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from faasgi.cli import UsageError
from faasgi.local.checkasync import split_scenario
from tests.local.asyncinv.conftest import FAASGI
from tests.local.conftest import ROOT

EXAMPLE = ROOT / "examples" / "timer"


def readme_checks() -> dict[str, list[str]]:
    lines = (EXAMPLE / "README.md").read_text().splitlines()
    found = [shlex.split(line, comments=True) for line in lines if "faasgi check" in line]
    return {words[2]: words[3:] for words in found if words[:2] == ["faasgi", "check"]}


@pytest.mark.slow
def test_check_flags_the_job_that_reads_the_clock_and_passes_the_other() -> None:
    checks = readme_checks()
    assert set(checks) == {"app:wrong", "app:right"}
    done = {
        handler: subprocess.run(
            [*FAASGI, "check", handler, *options],
            capture_output=True,
            text=True,
            cwd=str(EXAMPLE),
            timeout=120,
        )
        for handler, options in checks.items()
    }

    wrong, right = done["app:wrong"], done["app:right"]
    assert wrong.returncode == 1, wrong.stderr
    assert wrong.stdout.count("DEPENDS ON THE RUN TIME") == 3
    assert "step 1 (schedule every-minute at 2026-01-01T12:00:00Z)" in wrong.stdout
    assert right.returncode == 0, right.stdout + right.stderr
    assert right.stdout.count("the answer follows the trigger time") == 3


def test_schedule_steps_are_split_from_http_steps_in_order() -> None:
    http, scheduled = split_scenario(
        [
            {"method": "GET", "path": "/"},
            {"schedule": "nightly", "time": "2026-01-01T00:00:00Z", "input": {"a": 1}},
        ],
        "s.json",
    )
    assert http == [{"method": "GET", "path": "/"}]
    (step,) = scheduled
    assert (step.number, step.name, step.time.isoformat(), step.input) == (
        2,
        "nightly",
        "2026-01-01T00:00:00+00:00",
        json.dumps({"a": 1}),
    )


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"schedule": "nightly"}, "'time'"),
        ({"schedule": "nightly", "time": "noon"}, "'time'"),
        ({"schedule": "", "time": "2026-01-01T00:00:00Z"}, "'schedule'"),
        ({"schedule": "n", "time": "2026-01-01T00:00:00Z", "when": 1}, "unknown key"),
        ({"schedule": "n", "time": "2026-01-01T00:00:00Z", "kind": "cron"}, "'kind'"),
    ],
)
def test_bad_schedule_steps_name_the_step(step: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message) as error:
        split_scenario([step], "s.json")
    assert "s.json, step 1" in str(error.value)


def test_a_scenario_file_that_is_not_there_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [*FAASGI, "check", "app:right", "--scenario", str(tmp_path / "none.json")],
        capture_output=True,
        text=True,
        cwd=str(EXAMPLE),
        timeout=60,
    )
    assert done.returncode == 2
    assert "cannot read" in done.stderr


def test_the_commands_docs_async_shows_are_the_ones_the_example_tests_run() -> None:
    """docs/async.md's shell lines are the README's, which the example tests execute."""

    def sh_lines(path: Path) -> list[str]:
        text = path.read_text()
        blocks = "".join(re.findall(r"```sh\n(.*?)```", text, re.S))
        return [line for line in blocks.replace("\\\n", " ").splitlines() if line.strip()]

    shown = sh_lines(ROOT / "docs" / "async.md")
    assert shown
    assert set(shown) <= set(sh_lines(EXAMPLE / "README.md"))
