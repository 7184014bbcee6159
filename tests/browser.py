"""Real Chromium for the console's browser tests: Debian's `chromium` package driven by
Playwright (which cannot download its own browsers here). Tests skip, saying why, where neither
is installed; `make test` installs chromium when it runs as root."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 860}


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("browser tests: Debian's chromium is not installed (make test installs it as root)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        pytest.skip("browser tests: playwright is not installed (make venv installs it)")
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


async def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def sign_in(page, console: str, email: str, password: str) -> None:
    await page.goto(f"{console}/")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()
