"""`faasgi serve`'s async options (docs/async.md), and their refusal with `--template`,
where the template sets them."""

from __future__ import annotations

import argparse

from faasgi.cli import UsageError


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("asynchronous invocations (docs/async.md)")
    group.add_argument(
        "--schedule",
        action="append",
        default=[],
        metavar="[NAME=]EXPR",
        help="an EventBridge schedule: 'rate(5 minutes)' or 'cron(0 12 * * ? *)' (repeatable)",
    )
    group.add_argument(
        "--scheduler",
        action="store_true",
        help="send EventBridge Scheduler events (SAM ScheduleV2) rather than a rule's",
    )
    group.add_argument(
        "--schedule-input", metavar="JSON", help="the schedules' Input (replaces the event)"
    )
    group.add_argument(
        "--timer",
        action="append",
        default=[],
        metavar="[NAME=]CRON",
        help="an FC timer trigger: '0 0 4 * * *' (seconds first, UTC) or '@every 5m'",
    )
    group.add_argument("--timer-payload", metavar="TEXT", help="the FC timers' payload")
    group.add_argument(
        "--retry-delay",
        type=float,
        metavar="SECONDS",
        help="first retry after SECONDS, later ones spaced as the platform does "
        "(default: the platform's, 60 s on Lambda)",
    )
    group.add_argument(
        "--max-retry-attempts",
        type=int,
        metavar="N",
        help="MaximumRetryAttempts (Lambda 0-2, default 2; FC default 3)",
    )
    group.add_argument(
        "--max-event-age",
        type=float,
        metavar="SECONDS",
        help="MaximumEventAgeInSeconds (default 21600 on Lambda, 86400 on FC)",
    )
    group.add_argument("--on-success", metavar="ARN", help="OnSuccess destination")
    group.add_argument("--on-failure", metavar="ARN", help="OnFailure destination")
    group.add_argument("--dead-letter", metavar="ARN", help="DeadLetterQueue (SQS or SNS)")
    group.add_argument(
        "--function-name",
        metavar="NAME",
        help="the function's name in ARNs and the Invoke API (default: from MODULE:HANDLER)",
    )


def refuse_cli_async(args: argparse.Namespace) -> None:
    """With --template, schedules and destinations come from the template, not options."""
    given = [
        option
        for option, value in (
            ("--schedule", args.schedule),
            ("--timer", args.timer),
            ("--on-success", args.on_success),
            ("--on-failure", args.on_failure),
            ("--dead-letter", args.dead_letter),
            ("--max-retry-attempts", args.max_retry_attempts),
            ("--max-event-age", args.max_event_age),
        )
        if value
    ]
    if given:
        raise UsageError(
            f"{', '.join(given)}: with --template these come from the template "
            "(Schedule events, EventInvokeConfig; s.yaml timer triggers, asyncInvokeConfig)"
        )


__all__ = ["add_options", "refuse_cli_async"]
