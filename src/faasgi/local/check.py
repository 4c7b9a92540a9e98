"""`faasgi check MODULE:HANDLER --scenario FILE`: the statelessness check.

Replays a scenario three ways, each with its own cookie jar (a browser's) and a clean
DynamoDB: on one warm instance (the reference), on a fresh instance per request (every
request a cold start), and round-robin across N instances (scale-out). An app that keeps
state in process memory answers differently once requests land on other instances; the
first answer that differs from the reference is shown as a diff, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from faasgi.cli import UsageError, read_json
from faasgi.local.gateway import Gateway
from faasgi.local.pool import Outcome, Pool, PoolSettings
from faasgi.local.resources import LocalResources
from faasgi.local.scenario import Step, comparable, parse_scenario, unified_diff
from faasgi.local.serve import SOURCES, add_function_options, function_settings
from faasgi.local.streamed import collect

logger = logging.getLogger("faasgi.local.check")

#: Where the requests appear to go: the local machine, so Secure cookies are kept.
BASE_URL = "http://127.0.0.1:3000"

#: Failures that mean a step never reached the app (a raised exception or an answer the
#: platform cannot read did reach it, and are only warned about).
UNRUNNABLE = frozenset({"init", "crash", "timeout", "throttled", "stopped"})


def configure(parser: argparse.ArgumentParser) -> None:
    add_function_options(parser)
    parser.add_argument(
        "--scenario",
        required=True,
        metavar="FILE",
        help='JSON list of requests: {"method", "path", "headers"?, "json"? | "body"?, "ignore"?}',
    )
    parser.add_argument(
        "--instances",
        type=int,
        default=3,
        help="instances for the round-robin run (default 3)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print every answer, the cold starts and the instances' own output",
    )


@dataclass(slots=True)
class Answer:
    """One step's answer in one run."""

    step: Step
    text: str
    outcome: Outcome


@dataclass(slots=True)
class Run:
    """One way of replaying the scenario."""

    label: str
    pools: list[Pool]
    answers: list[Answer] = dataclasses.field(default_factory=list)
    #: The reference answer this run's last answer differs from, if any.
    differs_from: Answer | None = None

    @property
    def instances(self) -> set[str]:
        return {a.outcome.instance for a in self.answers if a.outcome.instance}

    @property
    def cold_starts(self) -> int:
        return sum(pool.cold_starts for pool in self.pools)


class RoundRobin:
    """An invoker that sends each request to the next pool in turn."""

    def __init__(self, pools: Sequence[Pool]) -> None:
        self.pools = list(pools)
        self._next = 0

    async def invoke(self, request_id: str, event: bytes) -> Outcome:
        pool = self.pools[self._next % len(self.pools)]
        self._next += 1
        return await pool.invoke(request_id, event)


def main(args: argparse.Namespace) -> int:
    if args.instances < 2:
        raise UsageError("--instances must be at least 2 (round-robin needs several)")
    from faasgi.local.checkasync import check_schedules, split_scenario

    http_steps, scheduled = split_scenario(read_json(args.scenario), args.scenario)
    steps = parse_scenario(http_steps, args.scenario) if http_steps or not scheduled else []
    environment, resources = function_settings(args)
    _configure_logging(args.verbose)
    settings = PoolSettings(
        handler=args.handler,
        source=args.source,
        keep_alive=24 * 3600.0,  # nothing is reclaimed during a check
        max_instances=1,
        concurrency=args.concurrency,
        timeout=args.timeout,
        environment=environment,
    )
    resources.start()
    try:
        settings = dataclasses.replace(
            settings, environment={**resources.environment, **environment}
        )
        status = asyncio.run(Check(steps, settings, resources, args).run()) if steps else 0
        if scheduled:
            status |= asyncio.run(check_schedules(scheduled, settings, resources.declared))
        return status
    finally:
        resources.stop()


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    local = logging.getLogger("faasgi.local")
    local.addHandler(handler)
    # The check reports failed steps itself; the pool's own warnings would repeat them.
    local.setLevel(logging.INFO if verbose else logging.ERROR)
    local.propagate = False


class Check:
    """The three runs of one scenario, and the report."""

    def __init__(
        self,
        steps: list[Step],
        settings: PoolSettings,
        resources: LocalResources,
        args: argparse.Namespace,
    ) -> None:
        self.steps = steps
        self.settings = settings
        self.resources = resources
        self.args = args

    def _runs(self) -> list[Run]:
        one = self.settings
        fresh = dataclasses.replace(one, fresh=True)
        count = self.args.instances
        return [
            Run("one warm instance", [Pool(one, self.resources.declared)]),
            Run("a fresh instance per request", [Pool(fresh, self.resources.declared)]),
            Run(
                f"round-robin across {count} instances",
                [Pool(one, self.resources.declared) for _ in range(count)],
            ),
        ]

    async def run(self) -> int:
        runs = self._runs()
        reference = runs[0]
        print(
            f"faasgi check: {_count(len(self.steps), 'step')} from {self.args.scenario}, "
            f"{self.args.handler} called with {SOURCES[self.settings.source]} events",
            flush=True,
        )
        for number, run in enumerate(runs):
            if number:
                await asyncio.to_thread(self.resources.reset)
            await self._replay(run, None if run is reference else reference)
            print(self._summary(run, reference), flush=True)
            if run is reference and self._could_not_run(reference):
                return 1
        failed = [run for run in runs if run.differs_from is not None]
        self._warn_about_failures(reference)
        for run in failed:
            print()
            print(self._difference(run))
        if failed:
            print(
                "\nfaasgi check: the answers depend on which instance served the request.\n"
                "State kept in process memory (module globals, caches, in-memory sessions)\n"
                "is not shared between instances and is lost at every cold start: keep it\n"
                "in DynamoDB instead (faasgi.state, docs/state.md)."
            )
            return 1
        print("faasgi check: the same answers on every instance layout")
        return 0

    async def _replay(self, run: Run, reference: Run | None) -> None:
        from faasgi.testing import FaasClient

        gateway = Gateway(RoundRobin(run.pools), self.settings.source)
        browser = FaasClient(None, self.settings.source, base_url=BASE_URL)
        try:
            for step in self.steps:
                request = browser.build_request(
                    step.method,
                    step.path,
                    headers=step.headers,
                    json=step.json,
                    content=step.body,
                )
                response, outcome = await gateway.handle(request)
                if outcome.stream is not None:  # a streamed answer, compared whole
                    response.body = await collect(outcome)
                set_cookies = [v for k, v in response.headers if k == "set-cookie"]
                browser.cookies.update_from(set_cookies, path=request.raw_path or "/")
                answer = Answer(step, comparable(response, step.ignore), outcome)
                run.answers.append(answer)
                if self.args.verbose:
                    logger.info("%s", _step_line(run, answer))
                if reference is not None:
                    expected = reference.answers[step.number - 1]
                    if expected.text != answer.text:
                        run.differs_from = expected
                        return
        finally:
            await asyncio.gather(*(pool.close() for pool in run.pools))

    def _summary(self, run: Run, reference: Run) -> str:
        label = f"  {run.label:<34}"
        if run.differs_from is not None:
            return f"{label}DIFFERS at step {len(run.answers)} of {len(self.steps)}"
        where = (
            f"{_count(len(self.steps), 'step')} on {_count(len(run.instances), 'instance')} "
            f"({_count(run.cold_starts, 'cold start')})"
        )
        verdict = "the reference" if run is reference else "same answers"
        return f"{label}{where:<42} {verdict}"

    def _difference(self, run: Run) -> str:
        got = run.answers[-1]
        expected = run.differs_from
        assert expected is not None
        header = f"step {got.step.number} on {run.label}: {got.step.describe()}"
        diff = unified_diff(
            expected.text,
            got.text,
            f"one warm instance ({_where(expected.outcome)})",
            f"{run.label} ({_where(got.outcome)})",
        )
        return f"{header}\n{diff}"

    def _could_not_run(self, reference: Run) -> bool:
        """True (and says why) when a step of the reference run never reached the app:
        comparing other runs with it would prove nothing."""
        broken = [a for a in reference.answers if a.outcome.failure in UNRUNNABLE]
        if not broken:
            return False
        print("\nfaasgi check: the scenario does not run on one warm instance:")
        for answer in broken:
            outcome = answer.outcome
            print(
                f"  step {answer.step.number} ({answer.step}): {outcome.failure}: {outcome.detail}"
            )
        if not self.args.verbose:
            print("Fix that first; -v shows the instances' own output.")
        return True

    def _warn_about_failures(self, reference: Run) -> None:
        for answer in reference.answers:
            outcome = answer.outcome
            if outcome.failure is not None:
                hint = "" if self.args.verbose else " (run with -v to see the instance's output)"
                print(
                    f"warning: step {answer.step.number} ({answer.step}) failed on the warm "
                    f"instance too: {outcome.failure} {outcome.detail}{hint}".rstrip()
                )


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def _where(outcome: Outcome) -> str:
    if not outcome.instance:
        return "no instance"
    return f"{outcome.instance}, {'cold' if outcome.cold else 'warm'}"


def _step_line(run: Run, answer: Answer) -> str:
    status = answer.text.split("\n", 1)[0]
    where = _where(answer.outcome)
    return f"[{run.label}] step {answer.step.number} {answer.step}: {status} ({where})"


__all__ = ["Answer", "Check", "RoundRobin", "Run", "configure", "main"]
