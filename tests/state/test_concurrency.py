"""No lost update: 8 copies of a function (threads, then processes) each make 50
read-modify-write increments of one item, and of one session key; the total must be
exactly 400. DynamoDB is moto's server over HTTP, the one thing the copies share; the
server handles about 300 requests a second, which is what these tests spend their time on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from faasgi.state import DynamoDBStore, MemoryStore, SessionConflict, Sessions, Store, ensure_table

from . import increment_worker

WORKERS = 8
INCREMENTS = 50
SECRET = "a secret shared by every copy, long enough"
WORKER_SCRIPT = Path(increment_worker.__file__)


@pytest.fixture
def dynamodb_table(moto_dynamodb: str, table_name: str) -> Iterator[str]:
    store = DynamoDBStore(table_name, endpoint_url=moto_dynamodb, region="us-east-1")
    ensure_table(store)
    yield table_name
    store.client.delete_table(TableName=table_name)


def run_threads(work: Callable[[int], Any]) -> list[Any]:
    results: list[Any] = [None] * WORKERS
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def worker(index: int) -> None:
        try:
            start.wait()
            results[index] = work(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def run_processes(moto_dynamodb: str, *arguments: str) -> list[dict[str, int]]:
    environment = {
        **os.environ,
        "AWS_ENDPOINT_URL_DYNAMODB": moto_dynamodb,
        "FAASGI_SESSION_SECRET": SECRET,
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT), *arguments],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        results.append(json.loads(stdout))
    return results


def stores(backend: str, moto_dynamodb: str | None, table: str) -> Callable[[], Store]:
    if backend == "memory":
        shared = MemoryStore()
        return lambda: shared
    return lambda: DynamoDBStore(table, endpoint_url=moto_dynamodb, region="us-east-1")


THREAD_BACKENDS = ["memory", pytest.param("dynamodb-server", marks=pytest.mark.slow)]


@pytest.fixture(params=THREAD_BACKENDS)
def make_copy(request: pytest.FixtureRequest) -> Callable[[], Store]:
    """Builds one copy's store: all share one MemoryStore, or one table on the server."""
    if request.param == "memory":
        return stores("memory", None, "")
    endpoint = request.getfixturevalue("moto_dynamodb")
    return stores("dynamodb", endpoint, request.getfixturevalue("dynamodb_table"))


def test_threads_incrementing_one_item_lose_no_update(make_copy: Callable[[], Store]) -> None:
    copies = [make_copy() for _ in range(WORKERS)]

    def increment(index: int) -> None:
        for _ in range(INCREMENTS):
            copies[index].update(increment_worker.COUNTER, lambda n: (n or 0) + 1)

    run_threads(increment)

    item = copies[0].get(increment_worker.COUNTER)
    assert item is not None
    assert (item.value, item.version) == (WORKERS * INCREMENTS, WORKERS * INCREMENTS)


def test_threads_incrementing_one_session_key_lose_no_update() -> None:
    # On the memory store: over DynamoDB this is the process test below, at twice the cost.
    shared = MemoryStore()
    copies = [Sessions(shared, secret=SECRET) for _ in range(WORKERS)]
    first = copies[0].open(None)
    first["count"] = 0
    cookie = "session=" + copies[0].sign(_saved_id(copies[0], first))

    results = run_threads(
        lambda index: increment_worker.increment_session(copies[index], cookie, INCREMENTS)
    )

    assert [result["done"] for result in results] == [INCREMENTS] * WORKERS
    assert copies[0].open(cookie)["count"] == WORKERS * INCREMENTS


@pytest.mark.slow
def test_processes_incrementing_one_item_lose_no_update(
    moto_dynamodb: str, dynamodb_table: str
) -> None:
    run_processes(moto_dynamodb, "item", dynamodb_table, str(INCREMENTS))

    store = DynamoDBStore(dynamodb_table, endpoint_url=moto_dynamodb)
    item = store.get(increment_worker.COUNTER)
    assert item is not None
    assert item.value == WORKERS * INCREMENTS


@pytest.mark.slow
def test_processes_incrementing_one_session_key_lose_no_update(
    moto_dynamodb: str, dynamodb_table: str
) -> None:
    sessions = Sessions(DynamoDBStore(dynamodb_table, endpoint_url=moto_dynamodb), secret=SECRET)
    session = sessions.open(None)
    session["count"] = 0
    cookie = "session=" + sessions.sign(_saved_id(sessions, session))

    results = run_processes(moto_dynamodb, "session", dynamodb_table, str(INCREMENTS), cookie)

    assert [result["done"] for result in results] == [INCREMENTS] * WORKERS
    assert sessions.open(cookie)["count"] == WORKERS * INCREMENTS


def _saved_id(sessions: Sessions, session: Any) -> str:
    sessions.save(session)
    assert session.id is not None
    return str(session.id)


def test_a_lost_race_is_reported_not_dropped() -> None:
    # The guarantee the counts above rest on, without timing: a stale save raises.
    sessions = Sessions(MemoryStore(), secret=SECRET)
    session = sessions.open(None)
    session["count"] = 0
    cookie = "session=" + sessions.sign(_saved_id(sessions, session))
    early, late = sessions.open(cookie), sessions.open(cookie)
    early["count"] += 1
    late["count"] += 1
    sessions.save(early)

    with pytest.raises(SessionConflict):
        sessions.save(late)
