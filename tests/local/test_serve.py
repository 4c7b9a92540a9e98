"""`faasgi serve` over real HTTP: a child process on a free port, driven with httpx, the
way a developer's browser would reach it. Each test reads the platform behaviour off the
x-faasgi-instance / x-faasgi-cold headers and the emulator's log lines."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from faasgi.testing.emulator import Emulator, EmulatorError
from tests.local.conftest import ROOT, alive, app

pytestmark = pytest.mark.slow

Serve = Callable[..., Emulator]
FAASGI = [sys.executable, "-c", "from faasgi.cli import run; run()"]


def get(emulator: Emulator, path: str, **options: object) -> httpx.Response:
    return httpx.get(emulator.url + path, timeout=60, **options)  # type: ignore[arg-type]


def instance(response: httpx.Response) -> tuple[str, bool]:
    return response.headers["x-faasgi-instance"], response.headers["x-faasgi-cold"] == "1"


def at_once(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    with ThreadPoolExecutor(len(calls)) as threads:
        return [future.result() for future in [threads.submit(call) for call in calls]]


def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_the_first_request_is_a_cold_start_and_the_second_is_warm(serve: Serve) -> None:
    emulator = serve("hello")

    first = get(emulator, "/hello?name=x")
    second = get(emulator, "/hello")

    assert (first.status_code, first.text) == (200, "hello")
    assert instance(first) == (instance(second)[0], True)
    assert instance(second)[1] is False
    line = emulator.wait_for(r"GET /hello\?name=x 200 (i-\w+) cold init=[\d.]+ms duration=")
    assert line.group(1) == instance(first)[0]
    emulator.wait_for(r"GET /hello 200 i-\w+ warm init=- duration=[\d.]+ms")


def lines_in(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_request_while_the_instance_is_busy_starts_a_new_instance(
    serve: Serve, tmp_path: Path
) -> None:
    started = tmp_path / "started"
    emulator = serve("slow", env={"STARTED_LOG": str(started)})
    warm, _ = instance(get(emulator, "/"))

    with ThreadPoolExecutor(1) as threads:
        running = threads.submit(get, emulator, "/?seconds=2")
        until(lambda: len(lines_in(started)) == 1)  # the warm instance is busy now
        free = get(emulator, "/")
        busy = running.result()

    assert instance(busy) == (warm, False)
    assert instance(free)[1] is True and instance(free)[0] != warm
    assert busy.text != free.text  # two processes


def test_an_idle_instance_is_reclaimed_after_its_keep_alive(serve: Serve) -> None:
    emulator = serve("hello", "--keep-alive", "1")
    first, _ = instance(get(emulator, "/"))
    pid = int(emulator.wait_for(rf"{first}: cold start, pid (\d+)").group(1))

    emulator.wait_for(rf"{first}: reclaimed after \d+ s idle", timeout=20)
    until(lambda: not alive(pid))
    second = get(emulator, "/")

    assert instance(second)[1] is True
    assert instance(second)[0] != first


def test_requests_beyond_max_instances_wait_for_a_free_instance(
    serve: Serve, tmp_path: Path
) -> None:
    started = tmp_path / "started"
    emulator = serve("slow", "--max-instances", "1", env={"STARTED_LOG": str(started)})
    get(emulator, "/")  # one warm instance

    with ThreadPoolExecutor(1) as threads:
        running = threads.submit(get, emulator, "/?seconds=2")
        until(lambda: len(lines_in(started)) == 1)  # the only instance is busy now
        waited = get(emulator, "/")
        first = running.result()

    assert [first.status_code, waited.status_code] == [200, 200]
    assert instance(waited) == (instance(first)[0], False)
    queued = emulator.wait_for(r"GET / 200 i-\w+ warm .* queued=(\d+)ms")
    assert int(queued.group(1)) >= 100


def test_a_stuck_invocation_answers_504_and_its_instance_is_replaced(serve: Serve) -> None:
    emulator = serve("slow", "--timeout", "2")
    stuck = get(emulator, "/?seconds=60")
    pid = int(emulator.instance_pids()[instance(stuck)[0]])

    after = get(emulator, "/")

    assert stuck.status_code == 504
    assert stuck.headers["x-faasgi-error"] == "timeout"
    assert stuck.json() == {"message": "Endpoint request timed out"}
    assert instance(after)[1] is True and instance(after)[0] != instance(stuck)[0]
    until(lambda: not alive(pid))
    emulator.wait_for(r"GET /\?seconds=60 504 i-\w+ cold .* error=timeout")


def test_a_crashed_instance_answers_502_and_is_replaced(serve: Serve) -> None:
    emulator = serve("crashing")
    before = get(emulator, "/")

    crashed = get(emulator, "/crash")
    after = get(emulator, "/")

    assert crashed.status_code == 502
    assert crashed.headers["x-faasgi-error"] == "crash"
    assert instance(crashed) == (instance(before)[0], False)
    assert instance(after)[1] is True and after.text != before.text
    emulator.wait_for(rf"{instance(before)[0]} exited with status 3 during an invocation")


def test_an_exception_in_the_handler_answers_502_and_keeps_the_instance(serve: Serve) -> None:
    emulator = serve("crashing")

    failed = get(emulator, "/raise")
    after = get(emulator, "/")

    assert failed.status_code == 502
    assert failed.headers["x-faasgi-error"] == "error"
    assert instance(after) == (instance(failed)[0], False)
    # The traceback is in the instance's log, under its id.
    emulator.wait_for(rf"\[{instance(failed)[0]}\] RuntimeError: the app gave up")


def test_fresh_starts_a_new_instance_for_every_request(serve: Serve) -> None:
    emulator = serve("hello", "--fresh")

    answers = [get(emulator, "/") for _ in range(3)]

    assert [instance(a)[1] for a in answers] == [True, True, True]
    assert len({instance(a)[0] for a in answers}) == 3


def test_an_fc_instance_serves_up_to_its_concurrency_at_once(serve: Serve, tmp_path: Path) -> None:
    started = tmp_path / "started"
    options = ("--source", "fc-http", "--concurrency", "2")
    emulator = serve("slow", *options, env={"STARTED_LOG": str(started)})
    get(emulator, "/")

    with ThreadPoolExecutor(1) as threads:
        running = threads.submit(get, emulator, "/?seconds=2")
        until(lambda: len(lines_in(started)) == 1)
        alongside = get(emulator, "/")
        assert not running.done()  # answered while the first was still running
        first = running.result()

    assert instance(alongside) == (instance(first)[0], False)


def test_ctrl_c_runs_every_instances_shutdown_hooks_and_leaves_no_process(
    serve: Serve, tmp_path: Path
) -> None:
    log = tmp_path / "hooks.log"
    emulator = serve("hooks", env={"HOOKS_LOG": str(log)})
    with ThreadPoolExecutor(1) as threads:
        running = threads.submit(get, emulator, "/?seconds=2")
        until(lambda: any(line.endswith(" busy") for line in lines_in(log)))
        other = get(emulator, "/?seconds=0.1")  # the first instance is busy: a second
        pids = {int(running.result().text), int(other.text)}
    assert len(pids) == 2

    status = emulator.stop(signal.SIGINT)

    assert status == 0
    hooks = {line for line in lines_in(log) if not line.endswith(" busy")}
    assert hooks == {f"{pid} {what}" for pid in pids for what in ("init", "shutdown")}
    assert not [pid for pid in pids if alive(pid)]
    assert "stopped" in emulator.output.splitlines()[-1]


def test_ctrl_c_answers_a_request_still_running_with_503_and_stops_in_seconds(
    serve: Serve, tmp_path: Path
) -> None:
    log = tmp_path / "hooks.log"
    emulator = serve("hooks", env={"HOOKS_LOG": str(log)})
    with ThreadPoolExecutor(1) as threads:
        running = threads.submit(get, emulator, "/?seconds=60")
        until(lambda: any(line.endswith(" busy") for line in lines_in(log)))
        started = time.monotonic()
        status = emulator.stop(signal.SIGINT)
        stopped_in = time.monotonic() - started
        answer = running.result()

    assert status == 0
    assert (answer.status_code, answer.headers["x-faasgi-error"]) == (503, "stopped")
    assert stopped_in < 15
    assert [line.split()[1] for line in lines_in(log)] == ["init", "busy", "shutdown"]
    assert "Exception in ASGI application" not in emulator.output


def test_an_emulator_killed_outright_leaves_no_instance_behind(serve: Serve) -> None:
    emulator = serve("slow", "--max-instances", "2")
    answers = at_once(
        lambda: get(emulator, "/?seconds=0.5"), lambda: get(emulator, "/?seconds=0.5")
    )
    pids = {int(a.text) for a in answers}

    emulator.stop(signal.SIGKILL)

    # Each instance sees its socket close, and leaves.
    until(lambda: not [pid for pid in pids if alive(pid)])


def test_reload_starts_new_instances_after_a_source_change(serve: Serve, tmp_path: Path) -> None:
    module = tmp_path / "versioned.py"
    source = (
        "from faasgi import serverless\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'VERSION']\n"
        "handler = serverless(app)\n"
    )
    module.write_text(source.replace("VERSION", "one"))
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    emulator = serve("versioned:handler", "--reload", env=env, cwd=str(tmp_path))
    before = get(emulator, "/")

    module.write_text(source.replace("VERSION", "two"))
    later = time.time() + 2  # a clock that ticks coarsely must still see a change
    os.utime(module, (later, later))
    emulator.wait_for(r"reload: versioned\.py changed; 1 instance\(s\) retired", timeout=20)
    after = get(emulator, "/")

    assert (before.text, after.text) == ("one", "two")
    assert instance(after)[1] is True and instance(after)[0] != instance(before)[0]


def test_dynamodb_data_outlives_instances_and_declared_tables_exist(serve: Serve) -> None:
    emulator = serve("todos_in_dynamodb", "--fresh", "--with-dynamodb")
    banner = r"DynamoDB\s+(http://127\.0\.0\.1:\d+) \(moto, started here; its data lasts while"
    endpoint = emulator.wait_for(banner).group(1)

    created = httpx.post(emulator.url + "/todos", json={"title": "milk"}, timeout=60)
    listed = get(emulator, "/todos")

    assert instance(created)[0] != instance(listed)[0]
    assert listed.json() == {"todos": [created.json()]}
    emulator.wait_for(r"DynamoDB: created faasgi-test-todos \(from faasgi_tables\(\)\)")
    assert endpoint.startswith("http://127.0.0.1:")


def test_invoke_reaches_the_tables_of_a_running_emulator(serve: Serve) -> None:
    emulator = serve("todos_in_dynamodb", "--with-dynamodb")
    endpoint = emulator.wait_for(r"DynamoDB\s+(http://\S+)").group(1)
    created = httpx.post(emulator.url + "/todos", json={"title": "milk"}, timeout=60).json()

    invoked = subprocess.run(
        [*FAASGI, "invoke", app("todos_in_dynamodb"), "GET", "/todos", "--dynamodb", endpoint],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(json.loads(invoked.stdout)["body"]) == {"todos": [created]}


def test_a_taken_port_is_a_usage_error(serve: Serve) -> None:
    emulator = serve("hello")
    port = emulator.url.rsplit(":", 1)[1]

    second = Emulator(app("hello"), "--port", port, "--no-dynamodb", cwd=str(ROOT))
    with pytest.raises(EmulatorError, match=r"cannot listen on 127\.0\.0\.1"):
        second.start()
    assert second.process is not None and second.process.wait(10) == 2
    assert re.search(r"faasgi serve: cannot listen", second.output)
