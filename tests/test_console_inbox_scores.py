"""A rep's open inbox follows her leads' scores: a lead's new activity re-scores it, and its
card's band and score change within a second or two, without a reload. The inbox was woken only
by changes of assignments: a new score waited for its next look (5 s, seen by a rep)."""

import time

import httpx
import pytest
from browser import PASSWORD, admin_adds_rep_with_account, new_page, sign_in
from harness import AUTH, HOT

pytestmark = [pytest.mark.e2e, pytest.mark.timed]  # says how soon a screen follows
FOLLOWS_WITHIN_SECONDS = 2.0


async def test_an_open_inbox_shows_a_leads_new_score_within_seconds(system, browser):
    console = system.console
    await admin_adds_rep_with_account(browser, console, "Ada")
    ada = await new_page(browser)
    await sign_in(ada, console, "ada@leadflow.example", PASSWORD)
    async with httpx.AsyncClient(timeout=10) as client:
        lead = {**HOT, "email": "kay@bigco.example", "first_name": "Kay", "company": "BigCo"}  # warm
        assert (await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)).status_code == 202
        await ada.locator("li.offer .badge.warm").wait_for()
        await ada.wait_for_timeout(1_000)  # the inbox's own redraws of the offer are over
        activity = {"email": "kay@bigco.example", "type": "pricing_page_view"}
        answer = await client.post(f"{system.capture}/v1/activities", json=activity, headers=AUTH)
        assert answer.status_code == 202, answer.text
        posted = time.monotonic()
    await ada.locator("li.offer .badge.hot").wait_for(timeout=10_000)
    followed = time.monotonic() - posted
    assert followed <= FOLLOWS_WITHIN_SECONDS, f"the new score showed after {followed:.2f} s"
