"""The funnel follows the present, in real Chromium against the five services as processes: a
marketer watching it sees a lead captured and then accepted counted without a reload (it was
drawn once and kept its counts until a reload)."""

import httpx
import pytest
from browser import admin_adds_rep_with_account
from harness import AUTH, HOT, post_until_offered

pytestmark = pytest.mark.e2e
FOLLOWS_WITHIN_MS = 5000  # the pipeline's own time, then the funnel's (a second at most)


def stage(page, name: str):
    return page.locator(f'#funnel-live text.value[data-stage="{name}"]')


async def count(page, name: str) -> int:
    return int((await stage(page, name).text_content()).split(" ")[0])


async def test_an_open_funnel_counts_a_lead_captured_then_accepted_without_a_reload(system, browser):
    console = system.console
    admin = await admin_adds_rep_with_account(browser, console, "Ana")
    await admin.goto(f"{console}/funnel")
    captured, accepted = await count(admin, "captured"), await count(admin, "accepted")
    await admin.evaluate("window.drawnOnce = true")  # gone if the page were loaded again

    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        lead = {**HOT, "email": "funnel@bigco.example", "first_name": "Fay", "company": "BigCo"}
        _, offer = await post_until_offered(client, system, lead)
        await admin.locator(
            f'#funnel-live text.value[data-stage="captured"]:text-matches("^{captured + 1}\\\\b")'
        ).wait_for(timeout=FOLLOWS_WITHIN_MS)
        taken = await client.post(f"{system.routing}/v1/assignments/{offer['id']}/accept")
        assert taken.status_code == 200, taken.text
    await admin.locator(
        f'#funnel-live text.value[data-stage="accepted"]:text-matches("^{accepted + 1}\\\\b")'
    ).wait_for(timeout=FOLLOWS_WITHIN_MS)
    assert await count(admin, "captured") == captured + 1
    assert await admin.evaluate("window.drawnOnce === true"), "followed, not reloaded"
