"""`faasgi serve --template FILE`: every function of a SAM template or an s.yaml on
localhost, each with its own instance pool (the same pool, gateway and DynamoDB as
`faasgi serve MODULE:HANDLER`), its routes, authorizers and the Lambda Invoke API.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from typing import Any

from faasgi.cli import UsageError

#: Lambda's own variables an instance sees (configuration-envvars:
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
_LAMBDA_VARIABLES = (
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "LAMBDA_TASK_ROOT",
)


def add_options(parser: argparse.ArgumentParser) -> None:
    """`serve`'s template options (and --record, which works without a template too)."""
    group = parser.add_argument_group("templates (instead of MODULE:HANDLER)")
    group.add_argument(
        "--template", metavar="FILE", help="a SAM template or a Serverless Devs s.yaml"
    )
    group.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="template parameters (also ParameterKey=K,ParameterValue=V)",
    )
    group.add_argument(
        "--invoke-port",
        type=int,
        default=3001,
        help="port of the Lambda Invoke API (default 3001; 0: any)",
    )
    group.add_argument(
        "--jwks",
        metavar="FILE|URL",
        help="keys for JWT authorizers: a JWKS file, or a URL on 127.0.0.1",
    )
    parser.add_argument(
        "--record", metavar="DIR", help="write every event and answer into DIR (faasgi replay)"
    )


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        if pair.startswith("ParameterKey="):
            fields = dict(part.split("=", 1) for part in pair.split(",") if "=" in part)
            if "ParameterValue" not in fields:
                raise UsageError(f"expected ParameterKey=K,ParameterValue=V, got {pair!r}")
            values[fields["ParameterKey"]] = fields["ParameterValue"]
            continue
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"a parameter override is KEY=VALUE, got {pair!r}")
        values[name] = value
    return values


def main(args: argparse.Namespace) -> int:
    from faasgi.local.serve import _listen, _logging
    from faasgi.local.template import TemplateError, load_project

    if args.handler:
        raise UsageError("give MODULE:HANDLER or --template FILE, not both")
    environment = {}
    for pair in args.env:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"an environment variable is NAME=VALUE, got {pair!r}")
        environment[name] = value
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    try:
        project = load_project(
            args.template, parse_overrides(args.parameter_overrides), None, region
        )
    except TemplateError as error:
        raise UsageError(f"{args.template}: {error}") from None
    if not project.functions:
        raise UsageError(
            f"{args.template}: no function faasgi can run ({'; '.join(project.not_emulated)})"
        )
    keys = None
    if args.jwks:
        from faasgi.local.authorizers import KeySource

        try:
            keys = KeySource(args.jwks)
        except (OSError, ValueError) as error:
            raise UsageError(f"--jwks {args.jwks}: {error}") from None
    with _logging():
        try:
            import uvicorn  # noqa: F401
        except ImportError:
            raise UsageError("faasgi serve needs uvicorn: pip install 'faasgi[local]'") from None
        from faasgi.local.asyncserve import AsyncSide, refuse_cli_async
        from faasgi.local.template import websocket_serve
        from faasgi.local.template.plan import Plan

        refuse_cli_async(args)
        side = AsyncSide.from_project(project, args.retry_delay, region)
        plan = Plan(project, args, environment, keys)
        plan.listeners(_listen)
        try:
            plan.resources.start()
            plan.apply_ttl()
            websocket_serve.prepare(plan)
            aws = side.start_aws(plan.resources.endpoint_url, plan.resources.started_here)
            plan.environment = {**aws, **plan.environment}
            plan.submit_async = side.submit
            asyncio.run(TemplateRun(plan, args, side).run())
        finally:
            side.stop_aws()
            plan.resources.stop()
            for listener in plan.sockets():
                listener.close()
    return 0


class TemplateRun:
    """One `faasgi serve --template` run on the current event loop."""

    def __init__(self, plan: Any, args: argparse.Namespace, async_side: Any = None) -> None:
        self.plan = plan
        self.args = args
        #: Schedules, the async queue and its controls (asyncserve.py).
        self.async_side = async_side
        self._signals = 0
        self._server: Any = None

    async def run(self) -> None:
        from faasgi.local.serve import _server
        from faasgi.local.template import websocket_serve

        pools = self.plan.start_pools()
        front = self.plan.front()
        if self.async_side is not None and self.plan.recorder is not None:
            self.async_side.recorder = self.plan.recorder
            self.async_side.recorded = self.plan.recorded
        if self.async_side is not None:
            # The Invoke API keeps its own port (plan.front); the controls join every port.
            front = await self.async_side.run(self.plan.pools, front, invoke_api=False)
        front = websocket_serve.front(self.plan, front)
        server = self._server = _server(front)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._on_signal)
        watch: asyncio.Task[None] | None = None
        closing: asyncio.Future[Any] | None = None
        try:
            for pool in pools:
                await pool.start()
            serving = asyncio.create_task(server.serve(sockets=self.plan.sockets()))
            while not server.started and not serving.done():
                await asyncio.sleep(0.01)
            if server.started:
                lines = self.plan.banner().splitlines()
                websocket_serve.add_to_banner(self.plan, lines)
                if self.async_side is not None:  # before the last line, "Ctrl-C stops it"
                    lines[-1:-1] = self.async_side.banner()
                print("\n".join(lines), flush=True)
                if self.args.reload:
                    watch = asyncio.create_task(self._watch(pools))
            await serving
        finally:
            if watch is not None:
                watch.cancel()
            if self.async_side is not None:
                await self.async_side.close()
            grace = 0.0 if self._signals > 1 else None
            closing = asyncio.gather(*(pool.close(grace) for pool in pools))
            await closing
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            import logging

            logging.getLogger("faasgi.local.serve").info("stopped")

    def _on_signal(self) -> None:
        import logging

        self._signals += 1
        if self._signals == 1:
            logging.getLogger("faasgi.local.serve").info(
                "stopping: no new requests; instances get SIGTERM (Ctrl-C again: kill)"
            )
            self._server.should_exit = True
        else:
            self._server.force_exit = True
            for pool in self.plan.pools.values():
                for instance in list(pool.instances.values()):
                    instance.kill()

    async def _watch(self, pools: list[Any]) -> None:
        import logging

        from faasgi.local.reload import SourceWatcher

        roots = self.args.reload_dir or sorted(
            {f.code_dir for f in self.plan.project.functions.values()}
        )
        watcher = await asyncio.to_thread(SourceWatcher, roots)
        while True:
            await asyncio.sleep(0.5)
            changed = await asyncio.to_thread(watcher.changed)
            if changed:
                retired = sum(pool.recycle() for pool in pools)
                logging.getLogger("faasgi.local.serve").info(
                    "reload: %s changed; %d instance(s) retired",
                    os.path.relpath(changed[0]),
                    retired,
                )


__all__ = ["TemplateRun", "add_options", "main", "parse_overrides"]
