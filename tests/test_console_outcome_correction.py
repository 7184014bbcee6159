"""A manager corrects a lead's recorded outcome from its page, in real Chromium against the five
services as processes: won recorded by mistake becomes lost, with why, in the lead's story; a
marketer has no such control. The API could (a manager's or an admin's token), the console could not."""

import httpx
import pytest
from browser import PASSWORD, add_account, new_page, sign_in
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually, post_until_offered

pytestmark = pytest.mark.e2e


async def test_a_manager_corrects_a_won_lead_to_lost_saying_why_and_a_marketer_cannot(system, browser):
    console = system.console
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        rep = {"name": "Uma", "email": "uma@sales.example", "tier": "senior", "capacity": 5}
        assert (await client.post(f"{system.routing}/v1/reps", json=rep)).status_code == 201
        lead = {**HOT, "email": "vic@bigco.example", "first_name": "Vic", "company": "BigCo"}
        lead_id, _ = await post_until_offered(client, system, lead)
        won = await client.post(f"{system.capture}/v1/outcomes", json={"lead_id": lead_id, "outcome": "won"})
        assert won.status_code in (200, 202), won.text
    admin = await new_page(browser)
    await sign_in(admin, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await add_account(admin, console, "max@leadflow.example", "manager")
    await add_account(admin, console, "mo@leadflow.example", "marketer")

    max_ = await new_page(browser)
    await sign_in(max_, console, "max@leadflow.example", PASSWORD)

    async def won_shown() -> bool:
        await max_.goto(f"{console}/leads/{lead_id}")
        return await max_.locator("p", has_text="Outcome: won").count() == 1

    await eventually(won_shown, timeout=10)
    await max_.get_by_text("Correct the outcome").click()
    await max_.get_by_label("Why it was lost, not won (in the lead's story and the audit)").fill(
        "Uma clicked Won on the wrong lead"
    )
    await max_.get_by_role("button", name="Record it as lost").click()
    await max_.get_by_text("Corrected: the lead is recorded as lost.").wait_for()
    await max_.locator("p", has_text="Outcome: lost").wait_for(timeout=3_000)  # the page follows the event
    await max_.get_by_text("Outcome corrected to lost").wait_for()
    await max_.get_by_text("Uma clicked Won on the wrong lead").first.wait_for()

    marketer = await new_page(browser)
    await sign_in(marketer, console, "mo@leadflow.example", PASSWORD)
    await marketer.goto(f"{console}/leads/{lead_id}")
    await marketer.locator("p", has_text="Outcome: lost").wait_for()
    assert await marketer.locator("#correct-outcome").count() == 0
