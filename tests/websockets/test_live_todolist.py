"""The FastAPI todo list's live updates in a real browser: two tabs of one user on
`faasgi serve` with several instances; a todo added in one tab appears in the other, and
completing it there shows in the first, through `faasgi.websockets.broadcast` to the
user's group (examples/todolist/live.py). Headless Chromium as in
tests/todolist/test_browser.py; skipped without it unless FAASGI_REQUIRE_BROWSER=1."""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from faasgi.testing.emulator import Emulator

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium; .ci/run does)"
        if os.environ.get("FAASGI_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")  # dev extra only
    sync_playwright = sync_api.sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def served() -> Iterator[Emulator]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FAASGI_", "TODO_", "SESSION_"))
    }
    environment["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY), *sys.path])
    with Emulator(
        "examples.todolist.fastapi_app:handler",
        "--max-instances",
        "4",
        cwd=str(REPOSITORY),
        env=environment,
    ) as emulator:
        yield emulator


def two_instances(url: str) -> None:
    """Two registrations at once (scrypt keeps each busy): the pool starts a second instance."""

    def register(_: int) -> int:
        name = "warm-" + uuid.uuid4().hex[:8]
        body = {"userName": name, "password": "a long enough password"}
        return httpx.post(url + "/api/register", json=body, timeout=60).status_code

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(register, range(2))) == [200, 200]


def test_a_change_in_one_tab_appears_in_the_users_other_tab(
    served: Emulator, chromium: Any
) -> None:
    from playwright.sync_api import expect

    two_instances(served.url)
    assert len(served.instance_pids()) >= 2
    context = chromium.new_context()
    first, second = context.new_page(), context.new_page()
    errors: list[str] = []
    for page in (first, second):
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_default_timeout(15_000)

    first.goto(served.url + "/")
    user = "live-" + uuid.uuid4().hex[:8]
    first.fill("#user-name", user)
    first.fill("#password", "a browser's password")
    first.click("#register-button")
    expect(first.locator("#who-name")).to_have_text(user)
    second.goto(served.url + "/")  # the same browser: the same session cookie
    expect(second.locator("#who-name")).to_have_text(user)
    for page in (first, second):
        expect(page.locator("body")).to_have_attribute("data-live", "on")

    first.fill("#new-name", "Buy milk")
    first.click("#add-button")
    expect(first.locator("#todo-list tr", has_text="Buy milk")).to_have_count(1)
    added = time.monotonic()
    row = second.locator("#todo-list tr", has_text="Buy milk")
    expect(row).to_have_count(1)  # second never reloaded: the broadcast told it
    seen_after = time.monotonic() - added
    print(f"live update reached the other tab {seen_after * 1000:.0f} ms after the add returned")

    row.locator(".done").click()
    expect(first.locator("#todo-list tr", has_text="Buy milk").locator(".status")).to_have_text(
        "done"
    )
    assert served.count(r"WS \$connect \S+ 200") >= 2
    assert errors == []
    context.close()
    # Logged out tabs leave: their connections' $disconnect runs and they are forgotten.
    served.wait_for(r"WS \$disconnect \S+ 200", 30)


def test_the_flask_page_polls_instead(chromium: Any) -> None:
    """The Flask function has no /api/live: its page falls back to polling."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FAASGI_", "TODO_", "SESSION_"))
    }
    environment["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY), *sys.path])
    from playwright.sync_api import expect

    with Emulator(
        "examples.todolist.flask_app:handler", cwd=str(REPOSITORY), env=environment
    ) as emulator:
        page = chromium.new_page()
        page.set_default_timeout(15_000)
        page.goto(emulator.url + "/")
        page.fill("#user-name", "poll-" + uuid.uuid4().hex[:8])
        page.fill("#password", "a browser's password")
        page.click("#register-button")
        expect(page.locator("body")).to_have_attribute("data-live", "polling")
        page.close()
