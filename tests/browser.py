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
PASSWORD = "a long enough password"  # the accounts tests create


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


async def new_page(browser, viewport=DESKTOP):
    context = await browser.new_context(viewport=viewport)
    return await context.new_page()


async def add_rep(page, console: str, name: str) -> None:
    await page.goto(f"{console}/team")
    form = page.locator('form[action="/team/reps"]')
    await form.get_by_label("Name").fill(name)
    await form.get_by_label("Email").fill(f"{name.lower()}@sales.example")
    await form.get_by_label("Tier").select_option("senior")
    await form.get_by_label("Capacity (open leads)").fill("5")
    await form.get_by_role("button", name="Add rep").click()
    await page.get_by_text(f"Rep {name} added.").wait_for()


async def add_account(
    page, console: str, email: str, role: str, rep_name: str | None = None, tier: str = "senior"
) -> None:
    await page.goto(f"{console}/admin/users")
    form = page.locator('form[action="/admin/users"]')
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Password (12 characters or more)").fill(PASSWORD)
    await form.get_by_label("Role").select_option(role)
    if rep_name:
        await form.get_by_label("Rep record (for a rep account)").select_option(label=f"{rep_name} ({tier})")
    await form.get_by_role("button", name="Create account").click()
    await page.get_by_text("Account created.").wait_for()
