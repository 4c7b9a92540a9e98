"""What an adapter adds to a cold start, counted in CPU instructions (valgrind): importing
it and wrapping the app, then its first event, in a fresh interpreter whose framework and
app are already loaded (as in a function's module).

Wall-clock cold starts on a shared 2-core machine move by more than the adapter's whole
share (bench_coldstart.py), so this counts instructions: each contender runs under
callgrind three times (app only; app + import + wrap; app + import + wrap + one event)
and the differences are its costs. Bytecode is compiled first, as in a deployment package
built with `faasgi package --compile`; PYTHONDONTWRITEBYTECODE is removed for the runs.

    python bench/bench_import.py [--apps plain-wsgi,flask,starlette]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_instructions import callgrind

HERE = Path(__file__).resolve().parent

CHILD = """
import sys
sys.path.insert(0, {here!r})
from apps import APPS, EVENTS, Context, wrap
app = APPS[{framework!r}]()
event = EVENTS["v2"]("json")
context = Context()
stage = {stage}
if stage >= 1:
    handler = wrap({adapter!r}, app)
if stage >= 2:
    answer = handler(event, context)
    assert answer["statusCode"] == 200, answer
if "asyncio" in sys.modules and {framework!r} in ("plain-wsgi",):
    raise SystemExit("asyncio was imported for a WSGI app")
"""

CONTENDERS = {
    "plain-wsgi": ["faasgi", "apig-wsgi"],
    "flask": ["faasgi", "apig-wsgi"],
    "starlette": ["faasgi", "mangum"],
}


def count(framework: str, adapter: str, stage: int) -> int:
    code = CHILD.format(here=str(HERE), framework=framework, adapter=adapter, stage=stage)
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environment["PYTHONHASHSEED"] = "0"
    # setuptools' .pth puts a Python-level finder first on sys.meta_path in this venv, which
    # every import then passes through; a deployment package has no such thing.
    environment["SETUPTOOLS_USE_DISTUTILS"] = "stdlib"
    subprocess.run([sys.executable, "-c", code], check=True, env=environment)  # .pyc first
    return callgrind(code, environment)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", default=",".join(CONTENDERS))
    options = parser.parse_args()
    print("| app | adapter | import + wrap (M instr.) | first event (M) | both (M) |")
    print("|---|---|---:|---:|---:|")
    for framework in options.apps.split(","):
        base = count(framework, "", 0)
        for adapter in CONTENDERS[framework]:
            wrapped = count(framework, adapter, 1)
            answered = count(framework, adapter, 2)
            print(
                f"| {framework} | {adapter} | {(wrapped - base) / 1e6:.2f} | "
                f"{(answered - wrapped) / 1e6:.2f} | {(answered - base) / 1e6:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
