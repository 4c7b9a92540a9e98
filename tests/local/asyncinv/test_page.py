"""The emulator's async log page in a real browser (Debian's chromium through Playwright, as
tests/todolist/test_browser.py does): after a failing event and a timer firing, the page
shows each event's schedule, its attempts "k of n", its result and where the result went.

Skipped when no `chromium` is installed, unless FAASGI_REQUIRE_BROWSER=1."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from faasgi.testing.emulator import Emulator
from tests.local.asyncinv.conftest import trigger, wait_finished
from tests.local.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium; .ci/run does)"
        if os.environ.get("FAASGI_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # A dev-only package: the other Pythons' CI runs install only the extras.
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_playwright = sync_api.sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True)
        yield browser
        browser.close()


def test_the_log_page_lists_each_event_its_attempts_and_where_its_result_went(
    chromium: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    emulator = Emulator(
        "tests.local.asyncinv.flaky:handler",
        "--no-dynamodb",
        "--retry-delay",
        "0.1",
        "--max-retry-attempts",
        "1",
        "--on-failure",
        "sqs:failures",
        "--schedule",
        "nightly=cron(0 3 * * ? *)",
        cwd=str(ROOT),
        env={"CALLS_LOG": str(tmp_path / "calls.jsonl")},
    )
    emulator.start()
    try:
        failing = httpx.post(
            emulator.url + "/2015-03-31/functions/flaky/invocations",
            json={"mode": "fail"},
            headers={"X-Amz-Invocation-Type": "Event"},
            timeout=30,
        ).headers["x-amzn-requestid"]
        assert trigger(emulator, "nightly", "--time", "2026-01-01T03:00:00Z").returncode == 0
        wait_finished(emulator, 2)

        page = chromium.new_page()
        page.set_default_timeout(10_000)
        page.goto(emulator.url + "/_faasgi/async")
        rows = page.locator("#events tbody tr")
        expect(rows).to_have_count(2)
        failed = rows.filter(has_text=failing)
        expect(failed).to_contain_text("attempt 1 of 2: error")
        expect(failed).to_contain_text("attempt 2 of 2: error")
        expect(failed).to_contain_text("failed (RetriesExhausted)")
        expect(failed).to_contain_text("OnFailure sqs:failures")
        scheduled = rows.filter(has_text="schedule nightly")
        expect(scheduled).to_contain_text("2026-01-01T03:00:00.000Z")
        expect(scheduled).to_contain_text("attempt 1 of 2: success")
        page.close()
    finally:
        emulator.stop()
