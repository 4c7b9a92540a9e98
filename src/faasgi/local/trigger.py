"""`faasgi trigger NAME [--port 3000]`: fire a schedule or FC timer of a running `faasgi serve`
now, asynchronously, through its loopback control endpoint (`POST /_faasgi/trigger/NAME`).

Standard library only: it is a one-shot HTTP call.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.parse
import urllib.request

from faasgi.cli import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the schedule or timer, as `faasgi serve` printed it")
    parser.add_argument("--host", default="127.0.0.1", help="the emulator's address")
    parser.add_argument("--port", type=int, default=3000, help="the emulator's port (3000)")
    parser.add_argument(
        "--time",
        metavar="ISO",
        help="fire it as if it had been due at this time (e.g. 2026-01-01T12:00:00Z): "
        "an event that waited in the queue",
    )


def main(args: argparse.Namespace) -> int:
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{args.port}/_faasgi/trigger/{urllib.parse.quote(args.name, safe='')}"
    if args.time:
        url += "?" + urllib.parse.urlencode({"time": args.time})
    request = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read()).get("message", error.reason)
        except ValueError:
            message = error.reason
        raise UsageError(str(message)) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise UsageError(f"no emulator at {host}:{args.port} ({reason})") from None
    print(
        f"{answer['schedule']}: accepted, request id {answer['requestId']}, scheduled time "
        f"{answer['scheduledTime']}"
    )
    return 0


__all__ = ["configure", "main"]
