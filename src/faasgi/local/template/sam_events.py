"""A SAM function's asynchronous sources and settings: `Schedule` / `ScheduleV2` events
(with the rule's or schedule's own `RetryPolicy` and `DeadLetterConfig`), `S3` and `SNS`
events, and the function's `DeadLetterQueue`.

Two layers of retries, as on AWS: the rule's / Scheduler's `RetryPolicy` and
`DeadLetterConfig` cover handing the event to Lambda ("when sending an event to a Lambda
function that doesn't exist, or insufficient permissions"); the function's
`DeadLetterQueue` and `EventInvokeConfig` cover what happens after Lambda accepted it
(throttling, errors the function returns)
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-scheduledeadletterconfig.html).
"""

from __future__ import annotations

from typing import Any

from faasgi.local.template.intrinsics import ACCOUNT
from faasgi.local.template.model import EventSource, Function, Project, Schedule

#: EventBridge Scheduler's RetryPolicy ranges
#: (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html);
#: a rule's target RetryPolicy has the same ones
#: (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html).
RETRY_RANGE = (0, 185)
AGE_RANGE = (60, 86400)

#: SAM `DeadLetterQueue.Type` (sam-resource-function.html#sam-function-deadletterqueue).
DEAD_LETTER_TYPES = ("SQS", "SNS")


def read_dead_letter(
    logical: str, props: dict[str, Any], function: Function, project: Project
) -> None:
    """`DeadLetterQueue: {Type: SQS|SNS, TargetArn}` (already resolved)."""
    raw = props.get("DeadLetterQueue")
    if raw is None:
        return
    kind = raw.get("Type") if isinstance(raw, dict) else None
    target = raw.get("TargetArn") if isinstance(raw, dict) else None
    if kind not in DEAD_LETTER_TYPES or not isinstance(target, str) or not target:
        project.not_emulated.append(
            f"{logical}.DeadLetterQueue: expected Type SQS or SNS and a TargetArn, got {raw!r}"
        )
        return
    service = target.split(":")[2] if target.count(":") >= 5 else ""
    if service != kind.lower():
        project.not_emulated.append(
            f"{logical}.DeadLetterQueue: Type {kind} but TargetArn {target} is not one"
        )
        return
    function.dead_letter = target


def read_schedule(
    logical: str, event_name: str, kind: str, props: dict[str, Any], region: str, project: Project
) -> Schedule:
    """A Schedule / ScheduleV2 event, with its delivery RetryPolicy and DeadLetterConfig."""
    where = f"{logical} event {event_name}"
    expression = props.get("Schedule") or props.get("ScheduleExpression") or ""
    state = props.get("State")
    enabled = props.get("Enabled", True) if state is None else state == "ENABLED"
    payload = props.get("Input")
    retries = age = None
    policy = props.get("RetryPolicy")
    if isinstance(policy, dict):
        retries = _bounded(where, "MaximumRetryAttempts", policy, RETRY_RANGE, project)
        age = _bounded(where, "MaximumEventAgeInSeconds", policy, AGE_RANGE, project)
    dead_letter = None
    config = props.get("DeadLetterConfig")
    if isinstance(config, dict):
        if config.get("Arn"):
            dead_letter = str(config["Arn"])
        elif config.get("Type") == "SQS":
            # SAM creates the queue; its logical id is QueueLogicalId or <Function><Event>Queue
            # (sam-property-function-scheduledeadletterconfig.html, QueueLogicalId).
            name = str(config.get("QueueLogicalId") or f"{logical}{event_name}Queue")
            dead_letter = f"arn:aws:sqs:{region}:{ACCOUNT}:{name}"
        else:
            project.not_emulated.append(f"{where}.DeadLetterConfig: give Arn or Type: SQS")
    return Schedule(
        event_name,
        kind,
        str(expression),
        None if payload is None else str(payload),
        bool(enabled),
        props.get("ScheduleExpressionTimezone"),
        retries,
        age,
        dead_letter,
    )


def read_s3(
    where: str, event_name: str, props: dict[str, Any], project: Project
) -> EventSource | None:
    """`S3: {Bucket, Events, Filter: {S3Key: {Rules: [{Name, Value}]}}}`
    (sam-property-function-s3.html)."""
    bucket = props.get("Bucket")
    events = props.get("Events")
    if isinstance(events, str):
        events = [events]
    if not isinstance(bucket, str) or not bucket or not isinstance(events, list) or not events:
        project.not_emulated.append(f"{where}: an S3 event needs Bucket (a !Ref) and Events")
        return None
    rules: list[tuple[str, str]] = []
    key = ((props.get("Filter") or {}).get("S3Key") or {}) if isinstance(props, dict) else {}
    for rule in key.get("Rules") or []:
        if isinstance(rule, dict) and rule.get("Name") in ("prefix", "suffix"):
            rules.append((str(rule["Name"]), str(rule.get("Value", ""))))
        else:
            project.not_emulated.append(f"{where}: S3 filter rule {rule!r} (prefix/suffix)")
    return EventSource(event_name, "s3", bucket, tuple(str(e) for e in events), tuple(rules))


def read_sns(
    where: str, event_name: str, props: dict[str, Any], project: Project
) -> EventSource | None:
    """`SNS: {Topic, FilterPolicy, SqsSubscription}` (sam-property-function-sns.html)."""
    topic = props.get("Topic")
    if not isinstance(topic, str) or not topic.startswith("arn:aws:sns:"):
        project.not_emulated.append(f"{where}: an SNS event needs Topic (a topic ARN or !Ref)")
        return None
    if props.get("SqsSubscription"):
        project.not_emulated.append(
            f"{where}: SqsSubscription (the function gets the topic's messages directly)"
        )
    policy = props.get("FilterPolicy")
    if policy is not None and props.get("FilterPolicyScope", "MessageAttributes") != (
        "MessageAttributes"
    ):
        project.not_emulated.append(f"{where}: FilterPolicyScope MessageBody (ignored)")
        policy = None
    import json

    text = None if policy is None else json.dumps(policy)
    return EventSource(event_name, "sns", topic, filter_policy=text)


def _bounded(
    where: str, key: str, policy: dict[str, Any], bounds: tuple[int, int], project: Project
) -> int | None:
    value = policy.get(key)
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if not bounds[0] <= number <= bounds[1]:
        project.not_emulated.append(
            f"{where}.RetryPolicy.{key}: {value!r} is outside {bounds[0]}-{bounds[1]} (ignored)"
        )
        return None
    return number


__all__ = ["read_dead_letter", "read_s3", "read_schedule", "read_sns"]
