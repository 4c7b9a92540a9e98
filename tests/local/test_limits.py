"""The payload limits of each platform's front, in-process: a request over them never
reaches the function, an answer over them is the front's 502 with the error the platform
logs. Sizes are the documented ones (sources in faasgi.local.limits and docs/emulator.md)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from faasgi import serverless
from faasgi.function import Handler
from faasgi.local.gateway import Gateway
from faasgi.local.limits import NONE
from faasgi.local.pool import Outcome
from tests.local.apps.sizes import app
from tests.local.test_gateway import Fixed, InProcess, call
from tests.local.test_serve import Serve, get

MB = 1024 * 1024


@pytest.fixture(scope="module")
def sizes() -> Iterator[Handler]:
    handler = serverless(app)
    yield handler
    handler.shutdown()


def test_a_7_mb_request_is_refused_with_413_before_the_function_runs(sizes: Handler) -> None:
    invoker = InProcess(sizes, "aws-http")

    refused = call(Gateway(invoker, "aws-http"), "POST", "/", content=b"a" * (7 * MB))

    assert refused.status_code == 413
    assert refused.headers["x-faasgi-error"] == "too-large"
    assert invoker.events == []


def test_a_request_under_6_mb_reaches_the_function(sizes: Handler) -> None:
    invoker = InProcess(sizes, "aws-http")

    answer = call(Gateway(invoker, "aws-http"), "POST", "/", content=b"a" * (5 * MB))

    assert answer.status_code == 200
    assert answer.headers["x-body-bytes"] == str(5 * MB)


def test_an_answer_over_6_mb_is_a_502_and_the_error_lambda_logs(
    sizes: Handler, caplog: pytest.LogCaptureFixture
) -> None:
    invoker = InProcess(sizes, "aws-http")

    with caplog.at_level(logging.WARNING, logger="faasgi.local.gateway"):
        answer = call(Gateway(invoker, "aws-http"), "GET", f"/?bytes={7 * MB}")

    assert answer.status_code == 502
    assert answer.json() == {"message": "Internal server error"}
    assert "RequestEntityTooLarge" in caplog.text
    assert "Exceeded maximum allowed payload size (6291556 bytes)." in caplog.text


def test_no_limits_lets_both_through(sizes: Handler) -> None:
    gateway = Gateway(InProcess(sizes, "aws-http"), "aws-http", limits=NONE)

    answer = call(gateway, "POST", f"/?bytes={7 * MB}", content=b"a" * (7 * MB))

    assert answer.status_code == 200
    assert len(answer.content) == 7 * MB


def test_an_alb_request_body_over_1_mb_is_refused(sizes: Handler) -> None:
    invoker = InProcess(sizes, "alb")

    refused = call(Gateway(invoker, "alb"), "POST", "/", content=b"a" * (MB + 1))

    assert refused.status_code == 413
    assert invoker.events == []


@pytest.mark.parametrize(
    "options",
    [
        {"content": b"a" * (32 * MB + 1)},
        {"headers": {"x-big": "v" * (8 * 1024)}},
        {"params": {"q": "v" * (4 * 1024)}},
    ],
    ids=["body over 32 MB", "headers over 8 KB", "path over 4 KB"],
)
def test_fc_refuses_what_its_http_trigger_refuses_with_400(
    sizes: Handler, options: dict[str, object]
) -> None:
    invoker = InProcess(sizes, "fc-http")

    refused = call(Gateway(invoker, "fc-http"), "POST", "/", **options)  # type: ignore[arg-type]

    assert refused.status_code == 400
    assert "InvalidArgument" in refused.text
    assert invoker.events == []


def test_a_response_gets_one_date_header_whoever_sets_it() -> None:
    with_date = b'{"statusCode": 200, "headers": {"date": "Mon, 30 Nov 2026 06:00:00 GMT"}}'
    without = b'{"statusCode": 200, "headers": {}}'

    own = call(Gateway(Fixed(Outcome("i-1", False, None, 1.0, 0.0, with_date))), "GET", "/")
    added = call(Gateway(Fixed(Outcome("i-1", False, None, 1.0, 0.0, without))), "GET", "/")

    assert own.headers.get_list("date") == ["Mon, 30 Nov 2026 06:00:00 GMT"]
    assert len(added.headers.get_list("date")) == 1


@pytest.mark.slow
def test_limits_are_on_by_default_and_each_answer_has_one_date(serve: Serve) -> None:
    emulator = serve("sizes")
    seven_mb = b"a" * (7 * 1024 * 1024)

    refused = httpx.post(emulator.url + "/", content=seven_mb, timeout=60)
    own_date = get(emulator, "/?date=1")
    plain = get(emulator, "/")

    assert refused.status_code == 413
    emulator.wait_for(r"POST / 413 - error=too-large \(request too large: event of [\d,]+ bytes")
    assert own_date.headers.get_list("date") == ["Mon, 30 Nov 2026 06:00:00 GMT"]
    assert len(plain.headers.get_list("date")) == 1


@pytest.mark.slow
def test_no_limits_lets_a_7_mb_request_through(serve: Serve) -> None:
    emulator = serve("sizes", "--no-limits")

    answer = httpx.post(emulator.url + "/", content=b"a" * (7 * 1024 * 1024), timeout=60)

    assert answer.status_code == 200
    assert answer.headers["x-body-bytes"] == str(7 * 1024 * 1024)
    assert "limits     none (--no-limits)" in emulator.output
