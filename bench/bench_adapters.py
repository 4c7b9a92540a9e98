"""Per-invocation cost of faasgi against mangum, apig-wsgi and serverless-wsgi.

Same apps, same events, one process: for each adapter the median and p99 time of one
warm invocation, invocations per second, and the adapter's own cost = its time minus the
reference (the framework called with no adapter at all). Two references are reported:
`raw` drives the app's coroutine/callable directly (the app's own cost, the floor), and
`loop` runs an ASGI app through `loop.run_until_complete` as a minimal server would.

    python bench/bench_adapters.py              # full run (about 2 minutes on 2 cores)
    python bench/bench_adapters.py --quick      # fewer samples
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import io
import statistics
import sys
import time
from asyncio import events as asyncio_events
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apps import APPS, EVENTS, WSGI, Context, fresh

Invoke = Callable[[dict[str, Any], Any], Any]
TEXT_TYPES = ("text/", "application/json")


# -- references: the framework with no adapter -------------------------------------------


def _request_parts(event: dict[str, Any]) -> tuple[str, str, bytes]:
    if event.get("version") == "2.0":
        method, path = event["requestContext"]["http"]["method"], event["rawPath"]
    else:
        method, path = event["httpMethod"], event["path"]
    text = event.get("body") or ""
    body = base64.b64decode(text) if event.get("isBase64Encoded") else text.encode()
    return method, path, body


def _content_type(event: dict[str, Any]) -> str:
    headers = event.get("headers") or {}
    return str(headers.get("content-type", ""))


def wsgi_reference(app: Any, event: dict[str, Any]) -> Invoke:
    method, path, body = _request_parts(event)
    base = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "abc123.execute-api.us-east-1.amazonaws.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "abc123.execute-api.us-east-1.amazonaws.com",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": _content_type(event),
    }

    def invoke(_event: dict[str, Any], _context: Any) -> Any:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(body)
        status: list[str] = []
        result = app(environ, lambda s, h, e=None: status.append(s))
        data = b"".join(result)
        getattr(result, "close", lambda: None)()
        return status[0], data

    return invoke


def _asgi_scope(event: dict[str, Any]) -> dict[str, Any]:
    method, path, _ = _request_parts(event)
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"abc123.execute-api.us-east-1.amazonaws.com"),
            (b"accept", b"application/json"),
            *([(b"content-type", _content_type(event).encode())] if _content_type(event) else []),
        ],
        "client": ("198.51.100.7", 0),
        "server": ("abc123.execute-api.us-east-1.amazonaws.com", 443),
        "state": {},
    }


def asgi_reference(app: Any, event: dict[str, Any], mode: str, loop: Any) -> Invoke:
    base = _asgi_scope(event)
    _, _, body = _request_parts(event)

    def invoke(_event: dict[str, Any], _context: Any) -> Any:
        sent: list[Any] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        coroutine = app(dict(base), receive, send)
        if mode == "loop":
            loop.run_until_complete(coroutine)
        else:  # drive the coroutine directly: the app's own cost, no loop turn at all
            asyncio_events._set_running_loop(loop)
            try:
                coroutine.send(None)
            except StopIteration:
                pass
            else:  # pragma: no cover - the bench apps never wait
                raise RuntimeError("the app suspended; the raw reference cannot drive it")
            finally:
                asyncio_events._set_running_loop(None)
        return sent

    return invoke


# -- a bare hand-written handler: the floor for an adapter -------------------------------


def bare_wsgi(app: Any) -> Invoke:
    def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
        method, path, body = _request_parts(event)
        environ = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "lambda",
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
        }
        for name, value in event["headers"].items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ[key] = value
            elif key != "CONTENT_LENGTH":  # set from the body above
                environ["HTTP_" + key] = value
        started: list[Any] = []
        result = app(environ, lambda s, h, e=None: started.append((s, h)))
        data = b"".join(result)
        status, headers = started[0]
        content_type = dict(headers).get("Content-Type", "")
        text = content_type.startswith(TEXT_TYPES)
        return {
            "statusCode": int(status[:3]),
            "headers": dict(headers),
            "body": data.decode() if text else base64.b64encode(data).decode(),
            "isBase64Encoded": not text,
        }

    return invoke


def bare_asgi(app: Any, loop: Any) -> Invoke:
    def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
        _, _, body = _request_parts(event)
        scope = _asgi_scope(event)
        scope["headers"] = [(k.encode(), v.encode()) for k, v in event["headers"].items()]
        sent: list[Any] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        loop.run_until_complete(app(scope, receive, send))
        headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
        data = b"".join(m.get("body", b"") for m in sent[1:])
        text = headers.get("content-type", "").startswith(TEXT_TYPES)
        return {
            "statusCode": sent[0]["status"],
            "headers": headers,
            "body": data.decode() if text else base64.b64encode(data).decode(),
            "isBase64Encoded": not text,
        }

    return invoke


# -- the contenders ------------------------------------------------------------------------


def contenders(framework: str, event: dict[str, Any], loop: Any) -> dict[str, Invoke]:
    import faasgi

    app = APPS[framework]()
    if framework in WSGI:
        import apig_wsgi
        import serverless_wsgi

        apig = apig_wsgi.make_lambda_handler(app, binary_support=True)
        return {
            "reference (raw)": wsgi_reference(app, event),
            "bare handler": bare_wsgi(app),
            "faasgi": faasgi.serverless(app),
            "apig-wsgi": apig,
            "serverless-wsgi": lambda e, c: serverless_wsgi.handle_request(app, e, c),
        }
    from mangum import Mangum

    return {
        "reference (raw)": asgi_reference(app, event, "raw", loop),
        "reference (loop)": asgi_reference(app, event, "loop", loop),
        "bare handler": bare_asgi(app, loop),
        "faasgi": faasgi.serverless(app),
        "mangum (lifespan off)": Mangum(app, lifespan="off"),
        "mangum (lifespan auto)": Mangum(app, lifespan="auto"),
    }


def measure(invoke: Invoke, event: dict[str, Any], samples: int) -> list[float]:
    context = Context()
    events = [fresh(event) for _ in range(samples)]
    for warm in events[: max(10, samples // 10)]:
        invoke(fresh(warm), context)
    gc.collect()
    timings = []
    clock = time.perf_counter_ns
    for current in events:
        started = clock()
        invoke(current, context)
        timings.append((clock() - started) / 1000)
    return timings


def summarise(timings: list[float]) -> tuple[float, float, float]:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99, 1e6 / statistics.fmean(ordered)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    small, large = (600, 60) if options.quick else (3000, 300)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    verdicts: list[str] = []
    for framework in ("starlette", "fastapi", "flask", "django"):
        for version in ("v2", "v1"):
            for kind in ("json", "binary"):
                event = EVENTS[version](kind)
                invokes = contenders(framework, event, loop)
                samples = small if kind == "json" else large
                medians: dict[str, list[float]] = {name: [] for name in invokes}
                p99s: dict[str, list[float]] = {name: [] for name in invokes}
                rates: dict[str, list[float]] = {name: [] for name in invokes}
                for _ in range(options.rounds):  # interleave adapters to share any drift
                    for name, invoke in invokes.items():
                        median, p99, rate = summarise(measure(invoke, event, samples))
                        medians[name].append(median)
                        p99s[name].append(p99)
                        rates[name].append(rate)
                row = {name: statistics.median(values) for name, values in medians.items()}
                raw = row["reference (raw)"]
                loop_ref = row.get("reference (loop)", raw)
                print(f"\n### {framework}, API Gateway {version}, {kind}\n")
                print(
                    "| adapter | median µs | p99 µs | invocations/s | own cost µs (vs raw) "
                    "| own cost µs (vs loop) |"
                )
                print("|---|---:|---:|---:|---:|---:|")
                for name in invokes:
                    own_raw = row[name] - raw
                    own_loop = row[name] - loop_ref
                    print(
                        f"| {name} | {row[name]:.1f} | {statistics.median(p99s[name]):.1f} | "
                        f"{statistics.median(rates[name]):,.0f} | {own_raw:.1f} | {own_loop:.1f} |"
                    )
                verdicts.extend(_verdicts(framework, version, kind, row, raw, loop_ref))
    print("\n### Targets\n")
    for line in verdicts:
        print(line)


def _verdicts(
    framework: str, version: str, kind: str, row: dict[str, float], raw: float, loop_ref: float
) -> list[str]:
    label = f"{framework} {version} {kind}"
    ours = row["faasgi"]
    if framework in WSGI:
        apig = row["apig-wsgi"] - raw
        return [
            f"- {label}: faasgi own cost {ours - raw:.1f} µs = "
            f"{(ours - raw) / apig:.2f}x apig-wsgi's {apig:.1f} µs (target ≤ 0.8x)"
        ]
    lines = []
    for name, reference in (("raw", raw), ("loop", loop_ref)):
        theirs = row["mangum (lifespan off)"] - reference
        lines.append(
            f"- {label} (vs {name} reference): faasgi own cost {ours - reference:.1f} µs"
            f" = {(ours - reference) / theirs:.2f}x mangum's {theirs:.1f} µs (target ≤ 0.5x)"
        )
    if framework == "starlette":
        lines.append(
            f"- {label}: faasgi total {ours:.1f} µs = "
            f"{ours / row['mangum (lifespan auto)']:.2f}x mangum-default's "
            f"{row['mangum (lifespan auto)']:.1f} µs (target ≤ 0.4x)"
        )
    return lines


if __name__ == "__main__":
    main()
