"""Looking at the HTML report as a person does: Debian's Chromium, headless, driven by Playwright.

The browser tests run where `chromium` is on the PATH and Playwright is installed (the `test`
extra); elsewhere they are skipped with the reason, unless SPEECH_ENCODING_BROWSER_TESTS=required
(as in CI, which installs Chromium with tests/browser/install_chromium.sh), which makes them fail.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest


def browser_problem() -> str | None:
    if shutil.which("chromium") is None:
        return "no chromium on the PATH (tests/browser/install_chromium.sh installs Debian's)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    return None


def require_browser() -> None:
    """Skip, or fail where SPEECH_ENCODING_BROWSER_TESTS=required, when no browser can run."""
    problem = browser_problem()
    if problem and os.environ.get("SPEECH_ENCODING_BROWSER_TESTS") == "required":
        pytest.fail(f"SPEECH_ENCODING_BROWSER_TESTS=required, but {problem}")
    if problem:
        pytest.skip(problem)


def shown_result(report: Path, path: Sequence[str], row: str, screenshot: Path) -> np.ndarray:
    """Open the report, click through the menu entries `path` (e.g. a category, a subcategory),
    show the result whose row holds `row` (its eye button), save a screenshot of the page, and
    return the pixels (RGB, 0-1) of the image as the page draws it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(report.resolve().as_uri())
            for entry in path:
                page.get_by_text(entry, exact=True).first.click()
            page.locator("tr", has_text=row).first.locator("a[iconname=eye]").click()
            image = page.locator("img[src^='data:image/png']").first
            image.wait_for(state="visible", timeout=10_000)
            page.screenshot(path=str(screenshot))
            pixels = matplotlib.image.imread(io.BytesIO(image.screenshot()), format="png")
        finally:
            browser.close()
    return pixels[..., :3]
