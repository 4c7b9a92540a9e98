"""The streaming example in a real browser, through `faasgi serve`: headless Chromium
(Debian's `chromium`, driven by Playwright with `executable_path`, as
tests/todolist/test_browser.py does) opens the page, asks for a token feed, and the page
shows each token as it arrives — the first one long before the last.

Skipped when Playwright or `chromium` is missing, unless FAASGI_REQUIRE_BROWSER=1 (as
`.ci/run` sets) turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from examples.streaming.tokens import token
from faasgi.testing.emulator import Emulator

pytestmark = [pytest.mark.slow, pytest.mark.browser]

COUNT, DELAY = 30, 0.05


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    required = os.environ.get("FAASGI_REQUIRE_BROWSER") == "1"
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium; .ci/run does)"
        if required:
            pytest.fail(message)
        pytest.skip(message)
    if not required:
        pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True)
        yield browser
        browser.close()


@pytest.mark.parametrize("module", ["fastapi_app", "flask_app"])
def test_the_page_shows_the_first_token_long_before_the_last(
    serve: Callable[..., Emulator], chromium: Any, module: str
) -> None:
    emulator = serve(f"examples.streaming.{module}:handler", "--source", "function-url")
    assert httpx.get(emulator.url + "/", timeout=60).status_code == 200  # the cold start
    page = chromium.new_page()
    try:
        page.goto(f"{emulator.url}/?count={COUNT}&delay={DELAY}")
        page.fill("#prompt", "tokens, please")
        page.click("button")
        page.wait_for_function("window.feed.done", timeout=60_000)
        feed = page.evaluate("window.feed")
        shown = page.text_content("#answer")
    finally:
        page.close()

    expected = [token("tokens, please", n) for n in range(COUNT)]
    assert feed["tokens"] == expected
    assert shown == " ".join(expected)
    first = feed["arrivals"][0] - feed["started"]
    last = feed["arrivals"][-1] - feed["started"]
    # The app pauses 29 times 50 ms between tokens: the last cannot come before 1.45 s.
    assert last >= 1000
    assert first < last / 4, f"first token after {first:.0f} ms, last after {last:.0f} ms"
