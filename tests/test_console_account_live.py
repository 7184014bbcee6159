"""An account's page follows the account live, in real Chromium against the five services as
processes: with the page open and never reloaded, an admin sees its owner change, a new person
of it arrive (scored and with her rep), a person taken out leave, and a dismissed suggestion
leave; a rep's open page follows too but shows only her own leads (the newcomer, another rep's,
is only counted), and a rep whose last lead of it leaves the account is told so and shown
nothing more. The pages as updated are checked with axe-core like every page loaded."""

import asyncio
import time

import httpx
import pytest
from browser import PASSWORD, new_page, sign_in
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually
from test_console_accounts import set_available
from test_console_leads import add_rep_with_account

pytestmark = pytest.mark.e2e
LIVE_WITHIN = 2.0  # seconds; the inbox's bound (measured on this 2-core machine: see the report)


async def capture(client: httpx.AsyncClient, system, first_name: str, **extra: object) -> str:
    lead = {**HOT, "first_name": first_name, "last_name": "Lovelace", "company": "Acme"}
    lead |= {"email": f"{first_name.lower()}@acme.example", **extra}
    answer = await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)
    assert answer.status_code == 202, answer.text
    return answer.json()["lead_id"]


async def people(page) -> list[str]:
    rows = await page.locator("table.people tbody tr").all_text_contents()
    return sorted(row.split("Lovelace")[0].strip() for row in rows)


async def serious_violations(page) -> list[str]:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


async def not_reloaded(page) -> bool:
    return await page.evaluate("performance.getEntriesByType('navigation').length") == 1


async def test_an_open_account_page_follows_its_owner_its_people_and_its_suggestions(system, browser):
    console = system.console
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        nora = await add_rep_with_account(client, system, "Nora", available=True)
        omar = await add_rep_with_account(client, system, "Omar", available=False)
        await capture(client, system, "Ada", job_title="CTO"), await capture(client, system, "Bea")
        dee = {"email": "dee@gmail.com", "company": "Acmee"}  # a weak name match: only suggested

        async def account() -> str | None:
            found = await client.get(f"{system.capture}/v1/accounts", params={"domain": "acme.example"})
            listed = found.json()["accounts"] if found.status_code == 200 else []
            return listed[0]["account_id"] if listed else None

        acme = await eventually(account, timeout=20)
        dee_id = (await client.post(f"{system.capture}/v1/leads/landing-page", json=dee)).json()["lead_id"]

        admin = await new_page(browser)
        await sign_in(admin, console, ADMIN_EMAIL, ADMIN_PASSWORD)

        async def both_with_nora_and_dee_suggested() -> bool:
            await admin.goto(f"{console}/accounts/{acme}")
            rows = await admin.locator("table.people tbody tr").all_text_contents()
            assert len(rows) == 2 and all("Nora" in row for row in rows), rows
            assert await admin.locator(f'#suggested tr[data-lead="{dee_id}"]').count() == 1
            return True

        await eventually(both_with_nora_and_dee_suggested, timeout=40, interval=0.5)
        nora_page = await new_page(browser)
        await sign_in(nora_page, console, "nora@leadflow.example", PASSWORD)
        await nora_page.goto(f"{console}/accounts/{acme}")
        assert await people(nora_page) == ["Ada", "Bea"]
        assert await nora_page.locator("#people-hidden").count() == 0
        # Both pages are open and listening from here on; neither is loaded again.
        for page in (admin, nora_page):
            await page.locator("#account-live[data-listening]").wait_for(state="attached")
        await asyncio.sleep(1.0)
        for page in (admin, nora_page):  # what the page drew is what the stream would: no redraw
            assert await page.locator("#account-live").get_attribute("data-updated") is None

        # An admin names Nora its owner: the owner on the open page changes.
        named = await client.put(f"{system.routing}/v1/accounts/{acme}/owner", json={"rep_id": nora})
        assert named.status_code == 200, named.text
        named_at = time.monotonic()
        await admin.locator("#account-owner", has_text="Nora").wait_for(timeout=10_000)
        owner_after = time.monotonic() - named_at
        await nora_page.locator("#account-owner", has_text="Nora").wait_for(timeout=10_000)

        # A new person of the account, while Nora is away: she goes to Omar. The admin sees her
        # arrive with her score and her rep; Nora is only told that one more is with another rep.
        await set_available(client, system, nora, False)
        await set_available(client, system, omar, True)
        posted_at = time.monotonic()
        cy = await capture(client, system, "Cy", job_title="Head of Data")
        await admin.locator("table.people tbody tr", has_text="Cy").wait_for(timeout=10_000)
        person_after = time.monotonic() - posted_at
        await (
            admin.locator("table.people tbody tr", has_text="Cy")
            .filter(has_text="Omar")
            .wait_for(timeout=20_000)
        )
        await nora_page.locator("#people-hidden", has_text="1 more person").wait_for(timeout=10_000)
        assert await people(nora_page) == ["Ada", "Bea"]
        assert "Cy Lovelace" not in await nora_page.content(), "not on her people, not on her timeline"
        assert "Cy Lovelace" in " ".join(await admin.locator("ol.timeline li").all_text_contents())

        # Omar's open page shows Cy alone; when Cy is taken out of the account, the account is
        # none of his business any more: his page says so and shows nothing of it.
        omar_page = await new_page(browser)
        await sign_in(omar_page, console, "omar@leadflow.example", PASSWORD)
        await omar_page.goto(f"{console}/accounts/{acme}")
        assert await people(omar_page) == ["Cy"]
        await omar_page.locator("#account-live[data-listening]").wait_for(state="attached")
        unlinked = await client.delete(f"{system.capture}/v1/accounts/{acme}/people/{cy}")
        assert unlinked.status_code == 204, unlinked.text
        await omar_page.locator("#account-gone").wait_for(timeout=10_000)
        assert await omar_page.locator("table.people").count() == 0
        assert (
            "Ada Lovelace" not in await omar_page.content() and "Cy Lovelace" not in await omar_page.content()
        )
        await admin.locator("table.people tbody tr", has_text="Cy").wait_for(state="detached", timeout=10_000)
        refused = await omar_page.request.get(f"{console}/accounts/{acme}/stream")
        assert refused.status == 403, "a rep with none of its people is refused the stream as the page"

        # Dismissing the suggestion (as another admin would, elsewhere) takes it off the open page.
        dismissed = await client.delete(f"{system.capture}/v1/accounts/{acme}/suggestions/{dee_id}")
        assert dismissed.status_code == 204, dismissed.text
        dismissed_at = time.monotonic()
        await admin.locator(f'#suggested tr[data-lead="{dee_id}"]').wait_for(state="detached", timeout=10_000)
        suggestion_after = time.monotonic() - dismissed_at

    assert all([await not_reloaded(page) for page in (admin, nora_page, omar_page)]), "without a reload"
    print(f"live: owner {owner_after:.2f} s, person {person_after:.2f} s, dismissal {suggestion_after:.2f} s")
    assert owner_after <= LIVE_WITHIN, f"the owner took {owner_after:.2f} s to show"
    assert suggestion_after <= LIVE_WITHIN, f"the dismissal took {suggestion_after:.2f} s to show"
    for page in (admin, nora_page, omar_page):
        assert await serious_violations(page) == [], page.url
