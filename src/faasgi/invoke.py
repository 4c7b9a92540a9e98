"""`faasgi invoke MODULE:HANDLER`: one cold invocation, the way the platform makes it.

Builds the event (from METHOD PATH in the chosen source's format, or read from a file),
imports the handler in this process (a real cold start: import and init), invokes it with a
platform-like context, prints the platform answer and the timings. Exits 1 when the
invocation raised.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from typing import Any

from faasgi.cli import UsageError, environment_from, environment_options, read_json, read_text
from faasgi.errors import MalformedEvent, UnsupportedEvent


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("handler", help="MODULE:HANDLER, e.g. app:handler")
    parser.add_argument(
        "method", nargs="?", metavar="METHOD", help="HTTP method, e.g. GET (with PATH)"
    )
    parser.add_argument(
        "path", nargs="?", metavar="PATH", help="request path with query, e.g. '/items?page=2'"
    )
    parser.add_argument("--event", help="a JSON event file to send as it is ('-' for stdin)")
    parser.add_argument(
        "--source",
        default="aws-http",
        help="event format for METHOD PATH: aws-http, function-url, aws-rest, alb, alb-multi, "
        "lattice (Lambda) or fc-http (FC)",
    )
    parser.add_argument(
        "-H", "--header", action="append", default=[], help="request header 'Name: value'"
    )
    parser.add_argument("-d", "--data", help="request body (text; @FILE reads a file)")
    parser.add_argument(
        "--dynamodb",
        metavar="URL",
        help="DynamoDB endpoint for the function (sets AWS_ENDPOINT_URL_DYNAMODB)",
    )
    environment_options(parser, "the invocation")


def main(args: argparse.Namespace) -> int:
    os.environ.update(environment_from(args))
    if args.dynamodb:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = args.dynamodb
        for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
            os.environ.setdefault(key, value)
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    event, source = _event(args)
    started = time.perf_counter()
    from faasgi.loader import load_function

    handler, note = load_function(args.handler)
    loaded = time.perf_counter()
    if note:
        print(f"faasgi: {note}", file=sys.stderr)

    from faasgi.contexts import context_for

    context = context_for(source)
    payload: Any = json.dumps(event).encode("utf-8") if source == "fc-http" else event
    try:
        result = handler(payload, context)
    except (UnsupportedEvent, MalformedEvent) as error:  # faasgi refused the event itself
        raise UsageError(f"the handler cannot take this event: {error}") from None
    except Exception:
        traceback.print_exc()
        print(
            f"faasgi: the invocation raised ({_ms(loaded, time.perf_counter())})", file=sys.stderr
        )
        return 1
    finished = time.perf_counter()
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False, default=repr)
    sys.stdout.write("\n")
    print(
        f"faasgi: cold start {_ms(started, loaded)} (import + init), "
        f"invocation {_ms(loaded, finished)}",
        file=sys.stderr,
    )
    return 0


def _ms(start: float, end: float) -> str:
    return f"{(end - start) * 1000:.1f} ms"


def _event(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    if args.event:
        if args.method or args.path:
            raise UsageError("give either --event FILE or METHOD PATH, not both")
        event = read_json(args.event, sys.stdin.read() if args.event == "-" else None)
        if not isinstance(event, dict):
            raise UsageError(f"{args.event}: an event must be a JSON object")
        fc3 = event.get("version") == "v1" and "rawPath" in event
        return event, "fc-http" if fc3 else "aws"
    if not args.method or not args.path:
        raise UsageError("give METHOD PATH (e.g. GET /) or --event FILE")

    from faasgi.events import BUILD_NAMES, Refused, Stamp, builder
    from faasgi.testing import FaasClient

    if args.source not in BUILD_NAMES:
        raise UsageError(f"--source must be one of {', '.join(BUILD_NAMES)}")
    headers = []
    for line in args.header:
        name, sep, value = line.partition(":")
        if not sep:
            raise UsageError(f"a header is 'Name: value', got {line!r}")
        headers.append((name.strip(), value.strip()))
    data = args.data
    content = read_text(data[1:]).encode("utf-8") if data and data.startswith("@") else data
    client = FaasClient(handler=None, source=args.source, base_url="https://localhost")
    request = client.build_request(args.method, args.path, headers=headers, content=content)
    _, build = builder(args.source)
    try:
        return build(request, Stamp(time_ms=int(time.time() * 1000))), args.source
    except Refused as refusal:
        raise UsageError(
            f"{args.source} answers {refusal} to {args.path!r} itself; the function is not called"
        ) from None
