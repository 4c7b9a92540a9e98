"""One copy of a function, as a process of its own: makes N read-modify-write increments
on one DynamoDB item (or one session key) and prints what it did as JSON.

Run by test_concurrency.py: `python increment_worker.py item|session TABLE COUNT [COOKIE]`,
with AWS_ENDPOINT_URL_DYNAMODB (and FAASGI_SESSION_SECRET for sessions) in the environment.
"""

from __future__ import annotations

import json
import random
import sys
import time

from faasgi.state import DynamoDBStore, Key, SessionConflict, Sessions

COUNTER = Key("counters", "shared")


def increment_item(store: DynamoDBStore, count: int) -> dict[str, int]:
    for _ in range(count):
        store.update(COUNTER, lambda n: (n or 0) + 1)
    return {"done": count}


def increment_session(sessions: Sessions, cookie: str, count: int) -> dict[str, int]:
    done = conflicts = 0
    while done < count:
        session = sessions.open(cookie)
        session["count"] += 1
        try:
            sessions.save(session)
        except SessionConflict:
            conflicts += 1  # a browser would retry the request; so do we, after a pause
            time.sleep(random.uniform(0, 0.01 * min(conflicts, 5)))
            continue
        done += 1
    return {"done": done, "conflicts": conflicts}


def main(mode: str, table: str, count: int, cookie: str = "") -> None:
    store = DynamoDBStore(table)  # endpoint and region from the environment
    if mode == "item":
        result = increment_item(store, count)
    else:
        result = increment_session(Sessions(store), cookie, count)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:])
