"""The page in a real browser: headless Chromium (Debian's `chromium` package, driven by
Playwright with `executable_path`; no browser download) registers, logs in, adds, edits,
completes and deletes a todo on the page the function serves over real HTTP.

Skipped when no `chromium` is installed, unless FAASGI_REQUIRE_BROWSER=1 (as `.ci/run`
sets, after installing it) turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from .conftest import Served

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium; .ci/run does)"
        if os.environ.get("FAASGI_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True)
        yield browser
        browser.close()


@pytest.mark.parametrize("module", ["examples.todolist.flask_app"])
def test_a_visitor_logs_in_adds_edits_completes_and_deletes_a_todo(
    serve: Callable[[str], Served], chromium: Any, module: str
) -> None:
    from playwright.sync_api import expect

    served = serve(module)
    # The first request starts the first instance: a cold start, as the emulator says.
    assert httpx.get(served.url + "/api/currentUser").headers["x-faasgi-cold"] == "1"
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The browser loads the page's files in parallel, so the emulator may start more
    # instances, as the platform would; the page names the one behind its last API call.
    api_answers: list[Any] = []
    page.on("response", lambda answer: "/api/" in answer.url and api_answers.append(answer))
    page.set_default_timeout(10_000)

    page.goto(served.url + "/")
    expect(page.locator("#login-section")).to_be_visible()
    user = "browser-" + uuid.uuid4().hex[:8]
    page.fill("#user-name", user)
    page.fill("#password", "a browser's password")
    page.click("#register-button")  # registers, then logs in
    expect(page.locator("#who-name")).to_have_text(user)
    expect(page.locator("#todo-section")).to_be_visible()
    expect(page.locator("#empty")).to_be_visible()
    # The line under the page names the instance that served the last request.
    line = page.locator("#instance-line")
    last = api_answers[-1].headers
    expect(line).to_have_attribute("data-instance", last["x-faasgi-instance"])
    expect(line).to_have_attribute("data-cold", "true" if last["x-faasgi-cold"] == "1" else "false")
    assert re.fullmatch(r"i-[0-9a-f]+", last["x-faasgi-instance"])

    page.fill("#new-name", "Buy milk")
    page.fill("#new-desc", "two litres")
    page.click("#add-button")
    row = page.locator("#todo-list tr", has_text="Buy milk")
    expect(row).to_have_count(1)
    expect(row.locator(".status")).to_have_text("in progress")
    expect(page.locator("#page-info")).to_contain_text("1 todos")

    row.locator(".edit").click()
    editing = page.locator("#todo-list tr.editing")
    editing.locator("input.name").fill("Buy oat milk")
    editing.locator(".save").click()
    row = page.locator("#todo-list tr", has_text="Buy oat milk")
    expect(row).to_have_count(1)

    row.locator(".done").click()
    expect(row.locator(".status")).to_have_text("done")
    expect(row).to_have_class(re.compile(r"\bstatus-2\b"))
    expect(row.locator(".done")).to_be_disabled()

    page.reload()  # the session and the todo live on the server, not in the page
    expect(page.locator("#who-name")).to_have_text(user)
    row = page.locator("#todo-list tr", has_text="Buy oat milk")
    expect(row.locator(".status")).to_have_text("done")

    row.locator(".delete").click()
    expect(page.locator("#todo-list tr")).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()
    expect(page.locator("#message")).to_contain_text("Deleted")

    page.click("#logout-button")
    expect(page.locator("#login-section")).to_be_visible()
    assert errors == []
    context.close()
