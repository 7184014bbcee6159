"""The team page's Quick change stays open through a redraw, in real Chromium against the five
services as processes: a manager typing a rep's capacity while the team changes keeps the form
and what she typed (it closed at each redraw, with the typed value hidden: a manager's hour);
the audit trail then says what the change changed."""

import httpx
import pytest
from browser import admin_adds_rep_with_account
from harness import AUTH

pytestmark = pytest.mark.e2e


async def test_an_open_quick_change_stays_open_with_what_was_typed_when_the_team_redraws(system, browser):
    console = system.console
    admin = await admin_adds_rep_with_account(browser, console, "Ana")
    await admin.goto(f"{console}/team")
    row = admin.locator("#team-live tr", has_text="Ana")
    await row.get_by_text("Quick change").click()
    await row.get_by_label("Capacity").fill("30")
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        bo = {"name": "Bo", "email": "bo@sales.example", "tier": "mid", "capacity": 3}
        assert (await client.post(f"{system.routing}/v1/reps", json=bo)).status_code == 201
    await admin.locator("#team-live tr", has_text="Bo").first.wait_for(timeout=5000)  # redrawn
    quick = admin.locator("#team-live tr", has_text="Ana").locator("details")
    assert await quick.get_attribute("open") is not None, "still open after the redraw"
    assert await admin.locator("#team-live tr", has_text="Ana").get_by_label("Capacity").input_value() == "30"

    # Saved: the audit trail says what changed (it said "changed the rep"), not what stayed.
    await admin.locator("#team-live tr", has_text="Ana").get_by_role("button", name="Save").click()
    await admin.locator("#team-live tr", has_text="Ana").get_by_text("0 / 30").wait_for()
    await admin.goto(f"{console}/admin/audit?action=rep.updated")
    entry = admin.locator("#audit-live tbody tr", has_text="rep.updated")
    await entry.wait_for(timeout=5000)  # the trail follows: the entry comes through the broker
    said = await entry.inner_text()
    assert "changed the rep: capacity 30" in said and "rep Ana" in said, said
