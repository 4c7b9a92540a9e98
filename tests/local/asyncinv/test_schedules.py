"""Schedule expressions and the events they send. Expected firing dates are read off a
calendar for the meaning the platforms' docs give each field (AWS:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html, FC:
https://www.alibabacloud.com/help/doc-detail/171746.htm); event shapes come from the public
sample events in tests/fixtures/events and ./fixtures (see their SOURCES.md)."""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from faasgi.lifecycle import Invocation
from faasgi.local.schedules import ScheduleError, parse_aws, parse_fc, schedule
from faasgi.triggers import kind_of

UTC = timezone.utc
FIXTURES = Path(__file__).parents[2] / "fixtures" / "events"
HERE = Path(__file__).parent / "fixtures"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def firings(expression: str, start: str, count: int = 2, fc: bool = False) -> list[str]:
    parsed = parse_fc(expression) if fc else parse_aws(expression)
    times = itertools.islice(parsed.times_after(at(start)), count)
    return [t.strftime("%Y-%m-%d %H:%M:%S") for t in times]


@pytest.mark.parametrize(
    ("expression", "start", "expected"),
    [
        # The doc's examples.
        ("cron(0 10 * * ? *)", "2026-11-30 10:00", ["2026-12-01 10:00:00", "2026-12-02 10:00:00"]),
        ("cron(15 12 * * ? *)", "2026-11-30 06:00", ["2026-11-30 12:15:00", "2026-12-01 12:15:00"]),
        # Saturday 5 December 2026: next Monday, then Tuesday.
        (
            "cron(0 18 ? * MON-FRI *)",
            "2026-12-05 00:00",
            ["2026-12-07 18:00:00", "2026-12-08 18:00:00"],
        ),
        ("cron(0 8 1 * ? *)", "2026-11-30 00:00", ["2026-12-01 08:00:00", "2027-01-01 08:00:00"]),
        (
            "cron(0/15 * * * ? *)",
            "2026-11-30 06:50",
            ["2026-11-30 07:00:00", "2026-11-30 07:15:00"],
        ),
        # Friday 17:56: the next is Monday 08:00.
        (
            "cron(0/5 8-17 ? * MON-FRI *)",
            "2026-12-04 17:56",
            ["2026-12-07 08:00:00", "2026-12-07 08:05:00"],
        ),
        # "2#1": the first Monday (day 2 of AWS's week) of each month.
        ("cron(0 9 ? * 2#1 *)", "2026-11-30 06:50", ["2026-12-07 09:00:00", "2027-01-04 09:00:00"]),
        # "3#2": the second Tuesday, the doc's own example.
        (
            "cron(0 10 ? * 3#2 *)",
            "2026-11-30 06:50",
            ["2026-12-08 10:00:00", "2027-01-12 10:00:00"],
        ),
        # Day-of-week 1-7 is SUN-SAT, not MON-SUN nor 0-6.
        ("cron(0 12 ? * 1 *)", "2026-11-30 06:50", ["2026-12-06 12:00:00", "2026-12-13 12:00:00"]),
        ("cron(0 12 ? * 7 *)", "2026-11-30 06:50", ["2026-12-05 12:00:00", "2026-12-12 12:00:00"]),
        (
            "cron(0 18 ? * 2-6 *)",
            "2026-12-05 00:00",
            ["2026-12-07 18:00:00", "2026-12-08 18:00:00"],
        ),
        # "6L": the last Friday.
        ("cron(0 0 ? * 6L *)", "2026-11-30 06:50", ["2026-12-25 00:00:00", "2027-01-29 00:00:00"]),
        ("cron(0 0 L 2 ? *)", "2026-01-01 00:00", ["2026-02-28 00:00:00", "2027-02-28 00:00:00"]),
        # "3W": the weekday nearest the 3rd: Thursday 3 Dec, but Monday 4 Jan (the 3rd is a Sunday).
        ("cron(0 0 3W * ? *)", "2026-11-30 00:00", ["2026-12-03 00:00:00", "2027-01-04 00:00:00"]),
        # Never leaves the month: 1 May 2027 is a Saturday -> Monday 3 May, not 30 April.
        ("cron(0 0 1W 5 ? *)", "2027-01-01 00:00", ["2027-05-03 00:00:00", "2028-05-01 00:00:00"]),
        # 31 October 2027 is a Sunday and the last day -> Friday 29 October.
        (
            "cron(0 0 31W 10 ? *)",
            "2027-01-01 00:00",
            ["2027-10-29 00:00:00", "2028-10-31 00:00:00"],
        ),
        (
            "cron(30 14 10,20 * ? 2027-2028)",
            "2026-11-30 00:00",
            ["2027-01-10 14:30:00", "2027-01-20 14:30:00"],
        ),
    ],
)
def test_aws_cron_fires_when_the_eventbridge_doc_says(
    expression: str, start: str, expected: list[str]
) -> None:
    assert firings(expression, start) == expected


def test_a_cron_limited_to_past_years_never_fires_again() -> None:
    item = schedule("old", "rule", "cron(0 0 1 1 ? 2020)")
    with pytest.raises(ScheduleError, match="never fires"):
        item.next_after(at("2026-11-30 00:00"))


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("cron(0 10 * * * *)", "must be '\\?'"),
        ("cron(0 10 ? * ? *)", "must be '\\?'"),
        ("cron(0 10 * * ?)", "6 fields"),
        ("cron(0 10 ? * 8 *)", "day-of-week"),
        ("cron(0 10 ? * 0 *)", "day-of-week"),
        ("cron(0 10 * * ? 1969)", "1970-2199"),
        ("cron(61 10 * * ? *)", "cron"),
        ("rate(1 minutes)", "rate\\(1 minute\\)"),
        ("rate(5 minute)", "rate\\(5 minutes\\)"),
        ("rate(0 minutes)", "positive"),
        ("every 5 minutes", "expected rate"),
    ],
)
def test_expressions_eventbridge_refuses_are_refused(expression: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_aws(expression)


def test_a_rate_counts_from_when_the_schedule_was_created() -> None:
    created = at("2026-11-30 06:50:07")
    item = schedule("tick", "rule", "rate(5 minutes)", created=created)
    assert item.next_after(created) == created + timedelta(minutes=5)
    assert item.next_after(created + timedelta(minutes=5)) == created + timedelta(minutes=10)


def test_fc_cron_has_seconds_first_and_is_utc() -> None:
    assert firings("0 0 4 * * *", "2026-11-30 06:50", fc=True) == [
        "2026-12-01 04:00:00",
        "2026-12-02 04:00:00",
    ]
    assert firings("30 */15 * * * *", "2026-11-30 06:50", fc=True) == [
        "2026-11-30 07:00:30",
        "2026-11-30 07:15:30",
    ]
    # The doc's time-zone example: 04:00 on the 1st in Shanghai (UTC+8) is 20:00 UTC the day before.
    assert firings("CRON_TZ=Asia/Shanghai 0 0 4 1 * *", "2026-11-30 06:50", fc=True) == [
        "2026-11-30 20:00:00",
        "2026-12-31 20:00:00",
    ]


def test_fc_every_is_an_interval() -> None:
    item = schedule("t", "fc-timer", "@every 1h30m", created=at("2026-11-30 06:00"))
    assert item.next_after(at("2026-11-30 06:00")) == at("2026-11-30 07:30")
    with pytest.raises(ScheduleError):
        parse_fc("0 0 4 * *")


def fixture(path: Path) -> dict[str, object]:
    return dict(json.loads(path.read_text()))


def test_a_rule_sends_the_classic_scheduled_event_with_the_scheduled_time() -> None:
    sample = fixture(FIXTURES / "aws-sam-cli/cloudwatch/ScheduledEvent.json")
    item = schedule("nightly", "rule", "cron(0 0 * * ? *)")
    event = json.loads(item.event(at("2026-01-01 00:00:00")))

    # The SAM CLI sample omits "version" ("0" in the EventBridge event structure).
    assert set(event) == set(sample) | {"version"}
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "aws.events",
        "Scheduled Event",
        {},
    )
    assert event["time"] == "2026-01-01T00:00:00Z"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/nightly"]
    assert kind_of(event) == "schedule"
    assert Invocation(event, None, "schedule", False).trigger_time == at("2026-01-01 00:00")


def test_a_scheduler_schedule_sends_its_detail_as_the_string_of_an_empty_object() -> None:
    sample = fixture(HERE / "eventBridgeSchedulerEvent.json")
    item = schedule("aaaaa", "scheduler", "rate(1 minute)")
    event = json.loads(item.event(at("2025-02-20 16:03:00")))

    assert set(event) == set(sample)
    assert event["detail"] == sample["detail"] == "{}"
    assert event["source"] == sample["source"] == "aws.scheduler"
    assert event["time"] == sample["time"]
    assert event["resources"] == sample["resources"]


def test_an_input_replaces_the_whole_event() -> None:
    item = schedule("x", "rule", "rate(1 minute)", input='{"job": "report"}')
    assert json.loads(item.event(at("2026-01-01 00:00"))) == {"job": "report"}
    with pytest.raises(ScheduleError, match="JSON"):
        schedule("x", "rule", "rate(1 minute)", input="{not json")


def test_an_fc_timer_sends_trigger_time_name_and_payload() -> None:
    item = schedule("my_trigger", "fc-timer", "0 0 4 * * *", input="hello")
    event = json.loads(item.event(at("2022-07-29 10:02:58")))

    assert event == {
        "triggerTime": "2022-07-29T10:02:58Z",
        "triggerName": "my_trigger",
        "payload": "hello",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["triggerTime"])
    assert kind_of(event) == "fc-timer"
    assert Invocation(event, None, "fc-timer", False).trigger_time == at("2022-07-29 10:02:58")
