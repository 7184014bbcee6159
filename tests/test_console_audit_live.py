"""The audit trail follows the present, in real Chromium against the five services as processes:
an entry another service files shows on an admin's open trail without a reload, its rep named
(it was drawn once and kept what it showed until a reload)."""

import httpx
import pytest
from browser import new_page, sign_in
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH

pytestmark = pytest.mark.e2e
FOLLOWS_WITHIN_MS = 5000  # the audit topic's trip, then the trail's (a second at most)


async def test_an_entry_filed_by_routing_shows_on_an_open_audit_trail_with_the_rep_named(system, browser):
    admin = await new_page(browser)
    await sign_in(admin, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin.goto(f"{system.console}/admin/audit?action=rep.created")
    await admin.get_by_text("Nothing recorded for this filter.").wait_for()
    await admin.evaluate("window.drawnOnce = true")  # gone if the page were loaded again
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        zoe = {"name": "Zoe", "email": "zoe@sales.example", "tier": "mid", "capacity": 3}
        assert (await client.post(f"{system.routing}/v1/reps", json=zoe)).status_code == 201
    entry = admin.locator("#audit-live tbody tr", has_text="added the rep rep.created")
    await entry.wait_for(timeout=FOLLOWS_WITHIN_MS)
    assert "rep Zoe" in await entry.inner_text()
    assert await admin.evaluate("window.drawnOnce === true"), "followed, not reloaded"
