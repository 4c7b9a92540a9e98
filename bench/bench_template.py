"""Speed of `faasgi serve --template`: the todo list's SAM template and s.yaml from the
command until the first answer (the emulator, moto's DynamoDB, the function's cold
start), and requests/s through a template's route against `faasgi serve MODULE:HANDLER`
for the same hello world (bench/template.yaml, bench/hello.py).

    python bench/bench_template.py                   # 3 start-ups each, 5 s of load
    python bench/bench_template.py --runs 5 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
sys.path.insert(0, str(HERE))

from bench_emulator import load, summary  # noqa: E402

from faasgi.testing.emulator import Emulator  # noqa: E402

TEMPLATES = {
    "SAM template": "adapters/aws-lambda/template.yaml",
    "s.yaml": "adapters/alibaba-fc/s.yaml",
}


def start_to_first_answer(template: str) -> float:
    """Seconds from starting `faasgi serve --template` to the first 200 from GET /."""
    started = time.perf_counter()
    emulator = Emulator(
        f"--template={REPOSITORY / template}", "--invoke-port", "0", cwd=str(REPOSITORY)
    )
    emulator.start()
    try:
        answer = httpx.get(emulator.url + "/", timeout=60)
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"GET / answered {answer.status_code}")
        return elapsed
    finally:
        emulator.stop()


def requests_per_second(emulator: Emulator, seconds: float, connections: int) -> dict[str, float]:
    url = emulator.url
    asyncio.run(load(url, 8, 1.0))  # warm both instances
    latencies, _ = asyncio.run(load(url, connections, seconds))
    return summary(latencies, seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    print("faasgi serve --template: start until the first answer (GET /, a cold start)")
    for label, template in TEMPLATES.items():
        times = [start_to_first_answer(template) for _ in range(args.runs)]
        print(
            f"  {label:14} median {statistics.median(times):5.2f} s   "
            f"min {min(times):5.2f} s   max {max(times):5.2f} s   ({args.runs} runs)"
        )
    options = ["--no-dynamodb", "--max-instances", "2", "--keep-alive", "600"]
    print(f"hello world, {args.connections} connections, 2 warm instances")
    for label, spec in (
        ("faasgi serve hello:handler", "hello:handler"),
        ("--template template.yaml", f"--template={HERE / 'template.yaml'}"),
    ):
        extra = ["--invoke-port", "0"] if spec.startswith("--") else []
        with Emulator(spec, *options, *extra, cwd=str(HERE)) as emulator:
            result = requests_per_second(emulator, args.seconds, args.connections)
        print(
            f"  {label:28} {result['rps']:7.0f} req/s   p50 {result['p50_ms']:6.2f} ms   "
            f"p99 {result['p99_ms']:6.2f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
