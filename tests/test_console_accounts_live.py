"""The accounts list follows the present, in real Chromium against the five services as
processes: a marketer who searched for a company before anyone of it came sees its account
join the found as its first person is captured, its people counted as more come, and the
account join the week's hot ones as it turns hot, without a reload (the list was drawn once and
kept until a reload), dated when it turned hot even when its scores came in one batch (it was
listed nowhere: the batch's last score, staying hot, had no date). The funnel by account counts
a person as she comes (it was drawn once too)."""

import pytest
from browser import new_page, sign_in
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from test_console_accounts import capture

pytestmark = pytest.mark.e2e
FOLLOWS_WITHIN_MS = 20_000  # capture, scoring and the account's score, then the list's second


async def an_open_accounts_list_gains_an_account_and_follows_it_turning_hot(system, admin) -> None:
    await admin.goto(f"{system.console}/accounts?q=acme")
    assert (await admin.locator("#found tbody").inner_text()).strip() == "None."
    assert (await admin.locator("#hot-this-week tbody").inner_text()).strip() == "None."
    await admin.evaluate("window.drawnOnce = true")  # gone if the page were loaded again

    await capture(system, "ada")
    found = admin.locator("#found tbody tr", has_text="Acme")
    await found.wait_for(timeout=FOLLOWS_WITHIN_MS)
    await capture(system, "bea"), await capture(system, "cy")
    await admin.locator("#found tbody tr td:nth-child(3)", has_text="3").wait_for(timeout=FOLLOWS_WITHIN_MS)
    await admin.locator("#hot-this-week tbody tr", has_text="Acme").wait_for(timeout=FOLLOWS_WITHIN_MS)
    assert "hot" in await found.locator(".badge").text_content()
    # Turned hot as its people came in one batch of scores: dated all the same (it was not).
    assert await admin.locator("#hot-this-week tbody tr td:last-child").first.text_content()
    assert await admin.evaluate("window.drawnOnce === true"), "followed, not reloaded"


async def test_the_accounts_list_and_the_funnel_by_account_follow_the_present(system, browser):
    """One system for both pages (each test starts five services)."""
    admin = await new_page(browser)
    await sign_in(admin, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
    funnel = await new_page(browser)
    await sign_in(funnel, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await funnel.goto(f"{system.console}/funnel/accounts")
    stages = funnel.locator("#account-stages tbody tr td:nth-child(2)")
    assert await stages.all_text_contents() == ["0", "0", "0", "0"]
    await funnel.evaluate("window.drawnOnce = true")
    await an_open_accounts_list_gains_an_account_and_follows_it_turning_hot(system, admin)
    await funnel.locator("#account-funnel tbody tr", has_text="Acme").wait_for(timeout=FOLLOWS_WITHIN_MS)
    await funnel.locator('#account-stages tr[data-stage="scored"] td', has_text="1").first.wait_for(
        timeout=FOLLOWS_WITHIN_MS
    )
    assert (await stages.all_text_contents())[:2] == ["1", "1"]
    assert await funnel.evaluate("window.drawnOnce === true"), "followed, not reloaded"
