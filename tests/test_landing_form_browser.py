"""The landing page form that Leadflow ships (docs/landing-page-form.html), pasted into a page of a
website as its comment says and posted by a person in real Chromium: every submission is stored,
and the person reads a page (a thank-you page, or the fields to correct) rather than JSON."""

from pathlib import Path

import httpx
import pytest
from browser import new_page, screenshot
from harness import AUTH, eventually, is_ready

pytestmark = pytest.mark.e2e

SNIPPET = Path(__file__).resolve().parent.parent / "docs" / "landing-page-form.html"
# The capture address the snippet posts to as shipped (`make run`'s).
SHIPPED_CAPTURE = "http://127.0.0.1:8001"
SITE = "http://www.shop.example"  # the website the form is pasted into


def website_with_the_form(capture: str) -> str:
    """A page of the website with the snippet pasted in, pointed at this test's capture."""
    form = SNIPPET.read_text()
    assert SHIPPED_CAPTURE in form, "the snippet posts to make run's capture as shipped"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Get the demo</title></head>'
        f"<body><main><h1>Get the demo</h1>{form.replace(SHIPPED_CAPTURE, capture)}</main></body></html>"
    )


async def serve_the_website(page, capture: str) -> None:
    """The website's origin answered inside the browser: its pages are the ones below."""

    async def answer(route):
        if route.request.url.endswith("/thank-you"):
            body = '<!doctype html><html lang="en"><title>Thanks</title><h1>Thanks from the shop</h1></html>'
        else:
            body = website_with_the_form(capture)
        await route.fulfill(status=200, content_type="text/html", body=body)

    await page.route(f"{SITE}/**", answer)
    await page.route("https://www.example.com/**", answer)


async def fill_and_send(page, capture: str, email: str) -> None:
    await page.goto(f"{SITE}/demo")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("First name").fill("Ada")
    await page.get_by_label("Company", exact=True).fill("Analytical Engines")
    await page.get_by_role("button", name="Get the demo").click()
    await page.wait_for_load_state()


async def leads_with(capture: str, email: str) -> list[dict]:
    async with httpx.AsyncClient() as client:
        found = await client.get(f"{capture}/v1/leads", params={"email": email}, headers=AUTH)
    assert found.status_code == 200, found.text
    return found.json()["leads"]


async def test_the_shipped_form_as_copied_stores_the_lead_and_thanks_the_visitor(system, browser):
    # As shipped, the form's redirect_to (www.example.com) is not an allowed origin of this capture.
    page = await new_page(browser)
    await serve_the_website(page, system.capture)
    await fill_and_send(page, system.capture, "ada@engines.example")

    assert page.url.startswith(system.capture), page.url
    await page.get_by_role("heading", name="Thank you").wait_for()
    assert "application/json" not in await page.content()
    await page.get_by_role("link", name="Back to the site").wait_for()
    await screenshot(page, "landing-thank-you")
    stored = await eventually(lambda: leads_with(system.capture, "ada@engines.example"))
    assert len(stored) == 1

    # Without redirect_to at all, the same page.
    await page.goto(f"{SITE}/demo")
    await page.locator('input[name="redirect_to"]').evaluate("input => input.remove()")
    await page.get_by_label("Email", exact=True).fill("grace@engines.example")
    await page.get_by_role("button", name="Get the demo").click()
    await page.get_by_role("heading", name="Thank you").wait_for()
    assert len(await eventually(lambda: leads_with(system.capture, "grace@engines.example"))) == 1


async def test_an_allowed_redirect_to_lands_on_the_sites_thank_you_page(system, browser, start_service):
    capture = start_service("capture", system.settings, CAPTURE_ALLOWED_ORIGINS="https://www.example.com")
    await eventually(lambda: is_ready(capture), timeout=30)
    page = await new_page(browser)
    await serve_the_website(page, capture)
    await fill_and_send(page, capture, "ada@allowed.example")

    await page.get_by_role("heading", name="Thanks from the shop").wait_for()
    assert page.url == "https://www.example.com/thank-you"
    assert len(await eventually(lambda: leads_with(capture, "ada@allowed.example"))) == 1


async def test_a_bad_email_is_named_in_words_with_what_was_typed(system, browser):
    page = await new_page(browser)
    await serve_the_website(page, system.capture)
    # The browser's own check lets "ada@engines" through; capture's does not.
    await fill_and_send(page, system.capture, "ada@engines")

    await page.get_by_role("heading", name="Please check the form").wait_for()
    problem = page.get_by_role("listitem").filter(has_text="Email")
    await problem.wait_for()
    assert "ada@engines" in await problem.inner_text()
    text = await page.locator("body").inner_text()
    assert "{" not in text and "about:blank" not in text, text
