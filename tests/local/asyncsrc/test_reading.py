"""Reading a function's DeadLetterQueue, a schedule's RetryPolicy / DeadLetterConfig and S3 /
SNS events from a SAM template: the values are the template's own, the ranges EventBridge
Scheduler's (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("samtranslator")

from faasgi.local.template import load_project
from faasgi.local.template.model import Project

PROJECT = Path(__file__).parent / "project"

FUNCTION = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Job:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: job.handler
      Runtime: python3.12
{extra}
"""


def load(tmp_path: Path, extra: str) -> Project:
    (tmp_path / "job.py").write_text("def handler(event, context):\n    return 1\n")
    path = tmp_path / "template.yaml"
    path.write_text(FUNCTION.format(extra=extra))
    return load_project(str(path))


def test_the_test_templates_async_settings_are_read_as_written() -> None:
    project = load_project(str(PROJECT / "template.yaml"))
    job = project.functions["Job"]
    assert job.dead_letter == "arn:aws:sqs:us-east-1:123456789012:job-dlq"
    (broken,) = job.schedules
    assert (broken.delivery_retries, broken.delivery_max_age) == (3, 120)
    # SAM names the queue it creates <Function><Event>Queue unless QueueLogicalId says.
    assert broken.delivery_dead_letter == "arn:aws:sqs:us-east-1:123456789012:JobBrokenQueue"
    upload, alert = job.sources
    assert (upload.kind, upload.target, upload.events) == ("s3", "uploads", ("s3:ObjectCreated:*",))
    assert upload.key_filter == (("prefix", "incoming/"), ("suffix", ".txt"))
    assert (alert.kind, alert.target) == ("sns", "arn:aws:sns:us-east-1:123456789012:alerts")
    assert project.not_emulated == []


def test_a_dead_letter_queue_whose_type_and_arn_disagree_is_reported(tmp_path: Path) -> None:
    project = load(
        tmp_path,
        "      DeadLetterQueue:\n        Type: SQS\n        TargetArn: !Ref Topic\n",
    )
    assert project.functions["Job"].dead_letter is None
    assert any("DeadLetterQueue: Type SQS" in n for n in project.not_emulated)


def test_an_sns_dead_letter_queue_is_read(tmp_path: Path) -> None:
    project = load(
        tmp_path, "      DeadLetterQueue:\n        Type: SNS\n        TargetArn: !Ref Topic\n"
    )
    assert project.functions["Job"].dead_letter == ("arn:aws:sns:us-east-1:123456789012:Topic")


def test_a_retry_policy_outside_schedulers_ranges_is_reported_and_ignored(tmp_path: Path) -> None:
    project = load(
        tmp_path,
        "      Events:\n        Tick:\n          Type: ScheduleV2\n          Properties:\n"
        "            ScheduleExpression: rate(1 day)\n            RetryPolicy:\n"
        "              MaximumRetryAttempts: 186\n              MaximumEventAgeInSeconds: 59\n",
    )
    (tick,) = project.functions["Job"].schedules
    assert (tick.delivery_retries, tick.delivery_max_age) == (None, None)
    notes = project.not_emulated
    assert any("MaximumRetryAttempts: 186 is outside 0-185" in n for n in notes)
    assert any("MaximumEventAgeInSeconds: 59 is outside 60-86400" in n for n in notes)
