"""A lead a rep holds, given to another rep by hand, in real Chromium against the five services
as processes: the manager opens the lead's page, gives it to a colleague with a reason, and is
told who has it now; the rep who had it accepted it, and her open inbox lets it go at once. Only
a waiting lead could be given by hand: a rep out sick kept her leads (a helper's hour)."""

import httpx
import pytest
from browser import (
    PASSWORD,
    add_account,
    admin_adds_rep_with_account,
    new_page,
    quick_change,
    screenshot,
    sign_in,
)
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually, post_until_offered

pytestmark = pytest.mark.e2e


async def test_a_manager_gives_a_lead_a_rep_accepted_to_another_rep_and_the_first_rep_lets_it_go(
    system, browser
):
    console = system.console
    admin = await admin_adds_rep_with_account(browser, console, "Ana")
    await add_account(admin, console, "max@leadflow.example", "manager")
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        lead = {**HOT, "email": "kim@bigco.example", "first_name": "Kim", "company": "BigCo"}
        lead_id, offer = await post_until_offered(client, system, lead)
        accepted = await client.post(f"{system.routing}/v1/assignments/{offer['id']}/accept")
        assert accepted.status_code == 200, accepted.text
        bo = {"name": "Bo", "email": "bo@sales.example", "tier": "senior", "capacity": 5}
        assert (await client.post(f"{system.routing}/v1/reps", json=bo)).status_code == 201

    ana = await new_page(browser)
    await sign_in(ana, console, "ana@leadflow.example", PASSWORD)
    card = ana.locator(f'li.offer[data-assignment="{offer["id"]}"]')
    await card.wait_for()  # her accepted lead, on her open inbox

    max_ = await new_page(browser)
    await sign_in(max_, console, "max@leadflow.example", PASSWORD)
    stale_context = await browser.new_context(java_script_enabled=False)  # a tab that cannot follow
    stale = await stale_context.new_page()
    await sign_in(stale, console, "max@leadflow.example", PASSWORD)

    async def accepted_shown() -> bool:
        await max_.goto(f"{console}/leads/{lead_id}")
        return "With Ana (senior), accepted" in await max_.locator("#routing-now").inner_text()

    await eventually(accepted_shown, timeout=10)
    await stale.goto(f"{console}/leads/{lead_id}")  # drawn while Ana has it: Bo is a choice
    await max_.get_by_text("Give to another rep").click()
    await max_.get_by_text("Ana is told the lead went to another rep").wait_for()
    give = max_.locator("#give-by-hand")
    options = await give.get_by_label("Rep").locator("option").all_text_contents()
    assert all(not option.startswith("Ana ") for option in options), options  # not the one who has it
    await give.get_by_label("Rep").select_option(label="Bo (senior) · 0 / 5")
    await give.get_by_label("Why (optional; in the lead's story)").fill("Ana is out this week")
    await screenshot(max_, "lead-give-to-another-rep")
    await give.get_by_role("button", name="Give to this rep").click()
    await max_.get_by_text("Assigned: the lead is offered to Bo until").wait_for()
    await max_.get_by_text("Ana is told it moved to another rep.").wait_for()
    await max_.locator("#routing-now", has_text="With Bo (senior), offered").wait_for()
    await max_.get_by_text("Given by hand to Bo, from Ana: Ana is out this week").first.wait_for()

    await card.wait_for(state="detached", timeout=3000)  # gone from her open inbox, live
    left = ana.locator("li.left-lead")
    await left.wait_for(timeout=3000)
    assert (
        await left.locator(".how").text_content() == "It was given to another rep by hand; another rep has it"
    )

    # The lead is Bo's now: a tab drawn before offers Bo still; routing's no is said at its form.
    await max_.goto(f"{console}/leads/{lead_id}")
    options = await max_.locator("#give-by-hand").get_by_label("Rep").locator("option").all_text_contents()
    assert all(not option.startswith("Bo ") for option in options), options
    gave = stale.locator("#give-by-hand")
    await gave.locator("summary").click()
    await gave.get_by_label("Rep").select_option(label="Bo (senior) · 0 / 5")
    await gave.get_by_label("Why (optional; in the lead's story)").fill("Bo again")
    await gave.get_by_role("button", name="Give to this rep").click()
    refused = stale.locator("#give-by-hand [role=alert]")
    assert "This rep already has the lead (offered)" in await refused.text_content()
    assert await stale.locator("#give-by-hand").get_by_label(
        "Why (optional; in the lead's story)"
    ).input_value() == ("Bo again")

    # The admin's audit trail names both reps (it said their ids).
    await admin.goto(f"{console}/admin/audit?action=lead.assigned")
    [row] = await admin.locator("tbody tr").all_text_contents()
    assert "assigned the lead by hand to Bo, from Ana lead.assigned" in row and "lead Kim" in row, row


async def test_a_rep_deactivated_with_a_lead_she_accepted_is_said_on_the_team_page_with_the_way_to_it(
    system, browser
):
    console = system.console
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        dee = {"name": "Dee", "email": "dee@sales.example", "tier": "senior", "capacity": 5}
        assert (await client.post(f"{system.routing}/v1/reps", json=dee)).status_code == 201
        lead = {**HOT, "email": "lou@bigco.example", "first_name": "Lou", "company": "BigCo"}
        _, offer = await post_until_offered(client, system, lead)
        assert (await client.post(f"{system.routing}/v1/assignments/{offer['id']}/accept")).status_code == 200
    admin = await new_page(browser)
    await sign_in(admin, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await add_account(admin, console, "dee@leadflow.example", "rep", "Dee")
    dee = await new_page(browser)
    await sign_in(dee, console, "dee@leadflow.example", PASSWORD)
    await dee.locator("#offers[data-listening]").wait_for(state="attached")
    await quick_change(admin, console, "Dee", active="no")
    # Her open inbox says so at once (it said so only after a reload), and again when undone.
    await dee.locator("#inactive").wait_for(timeout=2_000)
    holds = admin.locator("tr", has_text="Dee").get_by_role(
        "link", name="Inactive, still holds 1 lead: give it to other reps from its page"
    )
    await holds.click()
    await admin.get_by_role("link", name="Lou").first.click()
    await admin.locator("#give-by-hand").wait_for()
    await quick_change(admin, console, "Dee", active="yes")
    await dee.locator("#inactive").wait_for(state="detached", timeout=2_000)
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        audit = await client.get(f"{console}/v1/audit", params={"action": "rep.deactivated"})
    assert audit.status_code == 200 and len(audit.json()["entries"]) == 1, audit.text  # as DELETE says it
