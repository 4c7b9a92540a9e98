"""`faasgi serve MODULE:HANDLER`: the function on localhost the way the platform runs it.

uvicorn serves the gateway (HTTP -> platform event -> instance pool -> platform answer ->
HTTP); a moto DynamoDB is started unless one is given. Ctrl-C stops accepting requests,
gives every instance SIGTERM (faasgi runs its shutdown hooks), kills what is left after a
grace period and stops moto: no process outlives the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from faasgi.cli import UsageError, environment_from, environment_options
from faasgi.events import BUILD_NAMES
from faasgi.local.pool import SHUTDOWN_GRACE, Pool, PoolSettings
from faasgi.local.resources import LocalResources, load_tables_file

if TYPE_CHECKING:
    from faasgi.local.asyncserve import AsyncSide

logger = logging.getLogger("faasgi.local.serve")

#: What each event source stands for, in the platform's words.
SOURCES = {
    "aws-http": "API Gateway HTTP API (payload 2.0)",
    "function-url": "Lambda Function URL (payload 2.0, path kept encoded)",
    "aws-rest": "API Gateway REST API (proxy integration)",
    "alb": "Application Load Balancer",
    "alb-multi": "Application Load Balancer, multi-value headers",
    "lattice": "VPC Lattice",
    "fc-http": "Function Compute 3.0 HTTP trigger",
}
assert set(SOURCES) == set(BUILD_NAMES)

#: Seconds in-flight requests get to finish after Ctrl-C; then their instances are stopped
#: and they are answered 503.
DRAIN_SECONDS = 3.0


def add_function_options(parser: argparse.ArgumentParser, *, template: bool = False) -> None:
    """Options `serve` and `check` share: what to run, its environment and DynamoDB
    (`template`: the handler may be left out for `--template FILE`)."""
    if template:
        parser.add_argument("handler", nargs="?", help="MODULE:HANDLER, e.g. app:handler")
    else:
        parser.add_argument("handler", help="MODULE:HANDLER, e.g. app:handler")
    parser.add_argument(
        "--source",
        default="aws-http",
        choices=list(SOURCES),
        help="the platform event each request becomes: aws-http, aws-rest, alb, alb-multi, "
        "lattice (Lambda) or fc-http (FC)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds before a stuck invocation's instance is killed (default 60)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="FC: requests one instance serves at once, FC's instance concurrency (a Lambda "
        "instance serves one)",
    )
    environment_options(parser, "the instances")
    parser.add_argument(
        "--dynamodb",
        metavar="URL",
        help="use this DynamoDB endpoint instead of starting moto's (on FC too: faasgi.state "
        "keeps its data in DynamoDB)",
    )
    parser.add_argument(
        "--no-dynamodb", action="store_true", help="start no DynamoDB (the app uses none)"
    )
    parser.add_argument(
        "--tables",
        metavar="FILE",
        help="JSON list of tables to create (names, or CreateTable requests); the app can "
        "also declare them with a module-level faasgi_tables() function",
    )


def configure(parser: argparse.ArgumentParser) -> None:
    from faasgi.local.template.run import add_options

    add_function_options(parser, template=True)
    add_options(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=3000, help="port (default 3000; 0: any)")
    parser.add_argument(
        "--keep-alive",
        type=float,
        default=120.0,
        help="seconds an idle instance stays warm before it is reclaimed (default 120)",
    )
    parser.add_argument(
        "--max-instances",
        type=int,
        default=10,
        help="instances at most; requests beyond wait for one (default 10)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="a new instance (a cold start) for every request: worst-case scale-out",
    )
    parser.add_argument(
        "--runtime-client",
        choices=("awslambdaric", "faasgi"),
        help="run each instance as this Lambda runtime client (AWS's awslambdaric or "
        "python -m faasgi.runtime) against its own local Runtime API",
    )
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="do not enforce the platform's payload limits (Lambda: 6 MB request and answer, "
        "1 MB behind an ALB; FC: 32 MB body, 8 KB headers, 4 KB path)",
    )
    parser.add_argument(
        "--reload", action="store_true", help="new instances when a .py file changes"
    )
    parser.add_argument(
        "--reload-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="directory to watch with --reload (repeatable; default: the current one)",
    )
    from faasgi.local import asyncserve, websocket_routes

    asyncserve.add_options(parser)
    websocket_routes.add_options(parser)


def function_settings(args: argparse.Namespace) -> tuple[dict[str, str], LocalResources]:
    """The instances' extra environment and the DynamoDB side, from the shared options;
    UsageError for a mistake, before anything starts."""
    module_name, _, attribute = args.handler.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"expected MODULE:HANDLER such as app:handler, got {args.handler!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    top = module_name.split(".")[0]
    if importlib.util.find_spec(top) is None:
        raise UsageError(f"no module named {top!r} here ({os.getcwd()}) or on sys.path")
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.concurrency > 1 and not args.source.startswith("fc"):
        raise UsageError(
            "--concurrency above 1 is Function Compute's instance concurrency; a Lambda "
            "instance serves one request at a time (use --source fc-http)"
        )
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if getattr(args, "runtime_client", None) and args.source.startswith("fc"):
        raise UsageError("--runtime-client runs a Lambda runtime client: use an AWS --source")
    if args.dynamodb and args.no_dynamodb:
        raise UsageError("give --dynamodb URL or --no-dynamodb, not both")
    environment = environment_from(args)
    tables = load_tables_file(args.tables) if args.tables else []
    resources = LocalResources(args.dynamodb, dynamodb=not args.no_dynamodb, tables=tables)
    return environment, resources


def main(args: argparse.Namespace) -> int:
    if args.keep_alive < 0:
        raise UsageError("--keep-alive must not be negative")
    if args.max_instances < 1:
        raise UsageError("--max-instances must be at least 1")
    if getattr(args, "template", None):
        from faasgi.local.template.run import main as serve_template

        return serve_template(args)
    if not args.handler:
        raise UsageError("give MODULE:HANDLER (e.g. app:handler) or --template FILE")
    environment, resources = function_settings(args)
    from faasgi.local.asyncserve import AsyncSide

    async_side = AsyncSide.from_args(args, resources.region)
    with _logging():
        try:
            import uvicorn  # noqa: F401  (fail here, before starting anything)
        except ImportError:
            raise UsageError("faasgi serve needs uvicorn: pip install 'faasgi[local]'") from None
        listener = _listen(args.host, args.port)
        resources.start()
        try:
            from faasgi.local import websocket_gateway

            websocket_gateway.create_registry_table(resources, environment)
            environment = {
                **websocket_gateway.environment(*listener.getsockname()[:2]),
                **environment,
            }
            aws = async_side.start_aws(resources.endpoint_url, resources.started_here)
            settings = PoolSettings(
                handler=args.handler,
                source=args.source,
                keep_alive=args.keep_alive,
                max_instances=args.max_instances,
                concurrency=args.concurrency,
                timeout=args.timeout,
                fresh=args.fresh,
                environment={**resources.environment, **aws, **environment},
                runtime_client=args.runtime_client,
            )
            asyncio.run(EmulatorRun(settings, resources, listener, args, async_side).run())
        finally:
            async_side.stop_aws()
            resources.stop()
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything starts: a taken port is a usage error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY only on such sockets, and without it
    # Nagle holds the response body for the client's delayed ACK (40 ms a request).
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return listener


@contextlib.contextmanager
def _logging() -> Iterator[None]:
    """Request lines and instance output on stderr, one line each, with the time."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    local = logging.getLogger("faasgi.local")
    previous = (local.level, local.propagate)
    local.addHandler(handler)
    local.setLevel(logging.INFO)
    local.propagate = False
    try:
        yield
    finally:
        local.removeHandler(handler)
        local.setLevel(previous[0])
        local.propagate = previous[1]


class EmulatorRun:
    """One `faasgi serve` run on the current event loop."""

    def __init__(
        self,
        settings: PoolSettings,
        resources: LocalResources,
        listener: socket.socket,
        args: argparse.Namespace,
        async_side: AsyncSide | None = None,
    ) -> None:
        self.async_side = async_side
        self.settings = settings
        self.resources = resources
        self.listener = listener
        self.args = args
        self.pool = Pool(settings, resources.declared)
        self._signals = 0
        self._server: Any = None
        self._closing: asyncio.Future[None] | None = None

    async def run(self) -> None:
        from faasgi.local.gateway import Gateway
        from faasgi.local.limits import NONE
        from faasgi.local.websocket_gateway import WebSocketGateway

        invoker: Any = self.pool
        if getattr(self.args, "record", None):
            from faasgi.local.record import Recorder, RecordingInvoker

            recorder = Recorder(self.args.record)
            invoker = RecordingInvoker(
                self.pool, recorder, self.args.handler, self.args.handler, self.settings.source
            )
            if self.async_side is not None:  # async events too, once each has finished
                self.async_side.recorder = recorder
                self.async_side.recorded = dict.fromkeys(
                    self.async_side.functions, (self.args.handler, self.settings.source)
                )
        limits = NONE if getattr(self.args, "no_limits", False) else None
        app: Any = Gateway(invoker, self.settings.source, limits=limits)
        if self.async_side is not None:
            app = await self.async_side.run(self.pool, app)
        app = WebSocketGateway(app, invoker, route_selection=self.args.websocket_route_selection)
        server = self._server = _server(app)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._on_signal)
        watch: asyncio.Task[None] | None = None
        try:
            await self.pool.start()
            serving = asyncio.create_task(server.serve(sockets=[self.listener]))
            while not server.started and not serving.done():
                await asyncio.sleep(0.01)
            if server.started:
                self._banner()
                if self.args.reload:
                    watch = asyncio.create_task(self._watch())
            await serving
        finally:
            if watch is not None:
                watch.cancel()
            if self.async_side is not None:
                await self.async_side.close()
            grace = 0.0 if self._signals > 1 else None
            await self.pool.close(grace)
            if self._closing is not None:
                await self._closing
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            logger.info("stopped")

    def _on_signal(self) -> None:
        self._signals += 1
        server = self._server
        if self._signals == 1:
            logger.info("stopping: no new requests; instances get SIGTERM (Ctrl-C again: kill)")
            server.should_exit = True
            self._closing = asyncio.ensure_future(self._drain_then_close())
        else:
            server.force_exit = True
            for instance in list(self.pool.instances.values()):
                instance.kill()

    async def _drain_then_close(self) -> None:
        """Give requests in flight DRAIN_SECONDS, then stop the instances: what is still
        running is answered 503 by the gateway, before uvicorn would cancel it."""
        deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS
        while self.pool.in_flight() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        await self.pool.close()

    async def _watch(self) -> None:
        from faasgi.local.reload import SourceWatcher

        roots = self.args.reload_dir or [os.getcwd()]
        watcher = await asyncio.to_thread(SourceWatcher, roots)
        while True:
            await asyncio.sleep(0.5)
            changed = await asyncio.to_thread(watcher.changed)
            if changed:
                retired = self.pool.recycle()
                names = ", ".join(os.path.relpath(p) for p in changed[:3])
                more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
                logger.info(
                    "reload: %s%s changed; %d instance(s) retired, the next request "
                    "starts a new one",
                    names,
                    more,
                    retired,
                )

    def _banner(self) -> None:
        settings, args, resources = self.settings, self.args, self.resources
        host, port = self.listener.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        per_instance = (
            "1 request at a time"
            if settings.concurrency == 1
            else f"{settings.concurrency} requests at once"
        )
        if settings.fresh:
            instances = f"a new one per request (--fresh), up to {settings.max_instances} at once"
        else:
            instances = (
                f"up to {settings.max_instances}, {per_instance} each, warm for "
                f"{settings.keep_alive:g} s after their last call"
            )
        lines = [
            f"faasgi serve: listening on http://{shown}:{port}",
            f"  function   {args.handler}, called with {SOURCES[settings.source]} events",
            f"  instances  {instances}; timeout {settings.timeout:g} s",
        ]
        if resources.endpoint_url is None:
            lines.append("  DynamoDB   none (--no-dynamodb)")
        elif resources.started_here:
            lines.append(
                f"  DynamoDB   {resources.endpoint_url} (moto, started here; its data lasts "
                "while the emulator runs)"
            )
        else:
            lines.append(f"  DynamoDB   {resources.endpoint_url}")
        if resources.endpoint_url is not None:
            hook = "created when the app's faasgi_tables() names them, at its first cold start"
            if resources.tables:
                listed = ", ".join(resources.tables)
                lines.append(f"  tables     {listed} (from {args.tables}); others {hook}")
            else:
                lines.append(f"  tables     {hook}")
        if args.no_limits:
            lines.append(
                "  limits     none (--no-limits): payloads the platform refuses get through"
            )
        lines.append(
            f"  websockets ws://{shown}:{port}/ (any path) as an API Gateway WebSocket API; "
            f"management API http://{shown}:{port}/@connections"
        )
        if self.async_side is not None:
            lines.extend(self.async_side.banner())
        if args.reload:
            roots = ", ".join(args.reload_dir or [os.getcwd()])
            lines.append(f"  reload     on: new instances when a .py file under {roots} changes")
        lines.append("  Ctrl-C stops it: instances get SIGTERM and run their shutdown hooks.")
        print("\n".join(lines), flush=True)


def _server(app: Any) -> Any:
    """A uvicorn server that leaves signals to us: its own handlers would re-raise SIGINT
    after shutting down, before the instances have been stopped."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:  # uvicorn >= 0.29
            yield

        def install_signal_handlers(self) -> None:  # older uvicorn
            pass

    config = uvicorn.Config(
        app,
        lifespan="off",
        access_log=False,
        log_config=None,
        log_level="warning",
        # The gateway sets Date itself, unless the app's answer has one: never two.
        date_header=False,
        # A backstop: the pool answers what is still running well before this.
        timeout_graceful_shutdown=int(DRAIN_SECONDS + SHUTDOWN_GRACE + 5),
    )
    return Server(config)


__all__ = [
    "SOURCES",
    "EmulatorRun",
    "add_function_options",
    "configure",
    "function_settings",
    "main",
]
