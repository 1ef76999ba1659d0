"""Open a report in headless Chromium (system browser, driven by Playwright)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@dataclass
class PageCheck:
    """What the browser saw: requests, console errors, section IDs and images."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    section_ids: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    text: str = ""


def open_report(html: Path, screenshot: Path, profile: Path) -> PageCheck:
    """Load ``html`` from file://, record everything, save a full-page screenshot."""
    from playwright.sync_api import sync_playwright

    check = PageCheck()
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = context.new_page()
            page.on("request", lambda req: check.requests.append(req.url))
            page.on("console", lambda msg: msg.type == "error" and check.console_errors.append(
                msg.text))  # fmt: skip
            page.on("pageerror", lambda err: check.page_errors.append(str(err)))
            page.goto(html.resolve().as_uri(), wait_until="load")
            page.wait_for_load_state("networkidle")
            check.section_ids = page.eval_on_selector_all("section", "els => els.map(e => e.id)")
            check.images = page.eval_on_selector_all(
                "img",
                "els => els.map(e => ({id: e.parentElement.id, complete: e.complete,"
                " w: e.naturalWidth, h: e.naturalHeight}))",
            )
            check.text = page.inner_text("body")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()
    return check
