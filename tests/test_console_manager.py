"""A sales manager's role, in real Chromium against the five services as processes: she lands on
the queue, assigns a waiting lead by hand (over a rep's capacity, once confirmed), changes a rep
on the team page and reads every lead, without the admin's pages or the scoring rules. A manager
who assigned had to be an admin, with every admin page (a helper's hour)."""

import httpx
import pytest
from browser import PASSWORD, add_account, new_page, quick_change, sign_in
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually
from test_access import token_for

pytestmark = pytest.mark.e2e


async def test_a_manager_works_the_queue_and_the_team_without_the_admin_pages(system, browser):
    console = system.console
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        lee = {"name": "Lee", "email": "lee@sales.example", "tier": "senior", "capacity": 0}
        lee_id = (await client.post(f"{system.routing}/v1/reps", json=lee)).json()["id"]
        lead = {**HOT, "email": "kim@bigco.example", "first_name": "Kim", "company": "BigCo"}
        lead_id = (await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)).json()["lead_id"]
    admin = await new_page(browser)
    await sign_in(admin, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await add_account(admin, console, "max@leadflow.example", "manager")
    max_ = await new_page(browser)
    await sign_in(max_, console, "max@leadflow.example", PASSWORD)
    assert max_.url.endswith("/queue"), max_.url  # her first page
    nav = await max_.locator("header nav a, nav a").all_text_contents()
    assert {"Queue", "Live feed", "Funnel", "Leads", "Accounts", "Team"} <= set(nav), nav
    assert "Admin" not in nav and "Scoring" not in nav, nav

    entry = max_.locator(f'li[data-lead="{lead_id}"]')

    async def waiting() -> bool:
        await max_.goto(f"{console}/queue")
        assert await entry.count() == 1
        return True

    await eventually(waiting, timeout=20)
    await entry.get_by_label("Rep").select_option(label="Lee (senior) · 0 / 0 · at capacity")
    # Offered at once beside a full rep (it showed only after a refused try); left unticked here.
    assert await entry.get_by_label("Assign anyway, over capacity").is_visible()
    await entry.get_by_label("Why (optional; in the lead's story)").fill("Lee knows BigCo")
    await entry.get_by_role("button", name="Assign").click()
    await max_.locator(f'li[data-lead="{lead_id}"]').get_by_text("has 0 of 0 open leads").wait_for()
    await max_.locator(f'li[data-lead="{lead_id}"]').get_by_label("Assign anyway, over capacity").check()
    await max_.locator(f'li[data-lead="{lead_id}"]').get_by_role("button", name="Assign").click()
    await max_.get_by_text("Assigned: the lead is offered to Lee until").wait_for()

    # The team: she changes a rep's capacity; she reads the lead's page and its story.
    await quick_change(max_, console, "Lee", capacity="3")
    await max_.locator("tr", has_text="Lee").locator("td[data-label='Load']").get_by_text("1 / 3").wait_for()
    await max_.goto(f"{console}/leads/{lead_id}")
    await max_.get_by_text("assigned by hand: Lee knows BigCo").first.wait_for()

    # Not hers: the admin's pages and the scoring rules.
    for path in ("/admin/users", "/admin/keys", "/admin/webhooks", "/admin/audit", "/scoring"):
        assert (await max_.goto(f"{console}{path}")).status == 403, path

    # Through the API as well: the team's work, not where a rep's offers and their one-click
    # links go (with that, a manager could send a rep's offers to herself: a second read).
    async with httpx.AsyncClient(timeout=10) as client:
        token = await token_for(client, console, "max@leadflow.example", PASSWORD)
        rep = f"{system.routing}/v1/reps/{lee_id}"
        assert (await client.patch(rep, json={"capacity": 4}, headers=token)).status_code == 200
        moved = await client.patch(rep, json={"email": "max@leadflow.example"}, headers=token)
        assert moved.status_code == 403 and "routing:admin" in moved.json()["detail"], moved.text
        channels = {"email": True, "slack_url": "https://hooks.slack.com/services/T0/B0/x"}
        told = await client.put(
            f"{system.webhooks}/v1/notifications/reps/{lee_id}", json=channels, headers=token
        )
        assert told.status_code == 403, told.text
        links = await client.post(
            f"{system.routing}/v1/offer-links", json={"assignment_ids": []}, headers=token
        )
        assert links.status_code == 403, links.text
