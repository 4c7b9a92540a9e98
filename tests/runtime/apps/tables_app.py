"""Declares its DynamoDB table with `faasgi_tables()` and counts its requests in it; notes
each process that imports it in the file IMPORT_LOG names (one pid a line)."""

from __future__ import annotations

import json
import os
from typing import Any

from faasgi import serverless
from faasgi.state import DynamoDBStore, Key

TABLE = "faasgi-runtime-client-tables"

with open(os.environ["IMPORT_LOG"], "a") as log:
    log.write(f"{os.getpid()}\n")


def faasgi_tables() -> list[str]:
    return [TABLE]


def factory() -> Any:
    store = DynamoDBStore(TABLE)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        count = store.update(Key("requests", "count"), lambda n: (n or 0) + 1).value
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"count": count}).encode()]

    return app


handler = serverless(factory)
