"""What `faasgi serve --template` runs, read from a SAM template or a Serverless Devs
`s.yaml`: plain data, no behaviour. The readers (sam.py, fc.py) fill it; the emulator (run.py)
starts one instance pool per `Function` and routes requests by its `Route`s.

`Schedule` and `AsyncConfig` are run by the async side (asyncserve.py): schedules fire,
async invocations are queued, retried and delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Route:
    """One way an HTTP request reaches a function.

    `kind` is "rest" (API Gateway REST API, payload 1.0), "http" (HTTP API, payload
    `payload` 2.0 or 1.0), "url" (a Lambda Function URL) or "fc" (an FC 3.0 HTTP trigger).
    `path` uses API Gateway's syntax (`/todos/{id}`, `/{proxy+}`); "$default" is the HTTP
    API's catch-all route. `method` is upper case or "ANY".
    """

    kind: str
    api: str
    method: str
    path: str
    stage: str = "$default"
    payload: str = "2.0"
    #: The authorizer's name in `Project.authorizers`; None: open (or NONE).
    authorizer: str | None = None
    #: OAuth scopes a JWT must carry for this route (any one of them).
    scopes: tuple[str, ...] = ()

    @property
    def route_key(self) -> str:
        return self.path if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Authorizer:
    """An API Gateway authorizer: `kind` is "jwt", "request", "token" or "iam".

    jwt: `issuer`, `audience`. request/token: the authorizer `function` (a Function's
    name), `payload` ("1.0" for REST and HTTP 1.0, "2.0"), `simple` responses,
    `ttl` seconds of caching. `identity` lists the identity sources in API Gateway's
    syntax (`$request.header.Authorization`, `method.request.header.Authorization`).
    """

    name: str
    kind: str
    api_kind: str
    identity: tuple[str, ...] = ()
    issuer: str = ""
    audience: tuple[str, ...] = ()
    function: str = ""
    payload: str = "1.0"
    simple: bool = False
    ttl: int = 300


@dataclass(frozen=True, slots=True)
class Schedule:
    """A timer: SAM `Schedule`/`ScheduleV2`, FC `timer` trigger (fired by asyncserve.py)."""

    name: str
    kind: str  # "Schedule", "ScheduleV2", "fc-timer"
    expression: str
    input: str | None = None
    enabled: bool = True
    timezone: str | None = None
    #: The rule's / Scheduler's own delivery settings (`RetryPolicy`, `DeadLetterConfig`):
    #: they cover handing the event to Lambda, not the function's errors (docs/async.md).
    delivery_retries: int | None = None
    delivery_max_age: int | None = None
    delivery_dead_letter: str | None = None


@dataclass(frozen=True, slots=True)
class EventSource:
    """A SAM `S3` or `SNS` event: `kind` "s3" (bucket, events, key filter rules) or
    "sns" (topic ARN, optional filter policy)."""

    name: str
    kind: str
    #: The bucket's name (s3) or the topic's ARN (sns).
    target: str
    events: tuple[str, ...] = ()
    #: S3 key filter rules as (Name, Value): ("prefix", "uploads/"), ("suffix", ".jpg").
    key_filter: tuple[tuple[str, str], ...] = ()
    filter_policy: str | None = None


@dataclass(frozen=True, slots=True)
class AsyncConfig:
    """SAM `EventInvokeConfig` / FC `asyncInvokeConfig` (applied by asyncserve.py)."""

    max_retries: int | None = None
    max_event_age: int | None = None
    on_success: str | None = None
    on_failure: str | None = None


@dataclass(slots=True)
class Function:
    """One function: its own instance pool with its own settings."""

    name: str
    #: MODULE:ATTRIBUTE, from Lambda's / FC's dotted form (split at the last dot).
    handler: str
    #: The folder the code runs from (Lambda's /var/task, FC's /code).
    code_dir: str
    platform: str  # "aws" or "fc"
    runtime: str = ""
    timeout: float = 3.0
    memory: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    async_config: AsyncConfig | None = None
    #: SAM `DeadLetterQueue.TargetArn` (SQS or SNS): failed async events, after retries.
    dead_letter: str | None = None
    #: S3 / SNS event sources (async), run by asyncsources.py.
    sources: list[EventSource] = field(default_factory=list)
    concurrency: int = 1
    #: FC instance lifecycle hooks, MODULE:ATTRIBUTE.
    initializer: str | None = None
    pre_stop: str | None = None


@dataclass(slots=True)
class Project:
    """Everything read from one template."""

    path: str
    kind: str  # "sam" or "fc"
    functions: dict[str, Function] = field(default_factory=dict)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    #: CreateTable requests for the local DynamoDB.
    tables: list[dict[str, Any]] = field(default_factory=list)
    #: API Gateway WebSocket APIs (websocket_apis.WebSocketApi).
    websocket_apis: list[Any] = field(default_factory=list)
    #: What is in the template but not emulated: one line each, shown at start.
    not_emulated: list[str] = field(default_factory=list)
    #: What was decided for the user (generated secrets, code folders): shown at start.
    notes: list[str] = field(default_factory=list)

    def routes(self) -> list[tuple[Route, Function]]:
        return [(route, fn) for fn in self.functions.values() for route in fn.routes]

    def schedules(self) -> list[tuple[Schedule, Function]]:
        """Every timer of the template, with its function: for the async engine."""
        return [(item, fn) for fn in self.functions.values() for item in fn.schedules]


def split_handler(dotted: str) -> str:
    """Lambda's and FC's `module.attribute` (split at the last dot) as MODULE:ATTRIBUTE."""
    module, _, attribute = dotted.rpartition(".")
    if not module or not attribute:
        raise ValueError(f"a Python handler is MODULE.FUNCTION, got {dotted!r}")
    return f"{module}:{attribute}"


__all__ = [
    "AsyncConfig",
    "Authorizer",
    "EventSource",
    "Function",
    "Project",
    "Route",
    "Schedule",
    "split_handler",
]
