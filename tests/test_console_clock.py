"""An offer's countdown runs on the server's clock, not the phone's: a rep whose phone was set
ten minutes fast saw her new five-minute offer as "no time: the offer is moving on", its Accept
disabled, while the offer was open (and a phone set slow kept Accept past the end)."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from browser import PASSWORD, admin_adds_rep_with_account, new_page, sign_in
from harness import HOT

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("phone_off_by", [timedelta(minutes=10), timedelta(minutes=-10)])
async def test_an_offers_countdown_runs_on_the_servers_clock(system, browser, phone_off_by):
    console = system.console
    await admin_adds_rep_with_account(browser, console, "Ada")
    ada = await new_page(browser)
    await ada.clock.install(time=datetime.now(UTC) + phone_off_by)  # the phone's clock, off
    await sign_in(ada, console, "ada@leadflow.example", PASSWORD)
    async with httpx.AsyncClient(timeout=10) as client:
        lead = {**HOT, "email": "kay@smallco.example", "first_name": "Kay"}
        assert (await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)).status_code == 202
    offer = ada.locator("li.offer")
    accept = offer.get_by_role("button", name="Accept")
    await accept.wait_for()
    await ada.wait_for_timeout(1_500)  # a countdown tick or more
    left = await offer.locator("time.countdown").text_content()
    minutes, seconds = (int(part) for part in left.split(":"))  # "4:58", not "no time" nor "14:58"
    assert 4 * 60 <= minutes * 60 + seconds <= 5 * 60, left
    assert await accept.is_enabled()
