"""A Flask app streaming with a generator, run unchanged under faasgi.runtime."""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Flask, Response

from faasgi import serverless

app = Flask(__name__)


@app.get("/stream")
def stream() -> Response:
    def lines() -> Iterator[str]:
        for index in range(4):
            yield f"line {index}\n"
            time.sleep(0.2)

    return Response(lines(), mimetype="text/plain")


handler = serverless(app, invoke_mode="RESPONSE_STREAM")
