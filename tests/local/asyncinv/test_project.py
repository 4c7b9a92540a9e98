"""The async side built from what `faasgi serve --template` reads: each function's
EventInvokeConfig / asyncInvokeConfig and its schedules. The template reader's model
(faasgi.local.template.model, on the `template` branch) is stood in for by namespaces with
the same fields until it is merged."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from types import SimpleNamespace as Model
from typing import Any

import pytest

from faasgi.cli import UsageError
from faasgi.local.asyncserve import AsyncSide


def function(name: str, platform: str = "aws", **fields: Any) -> Any:
    return Model(
        name=name,
        platform=platform,
        async_config=fields.get("async_config"),
        schedules=fields.get("schedules", []),
    )


def timer(name: str, kind: str, expression: str, **fields: Any) -> Any:
    return Model(
        name=name,
        kind=kind,
        expression=expression,
        input=fields.get("input"),
        enabled=fields.get("enabled", True),
        timezone=fields.get("timezone"),
    )


def test_event_invoke_config_and_schedules_become_policies_and_schedules() -> None:
    project = Model(
        functions={
            "Report": function(
                "Report",
                async_config=Model(
                    max_retries=0,
                    max_event_age=120,
                    on_success=None,
                    on_failure="arn:aws:sqs:us-east-1:123456789012:failures",
                ),
                schedules=[
                    timer("Nightly", "Schedule", "cron(0 3 * * ? *)", input='{"a": 1}'),
                    timer("Paused", "ScheduleV2", "rate(5 minutes)", enabled=False),
                ],
            ),
            "Cleaner": function(
                "Cleaner", "fc", schedules=[timer("Nightly", "fc-timer", "0 0 4 * * *")]
            ),
        }
    )
    side = AsyncSide.from_project(project, retry_delay=0.5)

    platform, policy = side.functions["Report"]
    assert (platform, policy.max_retries, policy.max_age, policy.delays[:2]) == (
        "aws",
        0,
        120,
        (0.5, 1.0),
    )
    assert policy.on_failure == "arn:aws:sqs:us-east-1:123456789012:failures"
    assert side.functions["Cleaner"][1].max_retries == 3  # FC's default
    nightly, paused, cleaner = side.schedules.values()
    assert (nightly.name, nightly.kind, nightly.function, nightly.input) == (
        "Nightly",
        "rule",
        "Report",
        '{"a": 1}',
    )
    assert (paused.kind, paused.enabled) == ("scheduler", False)
    assert (cleaner.name, cleaner.kind, cleaner.function) == (
        "Cleaner-Nightly",
        "fc-timer",
        "Cleaner",
    )
    assert "  schedule   Paused: rate(5 minutes) (disabled: fires on faasgi trigger only)" in (
        side.banner()
    )


def test_a_schedule_v2_cron_runs_in_its_time_zone() -> None:
    project = Model(
        functions={
            "Job": function(
                "Job",
                schedules=[
                    timer("Morning", "ScheduleV2", "cron(0 9 * * ? *)", timezone="Asia/Tokyo")
                ],
            )
        }
    )
    (morning,) = AsyncSide.from_project(project).schedules.values()
    start = datetime(2026, 11, 30, 0, 30, tzinfo=timezone.utc)
    first = next(itertools.islice(morning.expression.times_after(start), 1))
    assert first == datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)  # 09:00 JST


def test_destinations_the_emulator_cannot_reach_are_noted_not_fatal() -> None:
    project = Model(
        functions={
            "Job": function(
                "Job",
                async_config=Model(
                    max_retries=None,
                    max_event_age=None,
                    on_success="function:Audit",
                    on_failure="acs:mns:cn-hangzhou:123:/queues/q/messages",
                ),
            )
        }
    )
    side = AsyncSide.from_project(project)
    _, policy = side.functions["Job"]
    assert (policy.on_success, policy.on_failure) == (None, None)
    assert side.notes[0] == "Job OnSuccess: function:Audit: no function Audit here"
    assert "MNS" in side.notes[1]


def test_a_schedule_the_platform_would_refuse_is_a_usage_error() -> None:
    project = Model(
        functions={"Job": function("Job", schedules=[timer("Bad", "Schedule", "cron(0 10 * * *)")])}
    )
    with pytest.raises(UsageError, match="6 fields"):
        AsyncSide.from_project(project)
