"""Cold start: a fresh interpreter imports the framework and the adapter, builds the app,
wraps it and answers one event; plus the import-and-wrap time alone.

Each measurement is a new process (the interpreter's own start-up excluded), repeated and
reported as the median, with the process's peak RSS. Bytecode is compiled beforehand, as
it is in a deployment package built with `faasgi package --compile` or on any warm disk.

    python bench/bench_coldstart.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {here!r})
started = time.perf_counter()
from apps import APPS, EVENTS, Context, wrap
app = APPS[{framework!r}]()
framework_loaded = time.perf_counter()
handler = wrap({adapter!r}, app)
wrapped = time.perf_counter()
answer = handler(EVENTS["v2"]("json"), Context())
assert answer["statusCode"] == 200, answer
answered = time.perf_counter()
print(json.dumps({{
    "import_and_wrap_ms": (wrapped - framework_loaded) * 1000,
    "first_event_ms": (answered - wrapped) * 1000,
    "total_ms": (answered - started) * 1000,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}}))
"""

CONTENDERS = {
    "flask": ["faasgi", "apig-wsgi", "serverless-wsgi"],
    "starlette": ["faasgi", "mangum"],
    "fastapi": ["faasgi", "mangum"],
}


def run(framework: str, adapter: str) -> dict[str, float]:
    environment = {
        key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"
    }
    # setuptools' .pth puts a Python-level finder first on sys.meta_path in this venv, which
    # every import then passes through; a deployment package has no such thing.
    environment["SETUPTOOLS_USE_DISTUTILS"] = "stdlib"
    code = CHILD.format(here=str(HERE), framework=framework, adapter=adapter)
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    ).stdout
    result: dict[str, float] = json.loads(output)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    print(
        "| app | adapter | import + wrap ms | first event ms | total cold start ms | peak RSS MB |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for framework, adapters in CONTENDERS.items():
        for adapter in adapters:
            run(framework, adapter)  # write the bytecode caches first
            results = [run(framework, adapter) for _ in range(options.runs)]
            medians = {key: statistics.median(r[key] for r in results) for key in results[0]}
            print(
                f"| {framework} | {adapter} | {medians['import_and_wrap_ms']:.2f} | "
                f"{medians['first_event_ms']:.2f} | {medians['total_ms']:.1f} | "
                f"{medians['peak_rss_mb']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
