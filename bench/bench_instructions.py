"""Instructions per warm invocation, counted by valgrind (callgrind), for each adapter.

Wall-clock timings on a shared 2-core machine move with whatever else runs; instruction
counts do not. The heap left by the warm-up is frozen (`gc.freeze()`), so the collections
counted are those of what the calls themselves allocate. Each contender runs in a fresh interpreter under callgrind twice, with 0
and with N invocations after the same warm-up; the difference divided by N is its cost.

    python bench/bench_instructions.py [--calls 200] [--apps flask,starlette]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apps import WSGI

HERE = Path(__file__).resolve().parent

RUNNER = """
import sys
sys.path.insert(0, {here!r})
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


def count(framework: str, version: str, kind: str, name: str, calls: int) -> int:
    script = RUNNER.format(
        here=str(HERE), version=version, kind=kind, framework=framework, name=name, calls=calls
    )
    # A fixed hash seed: dict layouts, and so instruction counts, repeat run to run.
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            script,
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--apps", default="starlette,flask")
    parser.add_argument("--versions", default="v2,v1")
    parser.add_argument("--kind", default="json")
    parser.add_argument(
        "--only", help="comma-separated adapters to count (the raw reference is always counted)"
    )
    options = parser.parse_args()
    for framework in options.apps.split(","):
        names = (
            ["reference (raw)", "bare handler", "faasgi", "apig-wsgi", "serverless-wsgi"]
            if framework in WSGI
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
        for version in options.versions.split(","):
            print(
                f"\n### {framework}, API Gateway {version}, {options.kind}: "
                "instructions per invocation\n"
            )
            print("| adapter | instructions | own (vs raw reference) |")
            print("|---|---:|---:|")
            per_call: dict[str, float] = {}
            for name in names:
                base = count(framework, version, options.kind, name, 0)
                total = count(framework, version, options.kind, name, options.calls)
                per_call[name] = (total - base) / options.calls
                own = per_call[name] - per_call["reference (raw)"]
                print(f"| {name} | {per_call[name]:,.0f} | {own:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
