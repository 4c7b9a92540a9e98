"""Schedules the emulator fires: EventBridge `rate(...)` / `cron(...)` expressions (a SAM
`Schedule` rule or a `ScheduleV2` EventBridge Scheduler schedule) and Function Compute timer
triggers (`cronExpression`), with the event each platform sends.

Cron arithmetic is cronsim's (a maintained library, also behind Healthchecks.io); this
module only translates AWS's 6-field dialect into it:

- AWS: `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, day-of-week 1-7 = SUN-SAT,
  `?` in one of the day fields, `L`, `W`, `#`; UTC.
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html
- FC: `Seconds Minutes Hours Day-of-month Month Day-of-week`, UTC unless prefixed with
  `CRON_TZ=Zone`, or `@every 5m`.
  https://www.alibabacloud.com/help/doc-detail/171746.htm

cronsim knows seconds, `L`, `LW` and `#` but not `nW` (the weekday nearest day n) nor a year
field: both are filters applied to its answers here.
"""

from __future__ import annotations

import calendar
import dataclasses
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

UTC = timezone.utc

#: The account and region the emulator's events claim (moto's default account).
ACCOUNT = "123456789012"

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.I)
_CRON = re.compile(r"^cron\((.*)\)$", re.I | re.S)
_EVERY = re.compile(r"^@every\s+((?:\d+(?:\.\d+)?(?:h|m|s))+)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


class ScheduleError(ValueError):
    """An expression the platform would refuse; the message says which part and why."""


# -- expressions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rate:
    """`rate(5 minutes)`: every `seconds`, counted from when the schedule was created."""

    seconds: int

    def times_after(self, start: datetime) -> Iterator[datetime]:
        moment = start
        while True:
            moment = moment + timedelta(seconds=self.seconds)
            yield moment


@dataclass(frozen=True, slots=True)
class Cron:
    """A cron expression in cronsim's syntax, plus the filters cronsim lacks."""

    expression: str
    #: Years allowed (AWS's sixth field); None: any.
    years: frozenset[int] | None = None
    #: Day n of `nW`: only the weekday nearest it in each month.
    nearest_weekday: int | None = None
    zone: str | None = None

    def times_after(self, start: datetime) -> Iterator[datetime]:
        from cronsim import CronSim

        tz = _zone(self.zone)
        local = start.astimezone(tz).replace(tzinfo=None)
        if self.years is not None and local.year < min(self.years):
            # Skip to the first allowed year rather than walk every match before it.
            local = datetime(min(self.years), 1, 1) - timedelta(seconds=1)
        for moment in CronSim(self.expression, local):
            if self.years is not None:
                if moment.year > max(self.years):
                    return
                if moment.year not in self.years:
                    continue
            nearest = self.nearest_weekday
            if nearest is not None and moment.day != _nearest_weekday(
                moment.year, moment.month, nearest
            ):
                continue
            yield moment.replace(tzinfo=tz).astimezone(UTC)


Expression = Rate | Cron


def parse_aws(text: str) -> Expression:
    """An EventBridge schedule expression: `rate(N unit)` or 6-field `cron(...)`."""
    text = text.strip()
    rate = _RATE.match(text)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2).lower().rstrip("s")
        if count < 1:
            raise ScheduleError(f"{text}: the rate must be a positive number")
        # "1 minute" but "5 minutes": EventBridge refuses the other forms.
        if (count == 1) != (not rate.group(2).lower().endswith("s")):
            right = f"1 {unit}" if count == 1 else f"{count} {unit}s"
            raise ScheduleError(f"{text}: EventBridge wants rate({right})")
        return Rate(count * _UNITS[unit])
    cron = _CRON.match(text)
    if not cron:
        raise ScheduleError(
            f"{text!r}: expected rate(N minutes|hours|days) or cron(min hour dom month dow year)"
        )
    return aws_cron(cron.group(1))


def aws_cron(fields_text: str) -> Cron:
    """cron() fields, AWS's dialect, as a Cron for cronsim."""
    fields = fields_text.upper().split()
    if len(fields) != 6:
        raise ScheduleError(
            f"cron({fields_text}): AWS cron has 6 fields (minutes hours day-of-month month "
            f"day-of-week year), got {len(fields)}"
        )
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(
            f"cron({fields_text}): one of day-of-month and day-of-week must be '?', not both"
        )
    nearest = None
    weekday = re.fullmatch(r"(\d{1,2})W", dom)
    if weekday:
        nearest = int(weekday.group(1))
        if not 1 <= nearest <= 31:
            raise ScheduleError(f"cron({fields_text}): bad day-of-month {dom}")
        # Its nearest weekday is within two days and never leaves the month.
        dom = f"{max(1, nearest - 2)}-{min(31, nearest + 2)}"
    dom = "*" if dom == "?" else dom
    dow = "*" if dow == "?" else _aws_days_of_week(dow, fields_text)
    expression = f"0 {minute} {hour} {dom} {month} {dow}"
    _check(expression, f"cron({fields_text})")
    return Cron(expression, _years(year, fields_text), nearest)


def _aws_days_of_week(field_text: str, whole: str) -> str:
    """AWS day-of-week (1-7 = SUN-SAT) in cron's numbering (0-6 = SUN-SAT)."""

    def day(token: str) -> str:
        if token in _DAY_NAMES:
            return token
        if token.isdigit() and 1 <= int(token) <= 7:
            return str(int(token) - 1)
        raise ScheduleError(f"cron({whole}): bad day-of-week {token!r} (1-7 or SUN-SAT)")

    terms = []
    for term in field_text.split(","):
        if term == "*":
            terms.append(term)
        elif "#" in term:
            value, nth = term.split("#", 1)
            terms.append(f"{day(value)}#{nth}")
        elif term.endswith("L") and term != "L":
            terms.append(f"{day(term[:-1])}L")
        elif term == "L":  # "the last day of the week": Saturday
            terms.append("6")
        else:
            base, slash, step = term.partition("/")
            if base != "*":
                base = "-".join(day(part) for part in base.split("-"))
            terms.append(base + slash + step)
    return ",".join(terms)


def _years(field_text: str, whole: str) -> frozenset[int] | None:
    if field_text == "*":
        return None
    years: set[int] = set()
    for term in field_text.split(","):
        base, _, step_text = term.partition("/")
        first, _, last = base.partition("-")
        try:
            start = 1970 if first == "*" else int(first)
            end = int(last) if last else (2199 if step_text or first == "*" else start)
            step = int(step_text) if step_text else 1
        except ValueError:
            raise ScheduleError(f"cron({whole}): bad year {term!r}") from None
        if not (1970 <= start <= end <= 2199) or step < 1:
            raise ScheduleError(f"cron({whole}): years are 1970-2199, got {term!r}")
        years.update(range(start, end + 1, step))
    return frozenset(years)


def parse_fc(text: str) -> Expression:
    """An FC timer `cronExpression`: `@every 1h30m` or 6-field cron with seconds, UTC unless
    it starts with `CRON_TZ=Zone `."""
    text = text.strip()
    every = _EVERY.match(text)
    if every:
        seconds = 0.0
        for number, unit in re.findall(r"(\d+(?:\.\d+)?)([hms])", every.group(1)):
            seconds += float(number) * {"h": 3600, "m": 60, "s": 1}[unit]
        if seconds < 60:
            # FC's timer interval is a whole number of minutes (doc-detail/171746, "Interval").
            raise ScheduleError(f"{text}: an FC timer fires at most once a minute")
        return Rate(int(seconds))
    zone = None
    if text.startswith("CRON_TZ="):
        zone_text, _, text = text.partition(" ")
        zone = zone_text.removeprefix("CRON_TZ=")
        _zone(zone)
    fields = text.upper().split()
    if len(fields) != 6:
        raise ScheduleError(
            f"{text!r}: an FC cronExpression has 6 fields (seconds minutes hours day-of-month "
            "month day-of-week) or is '@every 5m'"
        )
    expression = " ".join("*" if f == "?" else f for f in fields)
    _check(expression, text)
    return Cron(expression, zone=zone)


def _check(expression: str, shown: str) -> None:
    from cronsim import CronSim, CronSimError

    try:
        CronSim(expression, datetime(2000, 1, 1))
    except CronSimError as error:
        raise ScheduleError(f"{shown}: {error}") from None


def _zone(name: str | None) -> Any:
    if name is None:
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {name!r}") from None


def _nearest_weekday(year: int, month: int, day: int) -> int:
    """The weekday (Mon-Fri) nearest `day` of the month, without leaving the month."""
    last = calendar.monthrange(year, month)[1]
    day = min(day, last)
    weekday = calendar.weekday(year, month, day)  # Monday = 0
    if weekday == 5:  # Saturday: Friday before, or Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before on the last day
        return day + 1 if day < last else day - 2
    return day


# -- schedules and their events ----------------------------------------------------------------

#: kind -> what it stands for.
KINDS = {
    "rule": "EventBridge rule (SAM Schedule)",
    "scheduler": "EventBridge Scheduler (SAM ScheduleV2)",
    "fc-timer": "Function Compute timer trigger",
}


@dataclass(slots=True)
class Schedule:
    """One schedule of one function: when it fires and what it sends."""

    name: str
    kind: str
    text: str
    expression: Expression
    #: The rule's / schedule's `Input` (JSON text) or the FC timer's `payload` (a string).
    input: str | None = None
    region: str = "us-east-1"
    enabled: bool = True
    function: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: The rule's / Scheduler's own RetryPolicy and DeadLetterConfig: they cover handing
    #: the event to Lambda's async queue, which locally cannot fail (docs/async.md).
    delivery_retries: int | None = None
    delivery_max_age: int | None = None
    delivery_dead_letter: str | None = None

    def next_after(self, moment: datetime) -> datetime:
        """The first firing after `moment` (rates count from the schedule's creation)."""
        start = self.created if isinstance(self.expression, Rate) else moment
        for when in self.expression.times_after(start):
            if when > moment:
                return when
        raise ScheduleError(f"{self.text} never fires after {moment:%Y-%m-%d %H:%M}")

    def delivery_text(self) -> str:
        """The rule's / Scheduler's own RetryPolicy and DeadLetterConfig, for the banner."""
        parts = []
        if self.delivery_retries is not None:
            parts.append(f"{self.delivery_retries} delivery retries")
        if self.delivery_max_age is not None:
            parts.append(f"for {self.delivery_max_age} s")
        if self.delivery_dead_letter:
            parts.append(f"DeadLetterConfig {self.delivery_dead_letter}")
        if not parts:
            return ""
        return ", ".join(parts) + " (handing events to Lambda; never fails locally)"

    def event(self, scheduled: datetime) -> bytes:
        """The event the platform sends for the firing at `scheduled`."""
        time_text = scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.kind == "fc-timer":
            # https://www.alibabacloud.com/help/doc-detail/171746.htm ("Event format").
            body = {"triggerTime": time_text, "triggerName": self.name, "payload": self.input or ""}
            return json.dumps(body).encode("utf-8")
        if self.input is not None:
            # A rule's or schedule's Input replaces the whole event: no envelope, no time.
            # https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Target.html
            return self.input.encode("utf-8")
        detail: Any
        if self.kind == "scheduler":
            resource = f"arn:aws:scheduler:{self.region}:{ACCOUNT}:schedule/default/{self.name}"
            source, detail = "aws.scheduler", "{}"  # Scheduler's detail is the string "{}"
        else:
            resource = f"arn:aws:events:{self.region}:{ACCOUNT}:rule/{self.name}"
            source, detail = "aws.events", {}
        envelope: dict[str, Any] = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": source,
            "account": ACCOUNT,
            "time": time_text,
            "region": self.region,
            "resources": [resource],
            "detail": detail,
        }
        return json.dumps(envelope).encode("utf-8")


def schedule(
    name: str,
    kind: str,
    text: str,
    input: str | None = None,
    zone: str | None = None,
    **options: Any,
) -> Schedule:
    """A Schedule from its expression text; ScheduleError when the platform would refuse it.

    `zone`: EventBridge Scheduler's `ScheduleExpressionTimezone` (its cron is read there).
    """
    if kind not in KINDS:
        raise ScheduleError(f"unknown schedule kind {kind!r}")
    expression = parse_fc(text) if kind == "fc-timer" else parse_aws(text)
    if zone is not None and isinstance(expression, Cron):
        _zone(zone)
        expression = dataclasses.replace(expression, zone=zone)
    if input is not None and kind != "fc-timer":
        try:
            json.loads(input)
        except ValueError as error:
            raise ScheduleError(f"schedule {name}: Input must be JSON text ({error})") from None
    return Schedule(name, kind, text, expression, input, **options)


__all__ = [
    "KINDS",
    "Cron",
    "Rate",
    "Schedule",
    "ScheduleError",
    "aws_cron",
    "parse_aws",
    "parse_fc",
    "schedule",
]
