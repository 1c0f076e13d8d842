"""The docs in a real browser: Swagger UI and ReDoc render the spec from the app itself (no
network beyond localhost), and a "Try it out" call reaches the running server."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import CHROMIUM, browser_available

pytestmark = pytest.mark.slow  # headless Chromium


def test_swagger_ui_renders_and_tries_an_operation_and_redoc_renders(live_server: str) -> None:
    browser_available()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page()
            outside: list[str] = []

            def offline(route: Any) -> None:  # no network beyond localhost
                outside.append(route.request.url)
                route.abort()

            page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), offline)
            page.goto(f"{live_server}/docs")
            operation = page.locator("#operations-health-getReadiness")
            operation.wait_for(timeout=20_000)
            assert page.locator(".info .title").inner_text().startswith("Berdaya")
            operation.locator(".opblock-summary").click()
            # "Try it out" is on from the start (tryItOutEnabled): execute straight away.
            operation.locator("button.execute").click()
            status = operation.locator(".live-responses-table tbody .response-col_status").first
            status.wait_for(timeout=20_000)
            assert status.inner_text().strip() == "200"
            body = operation.locator(".live-responses-table .microlight").first.inner_text()
            assert '"ready"' in body

            page.goto(f"{live_server}/redoc")
            page.locator("h1", has_text="Berdaya API").first.wait_for(timeout=20_000)
            heading = page.locator("h2", has_text=re.compile("Start an account", re.I)).first
            heading.wait_for(state="attached", timeout=20_000)
            # Every asset comes from the app itself; ReDoc's footer logo alone points outside
            # and simply does not show.
            assert set(outside) <= {"https://cdn.redoc.ly/redoc/logo-mini.svg"}, outside
        finally:
            browser.close()
