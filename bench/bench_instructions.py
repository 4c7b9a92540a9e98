"""Instructions per warm invocation, counted by valgrind (callgrind), for each adapter.

Wall-clock timings on a shared 2-core machine move with whatever else runs; instruction
counts do not. Each contender runs in a fresh interpreter under callgrind twice, with 0
and with N invocations after the same warm-up; the difference divided by N is its cost.
The heap left by the warm-up is frozen (`gc.freeze()`), so the collections counted are
those of what the calls themselves allocate. Where objects land in the allocator's pools
still moves a framework's count by up to ~1 % (several thousand instructions on Django,
as much as an adapter's whole difference), so each count is the median of runs with
different numbers of objects allocated first (`--layouts`).

    python bench/bench_instructions.py [--calls 200] [--apps flask,starlette] [--kinds json,post]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apps import WSGI

HERE = Path(__file__).resolve().parent

RUNNER = """
import sys
sys.path.insert(0, {here!r})
# Objects kept alive from the start, a different number per layout: where later objects
# land in the allocator's pools shifts with them (see `--layouts`).
_layout = [bytes(n % 200) for n in range({layout})]
import bench_adapters as b
from apps import EVENTS, Context, fresh
import asyncio
loop = asyncio.new_event_loop(); asyncio.set_event_loop(loop)
event = EVENTS[{version!r}]({kind!r})
invoke = b.contenders({framework!r}, event, loop)[{name!r}]
context = Context()
events = [fresh(event) for _ in range(50 + {calls})]
for current in events[:50]:
    invoke(current, context)
# Everything alive now is moved out of the collector's sight: a full collection (which
# walks the whole heap, framework included) falling inside or outside the counted calls
# would otherwise swing the per-call count by thousands of instructions.
import gc
gc.collect()
gc.freeze()
for current in events[50:]:
    invoke(current, context)
"""


def count(framework: str, version: str, kind: str, name: str, calls: int, layout: int = 0) -> int:
    script = RUNNER.format(
        here=str(HERE),
        version=version,
        kind=kind,
        framework=framework,
        name=name,
        calls=calls,
        layout=layout,
    )
    # A fixed hash seed: dict layouts, and so instruction counts, repeat run to run.
    return callgrind(script, {**os.environ, "PYTHONHASHSEED": "0"})


def callgrind(code: str, environment: dict[str, str]) -> int:
    """Instructions a fresh interpreter runs for `code`, counted by valgrind's callgrind."""
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
        ],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise RuntimeError(result.stderr[-2000:])
    return int(match.group(1))


PEERS = {"wsgi": "apig-wsgi", "asgi": "mangum (lifespan off)"}


def check_answers(framework: str, version: str, kind: str, names: list[str]) -> None:
    """Every contender answers this event as the app does (a benchmark of a 422 or a 500
    measures nothing): same status as the raw reference."""
    import asyncio

    import bench_adapters
    from apps import EVENTS, Context, fresh

    loop = asyncio.new_event_loop()
    event = EVENTS[version](kind)
    contenders = bench_adapters.contenders(framework, event, loop)
    statuses = {}
    for name in names:
        answer = contenders[name](fresh(event), Context())
        if isinstance(answer, dict):
            statuses[name] = answer["statusCode"]
        elif isinstance(answer, tuple):  # the WSGI reference: (status line, body)
            statuses[name] = int(answer[0][:3])
        else:  # the ASGI references: the messages sent
            statuses[name] = answer[0]["status"]
    if len(set(statuses.values())) != 1 or not 200 <= statuses[names[0]] < 300:
        raise SystemExit(f"{framework} {version} {kind}: contenders disagree: {statuses}")
    loop.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--apps", default="starlette,flask")
    parser.add_argument("--versions", default="v2,v1")
    parser.add_argument("--kinds", default="json", help="comma-separated: json, post, binary")
    parser.add_argument("--jobs", type=int, default=2, help="callgrind runs at once")
    parser.add_argument(
        "--layouts",
        default="0,3000,9000",
        help="objects allocated before the app, one run per number; the median is reported",
    )
    parser.add_argument(
        "--only", help="comma-separated adapters to count (the raw reference is always counted)"
    )
    options = parser.parse_args()
    pool = ThreadPoolExecutor(options.jobs)
    layouts = [int(n) for n in options.layouts.split(",")]
    for framework in options.apps.split(","):
        interface = "wsgi" if framework in WSGI else "asgi"
        names = (
            ["reference (raw)", "bare handler", "faasgi", "apig-wsgi", "serverless-wsgi"]
            if interface == "wsgi"
            else [
                "reference (raw)",
                "reference (loop)",
                "bare handler",
                "faasgi",
                "mangum (lifespan off)",
                "mangum (lifespan auto)",
            ]
        )
        if options.only:
            wanted = {"reference (raw)", *options.only.split(",")}
            names = [name for name in names if name in wanted]
        peer = PEERS[interface]
        for kind in options.kinds.split(","):
            for version in options.versions.split(","):
                check_answers(framework, version, kind, names)
                runs = {
                    (name, calls, layout): pool.submit(
                        count, framework, version, kind, name, calls, layout
                    )
                    for name in names
                    for calls in (0, options.calls)
                    for layout in layouts
                }
                per_call = {
                    name: statistics.median(
                        (
                            runs[name, options.calls, layout].result()
                            - runs[name, 0, layout].result()
                        )
                        / options.calls
                        for layout in layouts
                    )
                    for name in names
                }
                reference = per_call["reference (raw)"]
                print(
                    f"\n### {framework}, API Gateway {version}, {kind}: "
                    "instructions per invocation\n"
                )
                print(f"| adapter | instructions | own (vs raw reference) | own / {peer}'s |")
                print("|---|---:|---:|---:|")
                peer_own = per_call[peer] - reference if peer in per_call else None
                for name in names:
                    own = per_call[name] - reference
                    shown = peer_own and name != "reference (raw)"
                    ratio = f"{own / peer_own:.2f}x" if shown else ""
                    print(f"| {name} | {per_call[name]:,.0f} | {own:,.0f} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
