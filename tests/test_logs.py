"""faasgi imports `logging` only when it must tell something (faasgi.logs): a WSGI function
whose framework does not load it never pays for it, and nothing it logs is lost."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from faasgi.logs import LazyLogger

EVENT = Path(__file__).parent / "fixtures" / "events" / "aws-powertools-lambda-python"


def _run(body: str) -> subprocess.CompletedProcess[str]:
    """`body` after a WSGI app and an HTTP API event are set up, in a fresh interpreter."""
    event = json.loads((EVENT / "apiGatewayProxyV2Event.json").read_text())
    event["requestContext"]["stage"] = "$default"
    code = (
        "import sys, faasgi\n"
        f"event = {event!r}\n"
        "def app(environ, start_response):\n"
        "    if environ['PATH_INFO'] == '/fail':\n"
        "        raise RuntimeError('boom from the app')\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'ok']\n" + body
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_wrapping_and_serving_a_wsgi_app_never_imports_logging() -> None:
    result = _run(
        "handler = faasgi.serverless(app)\n"
        "assert handler(event, None)['statusCode'] == 200\n"
        "print('logging' in sys.modules, 'threading' in sys.modules)\n"
    )
    assert result.stdout.split() == ["False", "False"]


def test_an_app_error_still_reaches_stderr_without_any_logging_set_up() -> None:
    """Logging's last-resort handler prints WARNING and up when nothing is configured:
    the lazy logger imports logging at that moment, so the line is not lost."""
    result = _run(
        "event['rawPath'] = '/fail'\n"
        "answer = faasgi.serverless(app)(event, None)\n"
        "print(answer['statusCode'])\n"
    )
    assert result.stdout.strip() == "500"
    assert "the app raised on POST /fail" in result.stderr
    assert "RuntimeError: boom from the app" in result.stderr  # the traceback came along


def test_a_report_line_turned_on_through_logging_is_written() -> None:
    """The documented switch: the `faasgi.report` logger at INFO, set by the user."""
    result = _run(
        "import logging\n"
        "logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format='%(message)s')\n"
        "logging.getLogger('faasgi.report').setLevel(logging.INFO)\n"
        "handler = faasgi.serverless(app)\n"
        "handler(event, None)\n"
        "handler(event, None)\n"
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("REPORT ")]
    assert len(lines) == 2
    assert json.loads(lines[1][len("REPORT ") :])["status"] == 200


def test_debug_is_dropped_only_while_logging_is_not_loaded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lazy = LazyLogger("faasgi.test-lazy")
    with caplog.at_level(logging.DEBUG, logger="faasgi.test-lazy"):
        lazy.debug("seen %d", 1)  # logging is loaded here (pytest): goes to the real logger
        lazy.warning("warned %s", "too")
    assert [r.getMessage() for r in caplog.records] == ["seen 1", "warned too"]
    assert caplog.records[0].funcName == "test_debug_is_dropped_only_while_logging_is_not_loaded"
    assert lazy.isEnabledFor(logging.DEBUG) == logging.getLogger("faasgi.test-lazy").isEnabledFor(
        logging.DEBUG
    )
