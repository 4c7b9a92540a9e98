"""`faasgi serve`'s async side: the options (schedules, FC timers, retry policy,
destinations), the scheduler that fires them, the async queue, the moto endpoint that
SQS/SNS/EventBridge destinations reach, and the controls in front of the gateway.

serve.py calls four things: `add_options(parser)`, `AsyncSide.from_args(args)` (before
anything starts: a mistake is a UsageError), `start_aws(resources)` (after DynamoDB, before
the pool: instances get AWS_ENDPOINT_URL) and `run(pool, gateway)` / `close()` on the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from faasgi.cli import UsageError
from faasgi.local.asyncinvoke import (
    AsyncEvent,
    AsyncFunction,
    AsyncInvoker,
    AsyncPolicy,
    platform_policy,
)
from faasgi.local.asyncoptions import add_options, refuse_cli_async
from faasgi.local.destinations import (
    Destination,
    DestinationError,
    Destinations,
    parse_destination,
)
from faasgi.local.schedules import ACCOUNT, Schedule, ScheduleError, schedule

logger = logging.getLogger("faasgi.local.async")

UTC = timezone.utc
_NAMED = re.compile(r"^([A-Za-z][\w.-]{0,63})=(.+)$", re.S)


def default_name(handler: str) -> str:
    module, _, attribute = handler.partition(":")
    name = module.rsplit(".", 1)[-1] if attribute == "handler" else attribute.rsplit(".", 1)[-1]
    return re.sub(r"[^\w-]", "-", name)


class AsyncSide:
    """The async machinery of one `faasgi serve` run: one or more functions, each with its
    platform and policy, and their schedules."""

    def __init__(
        self,
        functions: dict[str, tuple[str, AsyncPolicy]],
        schedules: list[Schedule],
        region: str,
    ) -> None:
        self.functions = functions
        self.schedules = {s.name: s for s in schedules}
        self.region = region
        self.endpoint_url: str | None = None
        #: What a template asks for that is not emulated: one line each, for the banner.
        self.notes: list[str] = []
        self.started_moto: Any = None
        self.invoker: AsyncInvoker | None = None
        self.destinations: Destinations | None = None
        #: `--record`: the Recorder and each function's (handler, source) (record.py).
        self.recorder: Any = None
        self.recorded: dict[str, tuple[str, str]] = {}
        #: S3 / SNS events of a template, as (function, model.EventSource) (asyncsources.py).
        self.sources: list[tuple[str, Any]] = []
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def from_args(cls, args: argparse.Namespace, region: str = "us-east-1") -> AsyncSide:
        platform = "fc" if args.source.startswith("fc") else "aws"
        name = args.function_name or default_name(args.handler)
        if args.schedule and platform == "fc":
            raise UsageError("--schedule is EventBridge's; an FC function has --timer")
        if args.timer and platform == "aws":
            raise UsageError("--timer is FC's timer trigger: serve it with --source fc-http")
        if args.retry_delay is not None and args.retry_delay < 0:
            raise UsageError("--retry-delay must not be negative")
        top = 2 if platform == "aws" else 8
        retries = args.max_retry_attempts
        if retries is not None and not 0 <= retries <= top:
            raise UsageError(f"--max-retry-attempts is 0-{top} on this platform")
        if args.max_event_age is not None and args.max_event_age <= 0:
            raise UsageError("--max-event-age must be positive")
        schedules = []
        try:
            for number, text in enumerate(args.schedule, 1):
                rule, expression = _named(text, f"schedule-{number}")
                kind = "scheduler" if args.scheduler else "rule"
                schedules.append(
                    schedule(
                        rule, kind, expression, args.schedule_input, region=region, function=name
                    )
                )
            for number, text in enumerate(args.timer, 1):
                timer, expression = _named(text, f"timer-{number}")
                schedules.append(
                    schedule(timer, "fc-timer", expression, args.timer_payload, function=name)
                )
        except ScheduleError as error:
            raise UsageError(str(error)) from None
        if len({s.name for s in schedules}) != len(schedules):
            raise UsageError("two schedules have the same name")
        destinations = {
            "on_success": args.on_success,
            "on_failure": args.on_failure,
            "dead_letter": args.dead_letter,
        }
        policy = platform_policy(
            platform,
            retry_delay=args.retry_delay,
            max_retries=retries,
            max_age=args.max_event_age,
            **destinations,
        )
        side = cls({name: (platform, policy)}, schedules, region)
        try:
            for key, text in destinations.items():
                if text:
                    found = parse_destination(text, region)
                    if key == "dead_letter" and found.kind not in ("sqs", "sns"):
                        raise DestinationError(f"{text}: a dead-letter queue is SQS or SNS")
                    if found.kind == "function":
                        # Itself would call itself for ever; others need --template.
                        raise DestinationError(
                            f"{text}: a function destination needs another function, and "
                            f"this emulator serves one ({name})"
                        )
        except DestinationError as error:
            raise UsageError(str(error)) from None
        return side

    @classmethod
    def from_project(
        cls, project: Any, retry_delay: float | None = None, region: str = "us-east-1"
    ) -> AsyncSide:
        """From what `faasgi serve --template` read (faasgi.local.template.model): each
        function's `async_config` (SAM EventInvokeConfig, s.yaml asyncInvokeConfig) and
        `schedules` (SAM Schedule/ScheduleV2 events, s.yaml timer triggers)."""
        kinds = {"Schedule": "rule", "ScheduleV2": "scheduler", "fc-timer": "fc-timer"}
        functions: dict[str, tuple[str, AsyncPolicy]] = {}
        schedules: list[Schedule] = []
        notes: list[str] = []
        names = set(project.functions)

        def reachable(function: str, label: str, text: str | None) -> str | None:
            """The destination if the emulator can deliver to it; else a note and None."""
            if not text:
                return None
            try:
                found = parse_destination(text, region)
            except DestinationError as error:
                notes.append(f"{function} {label}: {error}")
                return None
            if found.kind == "function" and found.name not in names:
                notes.append(f"{function} {label}: {text}: no function {found.name} here")
                return None
            return text

        try:
            for key, function in project.functions.items():
                config = function.async_config
                functions[key] = (
                    function.platform,
                    platform_policy(
                        function.platform,
                        retry_delay=retry_delay,
                        max_retries=getattr(config, "max_retries", None),
                        max_age=getattr(config, "max_event_age", None),
                        on_success=reachable(key, "OnSuccess", getattr(config, "on_success", None)),
                        on_failure=reachable(key, "OnFailure", getattr(config, "on_failure", None)),
                        dead_letter=reachable(
                            key, "DeadLetterQueue", getattr(function, "dead_letter", None)
                        ),
                    ),
                )
                for timer in function.schedules:
                    name = timer.name
                    if name in {s.name for s in schedules}:
                        name = f"{key}-{name}"
                    schedules.append(
                        schedule(
                            name,
                            kinds[timer.kind],
                            timer.expression,
                            timer.input,
                            getattr(timer, "timezone", None),
                            enabled=timer.enabled,
                            function=key,
                            region=region,
                            delivery_retries=getattr(timer, "delivery_retries", None),
                            delivery_max_age=getattr(timer, "delivery_max_age", None),
                            delivery_dead_letter=getattr(timer, "delivery_dead_letter", None),
                        )
                    )
        except ScheduleError as error:
            raise UsageError(str(error)) from None
        side = cls(functions, schedules, region)
        side.notes = notes
        side.sources = [
            (key, source)
            for key, function in project.functions.items()
            for source in getattr(function, "sources", ())
        ]
        return side

    def _aws_destinations(self) -> list[Destination]:
        texts = [
            text
            for _, policy in self.functions.values()
            for text in (policy.on_success, policy.on_failure, policy.dead_letter)
            if text
        ]
        # A schedule's own dead-letter queue exists (empty) for the user to look at.
        texts += [s.delivery_dead_letter for s in self.schedules.values() if s.delivery_dead_letter]
        found = [parse_destination(t, self.region) for t in texts]
        return [d for d in found if d.kind != "function"]

    def start_aws(self, dynamodb_endpoint: str | None, started_here: bool) -> dict[str, str]:
        """Reach moto for SQS/SNS/EventBridge destinations (DynamoDB's moto when it runs
        here; else a moto started for them); the variables instances get."""
        if not self._aws_destinations() and not self.sources:
            return {}
        if started_here and dynamodb_endpoint:
            self.endpoint_url = dynamodb_endpoint
        else:
            from faasgi.local.dynamodb import LocalDynamoDB  # moto's whole server

            self.started_moto = LocalDynamoDB()
            self.endpoint_url = self.started_moto.start()
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def stop_aws(self) -> None:
        if self.started_moto is not None:
            self.started_moto.stop()
            self.started_moto = None

    async def run(self, pools: Any, gateway: Any, invoke_api: bool = True) -> Any:
        """Start the queue and the schedules; the ASGI app to serve. `pools`: each
        function's pool by name, or the one function's pool; `invoke_api`: answer Lambda's
        Invoke API path in front of `gateway` (a template has its own on its own port)."""
        from faasgi.local.asyncfront import AsyncFront

        if not isinstance(pools, Mapping):
            (only,) = self.functions
            pools = {only: pools}
        targets = {}
        for name, (platform, policy) in self.functions.items():
            arn = (
                f"acs:fc:{self.region}:{ACCOUNT}:functions/{name}"
                if platform == "fc"
                else f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{name}:$LATEST"
            )
            targets[name] = AsyncFunction(name, pools[name], policy, arn)
        invoker = self.invoker = AsyncInvoker(targets)
        self.destinations = Destinations(invoker, self.endpoint_url, self.region)
        if self.recorder is not None:
            deliver, recorder, recorded = invoker.deliver, self.recorder, self.recorded

            async def deliver_then_record(event: AsyncEvent, target: AsyncFunction) -> None:
                handler, source = recorded.get(target.name, (target.name, "aws-http"))
                try:
                    if deliver is not None:
                        await deliver(event, target)
                finally:  # with where its result went
                    recorder.write_async(target.name, handler, source, event)

            invoker.deliver = deliver_then_record
        if self.endpoint_url:
            await asyncio.to_thread(self.destinations.prepare, self._aws_destinations())
        if self.sources and self.endpoint_url:
            from faasgi.local.asyncsources import SourceBridges, bridges

            sources = SourceBridges(
                bridges(self.sources), self.destinations.client, self._submit_source, self.region
            )
            await asyncio.to_thread(sources.prepare)
            self._tasks.append(asyncio.create_task(sources.run()))
        for item in self.schedules.values():
            if item.enabled:
                self._tasks.append(asyncio.create_task(self._tick(item)))
        api = None
        if invoke_api:
            from faasgi.local.invoke_api import InvokeApi

            api = InvokeApi(pools, self.region, self.submit)
        return AsyncFront(gateway, invoker, self.schedules, self.fire, api)

    def submit(
        self,
        function: str,
        payload: bytes,
        request_id: str | None = None,
        origin: str = "Invoke API",
    ) -> str:
        """An async event for `function` (an Invoke API Event, an FC HTTP request with
        `X-Fc-Invocation-Type: Async`), queued; its request id."""
        assert self.invoker is not None
        return self.invoker.submit(
            function, payload, origin=origin, request_id=request_id
        ).request_id

    def _submit_source(self, function: str, payload: bytes, origin: str) -> None:
        assert self.invoker is not None
        self.invoker.submit(function, payload, origin=origin)

    def fire(self, item: Schedule, when: datetime | None = None) -> AsyncEvent:
        """Send `item`'s event for the firing due at `when` (default: now)."""
        assert self.invoker is not None
        due = (when or datetime.now(UTC)).replace(microsecond=0)
        origin = f"{'timer' if item.kind == 'fc-timer' else 'schedule'} {item.name}"
        return self.invoker.submit(item.function, item.event(due), origin=origin, scheduled=due)

    async def _tick(self, item: Schedule) -> None:
        while True:
            now = datetime.now(UTC)
            try:
                due = item.next_after(now)
            except ScheduleError as error:
                logger.info("%s: %s", item.name, error)
                return
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
            self.fire(item, due)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.invoker is not None:
            await self.invoker.close()

    def banner(self) -> list[str]:
        """The banner's async lines: none unless a schedule or destination is set (the
        Invoke API and the log page are always there, see docs/async.md)."""
        policies = [policy for _, policy in self.functions.values()]
        if (
            not self.schedules
            and not self.sources
            and not any(p.on_success or p.on_failure or p.dead_letter for p in policies)
        ):
            return []
        lines = []
        for name, (_, policy) in self.functions.items():
            delays = ", ".join(f"{d:g}" for d in policy.delays[: max(1, policy.max_retries)])
            lines.append(
                f"  async      {name}: {policy.max_retries} retries (after {delays} s), "
                f"events live {policy.max_age:g} s; Invoke API at /2015-03-31/functions/"
                f"{name}/invocations; log page /_faasgi/async"
            )
            for label, text in (
                ("OnSuccess", policy.on_success),
                ("OnFailure", policy.on_failure),
                ("DLQ", policy.dead_letter),
            ):
                if text:
                    lines.append(f"  {label:<10} {parse_destination(text, self.region)}")
        for item in self.schedules.values():
            payload = f", input {item.input}" if item.input is not None else ""
            state = "" if item.enabled else " (disabled: fires on faasgi trigger only)"
            lines.append(f"  schedule   {item.name}: {item.text}{payload}{state}")
            delivery = item.delivery_text()
            if delivery:
                lines.append(f"  delivery   {item.name}: {delivery}")
        if self.sources:
            from faasgi.local.asyncsources import bridges

            lines.extend(
                f"  source     {b.name}: {b.describe()} -> {b.function}, async"
                for b in bridges(self.sources)
            )
        if self.endpoint_url:
            lines.append(
                f"  AWS        {self.endpoint_url} (moto: S3, SQS, SNS, EventBridge; instances "
                "get AWS_ENDPOINT_URL)"
            )
        lines.extend(f"  not run    {note}" for note in self.notes)
        return lines


def _named(text: str, default: str) -> tuple[str, str]:
    """`NAME=EXPR` or `EXPR` (named `default`)."""
    found = _NAMED.match(text.strip())
    if found and found.group(1) != "CRON_TZ":
        return found.group(1), found.group(2).strip()
    return default, text.strip()


__all__ = ["AsyncSide", "add_options", "default_name", "refuse_cli_async"]
