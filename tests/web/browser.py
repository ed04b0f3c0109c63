"""Helpers for the browser tests: Debian's Chromium under Playwright, signing in through the real form,
waiting for charts, reading canvases, where screenshots go.

No browser is ever downloaded: Playwright drives the system's ``/usr/bin/chromium`` (``scripts/setup.sh``
installs it with the CJK fonts the Chinese pages need).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000

#: 138****5678: a mobile number with its middle four digits masked.
MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")


def artifacts_dir() -> Path:
    """Where screenshots go: ``$FINECRM_ARTIFACTS``, else ``test-artifacts/screenshots`` in the repository."""
    configured = os.environ.get("FINECRM_ARTIFACTS")
    folder = Path(configured) if configured else ROOT / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page: Any, base_url: str, username: str, password: str) -> Any:
    """Fill and submit the login form like a person would; returns the response of the page landed on."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation() as nav:
        page.click("form[action='/login'] button[type=submit]")
    response = nav.value
    error = page.locator("[data-testid=login-error]")
    assert error.count() == 0, f"sign-in of {username} refused: {error.inner_text()}"
    assert "/login" not in page.url, f"still on the login page after signing in as {username}: {page.url}"
    return response


#: A menu link's label without the count beside it (the tasks due today).
_LABEL_JS = "a => { const c = a.cloneNode(true); c.querySelectorAll('.count').forEach(e => e.remove()); " \
            "return c.textContent.trim(); }"


def menu(page: Any) -> dict[str, str]:
    """The main menu as ``{href: label}`` (labels without their badge counts)."""
    links = page.locator("header nav.nav a")
    return {links.nth(i).get_attribute("href"): links.nth(i).evaluate(_LABEL_JS) for i in range(links.count())}


def wait_charts(page: Any, selector: str = "[data-chart]", timeout: int = TIMEOUT_MS) -> int:
    """Wait until every chart container matching ``selector`` has been rendered by ECharts; returns how many."""
    page.wait_for_function(
        """sel => { const els = document.querySelectorAll(sel);
                    return els.length > 0 && Array.from(els).every(e => e.getAttribute('data-rendered') === '1'); }""",
        arg=selector, timeout=timeout)
    return int(page.locator(selector).count())


#: For each chart container: its canvas size and how many pixels of it are not transparent. The canvas
#: is drawn onto a fresh one first, so this reads what was painted, whatever context the chart library holds.
CANVAS_REPORT_JS = """
sel => Array.from(document.querySelectorAll(sel)).map(el => {
  const c = el.querySelector('canvas');
  if (!c) return {chart: el.getAttribute('data-chart'), canvas: false, width: 0, height: 0, painted: 0};
  const copy = document.createElement('canvas');
  copy.width = c.width; copy.height = c.height;
  let painted = 0;
  if (c.width > 0 && c.height > 0) {
    const g = copy.getContext('2d');
    g.drawImage(c, 0, 0);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < px.length; i += 4) { if (px[i] !== 0) painted++; }
  }
  return {chart: el.getAttribute('data-chart'), canvas: true, width: c.width, height: c.height, painted: painted};
})
"""


def canvas_report(page: Any, selector: str = "[data-chart]") -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate(CANVAS_REPORT_JS, selector)
    return result


def parse_count(text: str) -> int:
    """``1,234`` → 1234 (the pages format counts with thousands separators)."""
    digits = re.sub(r"[^\d]", "", text)
    assert digits, f"no number in {text!r}"
    return int(digits)


def shoot(page: Any, name: str) -> Path:
    """A full-page PNG screenshot in the artifacts folder."""
    path = artifacts_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
