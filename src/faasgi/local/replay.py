"""`faasgi replay DIR --against MODULE:HANDLER`: play back what `faasgi serve --record DIR`
wrote, in order, through one in-process instance of the handler, and show the first
answer that differs from the recorded one. The regression test a click-through gives.

Async events (schedules, S3/SNS, Invoke API `Event`) were recorded once each, with the
answer of their last attempt, and replay once each.

Answers are compared as `faasgi check` compares them (status, location, body with
generated values masked: scenario.comparable); answers of non-HTTP invocations as JSON
with the same masking. Exit status 1 when an answer differs, 0 when none does.

The handler runs as under `faasgi serve`: `FAASGI_LOCAL=1`, a fresh local DynamoDB
(moto's, unless `--dynamodb URL` or `--no-dynamodb`) with the tables its
`faasgi_tables()` and `--tables` name, and `-e` variables.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
import uuid
from pathlib import Path
from typing import Any

from faasgi.cli import UsageError, load_handler, read_json
from faasgi.events import Detector
from faasgi.local.resources import check_tables
from faasgi.local.scenario import comparable, mask_json, unified_diff
from faasgi.local.worker import declared_tables


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", help="what faasgi serve --record DIR wrote")
    parser.add_argument(
        "--against", required=True, metavar="MODULE:HANDLER", help="the handler to replay on"
    )
    parser.add_argument(
        "--function", help="replay only the invocations of this function (template name)"
    )
    parser.add_argument(
        "-e",
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the handler (repeatable)",
    )
    parser.add_argument("--dynamodb", metavar="URL", help="use this DynamoDB, not moto's")
    parser.add_argument("--no-dynamodb", action="store_true", help="start no DynamoDB")
    parser.add_argument("--tables", metavar="FILE", help="JSON list of tables to create")


def main(args: argparse.Namespace) -> int:
    folder = Path(args.directory)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder written by faasgi serve --record")
    files = sorted(p for p in folder.glob("*.json") if p.name[:6].isdigit())
    records = [(path, read_json(str(path))) for path in files]
    if args.function:
        records = [(p, r) for p, r in records if r.get("function") == args.function]
    if not records:
        raise UsageError(f"no recorded invocations in {folder}")
    from faasgi.local.resources import LocalResources, load_tables_file

    environment = {}
    for pair in args.env:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"an environment variable is NAME=VALUE, got {pair!r}")
        environment[name] = value
    tables = load_tables_file(args.tables) if args.tables else []
    resources = LocalResources(args.dynamodb, dynamodb=not args.no_dynamodb, tables=tables)
    resources.start()
    try:
        os.environ.update({"FAASGI_LOCAL": "1", **resources.environment, **environment})
        handler = load_handler(args.against)
        module = sys.modules[args.against.partition(":")[0]]
        resources.create(check_tables(declared_tables(module), "faasgi_tables()"))
        from faasgi.local.replay_websockets import management

        with management(records, resources):
            return _replay(records, handler, args.against)
    finally:
        resources.stop()


def _replay(records: list[tuple[Path, Any]], handler: Any, spec: str) -> int:
    detect = Detector()
    for number, (path, record) in enumerate(records, 1):
        if record.get("failure") not in (None, "error"):
            continue  # a timeout or crash has no answer to compare
        event = record["event"]
        source = detect(event) if isinstance(event, dict) else None
        fc = record.get("source", "").startswith("fc")
        got = _invoke(handler, event, fc, float(record.get("timeout", 60)))
        expected_text, got_text = (
            _comparable(source, record.get("answer")),
            _comparable(source, got),
        )
        if expected_text != got_text:
            where = f"{path.name}: {_what(event)}"
            details = record.get("async")
            if isinstance(details, dict):  # an async event: its last attempt's answer
                where += f", async from {details.get('origin')}, {details.get('condition')}"
            print(f"faasgi replay: answer {number} of {len(records)} differs ({where})")
            print(unified_diff(expected_text, got_text, "recorded", spec), end="")
            return 1
    print(f"faasgi replay: {len(records)} recorded answers, the same from {spec}")
    return 0


def _invoke(handler: Any, event: Any, fc: bool, timeout: float) -> Any:
    from faasgi.contexts import FCContext, LambdaContext

    request_id = str(uuid.uuid4())
    try:
        if fc:
            payload = json.dumps(event).encode("utf-8")
            return handler(
                payload, FCContext(request_id=request_id, timeout=max(1, round(timeout)))
            )
        return handler(event, LambdaContext(aws_request_id=request_id, timeout_s=timeout))
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        return {"errorMessage": str(error), "errorType": type(error).__name__}


def _comparable(source: Any, answer: Any) -> str:
    if isinstance(answer, dict) and "errorType" in answer:
        return json.dumps({"error": answer["errorType"], "message": answer.get("errorMessage")})
    if source is not None:
        try:
            return comparable(source.read_response(answer))
        except Exception:  # not an answer this source can read: compare it as JSON
            pass
    return json.dumps(mask_json(answer), indent=2, sort_keys=True)


def _what(event: Any) -> str:
    if not isinstance(event, dict):
        return "an invocation"
    context = event.get("requestContext") or {}
    if context.get("eventType") and context.get("connectionId"):
        return f"WebSocket {context.get('routeKey')} of {context['connectionId']}"
    method = event.get("httpMethod") or (context.get("http") or {}).get("method")
    path = event.get("rawPath") or event.get("path")
    return f"{method} {path}" if method and path else "an invocation"


__all__ = ["configure", "main"]
