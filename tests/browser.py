"""Real Chromium for the console's browser tests: Debian's `chromium` package driven by
Playwright (which cannot download its own browsers here). Tests skip, saying why, where neither
is installed; `make test` installs chromium when it runs as root."""

import asyncio
import hashlib
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 860}
PASSWORD = "a long enough password"  # the accounts tests create


# axe-core's impacts that fail a test: a person using a screen reader or a keyboard is blocked or
# badly hindered. ("moderate" and "minor" are reported by axe but do not fail.)
FAILING_IMPACTS = ("serious", "critical")
# axe takes well under a second a page; a page that never lets it finish is not held against it.
CHECK_SECONDS = 30


class AccessibilityCheck:
    """axe-core, as axe-playwright-python bundles it (no download at test time), on every page
    that a browser test loads: each page's `load` starts a check of that page. A check cut short
    because the test already went on (navigated, closed the page) is dropped: the next page has
    its own. `verify` (after the test) waits for the checks and fails on serious or critical
    violations, naming the page, the rule and the elements."""

    def __init__(self):
        from axe_playwright_python.async_playwright import Axe

        self.axe = Axe()
        self.checks: list[asyncio.Task] = []
        self.violations: list[str] = []
        self.pages_checked: list[str] = []
        self.seen: set[tuple[str, str]] = set()

    def watch(self, page) -> None:
        page.on("load", lambda loaded: self.checks.append(asyncio.ensure_future(self.check(loaded))))

    async def check(self, page) -> None:
        from playwright.async_api import Error

        url = page.url
        if not url.startswith("http"):
            return
        try:
            # A page loaded again as it was (a test polling for a change) is not checked again:
            # axe costs the machine far more than the test's own work on such a page.
            seen = (url, hashlib.sha256((await page.content()).encode()).hexdigest())
            if seen in self.seen:
                return
            self.seen.add(seen)
            results = await asyncio.wait_for(self.axe.run(page), CHECK_SECONDS)
        except (Error, TimeoutError):
            return
        self.pages_checked.append(url)
        for violation in results.response["violations"]:
            if violation["impact"] in FAILING_IMPACTS:
                targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
                self.violations.append(
                    f"{url}: {violation['impact']} {violation['id']}: {violation['help']} ({targets})"
                )

    async def verify(self) -> None:
        await asyncio.gather(*self.checks, return_exceptions=True)
        assert not self.violations, "axe-core found serious or critical violations:\n" + "\n".join(
            sorted(set(self.violations))
        )


def checked_for_accessibility(browser, check: AccessibilityCheck):
    """The browser, with every page of every context it opens watched by `check`."""
    new_context, new_page = browser.new_context, browser.new_page

    async def watched_context(*args, **kwargs):
        context = await new_context(*args, **kwargs)
        # axe runs as a script in the page: a context without JavaScript (a test of the pages
        # as served, before any script) cannot run it; the same pages are checked elsewhere.
        if kwargs.get("java_script_enabled", True):
            context.on("page", check.watch)
        return context

    async def watched_page(*args, **kwargs):
        page = await new_page(*args, **kwargs)
        check.watch(page)
        return page

    browser.new_context, browser.new_page = watched_context, watched_page
    return browser


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


async def quick_change(
    page, console: str, rep_name: str, *, active: str | None = None, capacity: str | None = None
):
    """The team page's Quick change of rep `rep_name`, saved: `active` "yes" or "no", `capacity`."""
    await page.goto(f"{console}/team")
    row = page.locator("tr", has_text=rep_name)
    await row.get_by_text("Quick change").click()
    if active is not None:
        await row.get_by_label("Active").select_option(active)
    if capacity is not None:
        await row.get_by_label("Capacity").fill(capacity)
    await row.get_by_role("button", name="Save").click()


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


async def admin_adds_rep_with_account(browser, console: str, name: str):
    """The admin's page, signed in, having added rep `name` (senior) and her console account
    (`name@leadflow.example`, PASSWORD): the start of every test of a rep's screens."""
    from conftest import ADMIN_EMAIL, ADMIN_PASSWORD

    admin = await new_page(browser)
    await sign_in(admin, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await add_rep(admin, console, name)
    await add_account(admin, console, f"{name.lower()}@leadflow.example", "rep", name)
    return admin


async def rep_on_her_phone(browser, console: str, admin, name: str):
    """The admin's page adds rep `name` with an account; she signs in on a phone-sized page,
    which is returned on her inbox."""
    await add_rep(admin, console, name)
    await add_account(admin, console, f"{name.lower()}@leadflow.example", "rep", name)
    rep = await new_page(browser, PHONE)
    await sign_in(rep, console, f"{name.lower()}@leadflow.example", PASSWORD)
    return rep
