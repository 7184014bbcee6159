"""B2B accounts in the console, in real Chromium against the five services as processes: the
account page lists its people with their scores and reps, the timeline across them, its score
and why and its owner; a rep sees only her own leads of it (and one with none gets the 403
page); marketers and admins find it by name and among the accounts turning hot this week; the
lead page names its account."""

import httpx
import pytest
from browser import PASSWORD, new_page, screenshot, sign_in
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually
from test_console_leads import add_rep_with_account

pytestmark = pytest.mark.e2e
PEOPLE = {  # one company's people, each hot under the default rules, each their own person
    "ada": {"first_name": "Ada", "job_title": "CTO", "phone": "+12025550141"},
    "bea": {"first_name": "Bea", "job_title": "VP Engineering", "phone": "+12025550142"},
    "cy": {"first_name": "Cy", "job_title": "Head of Data", "phone": "+12025550143"},
}


async def capture(system, key: str) -> str:
    lead = {
        **HOT,
        **PEOPLE[key],
        "last_name": "Lovelace",
        "company": "Acme Corp",
        "email": f"{key}@acme.example",
    }
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)
    assert response.status_code == 202, response.text
    return response.json()["lead_id"]


async def set_available(client, system, rep_id: str, available: bool) -> None:
    answer = await client.patch(f"{system.routing}/v1/reps/{rep_id}", json={"available": available})
    assert answer.status_code == 200, answer.text


async def account_of(client, system) -> str:
    async def known():
        answer = await client.get(f"{system.capture}/v1/accounts", params={"domain": "acme.example"})
        found = answer.json()["accounts"] if answer.status_code == 200 else []
        return found[0]["account_id"] if found else None

    return await eventually(known, timeout=20)


async def test_the_account_page_shows_a_rep_only_her_own_leads_and_marketers_find_hot_accounts(
    system, browser
):
    console = system.console
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        nora = await add_rep_with_account(client, system, "Nora", available=True)
        omar = await add_rep_with_account(client, system, "Omar", available=False)
        await add_rep_with_account(client, system, "Pia", available=False)  # holds none of it
        await capture(system, "ada"), await capture(system, "bea")  # both offered to Nora
        nora_page = await new_page(browser)
        await sign_in(nora_page, console, "nora@leadflow.example", PASSWORD)

        async def offered_to_nora():
            await nora_page.goto(f"{console}/leads")
            assert await nora_page.locator("tbody tr").count() == 2
            return True

        await eventually(offered_to_nora, timeout=30, interval=0.5)
        await set_available(client, system, nora, False)
        await set_available(client, system, omar, True)
        cy = await capture(system, "cy")
        account = await account_of(client, system)
        named = await client.put(f"{system.routing}/v1/accounts/{account}/owner", json={"rep_id": nora})
        assert named.status_code == 200, named.text

    admin = await new_page(browser)
    await sign_in(admin, console, ADMIN_EMAIL, ADMIN_PASSWORD)

    async def whole_account():
        await admin.goto(f"{console}/accounts/{account}")
        rows = await admin.locator("table.people tbody tr").all_text_contents()
        assert len(rows) == 3 and all("hot" in row for row in rows), rows
        assert "Omar" in " ".join(rows) and "Nora" in " ".join(rows)
        assert await admin.locator("#account-owner").text_content() == "Nora"
        assert "hot" in await admin.locator("h2 .badge").first.text_content()
        return True

    await eventually(whole_account, timeout=30, interval=0.5)
    assert await admin.locator("h1").text_content() == "Acme account", (
        "the company's name, as capture says it"
    )
    assert await admin.get_by_text("Engaged people (warm or hot)").count() == 1
    assert await admin.get_by_text("Seniority covered: C-level").count() == 1
    matched = await admin.locator("table.people tbody tr td:last-child").all_text_contents()
    assert matched == ["domain (100%)"] * 3, "how each person matched, whichever event came first"
    timeline = " ".join(await admin.locator("ol.timeline li").all_text_contents())
    assert "Joined an account by email domain" in timeline and "Cy Lovelace" in timeline
    await screenshot(admin, "b2b-account")

    # Nora sees her two people and is told one more is with another rep; Omar sees only his.
    await nora_page.goto(f"{console}/accounts/{account}")
    rows = await nora_page.locator("table.people tbody tr").all_text_contents()
    assert sorted(row.split("Lovelace")[0].strip() for row in rows) == ["Ada", "Bea"]
    assert "1 more person" in await nora_page.locator("#people-hidden").text_content()
    assert "Cy Lovelace" not in await nora_page.content(), "not on the people, not on the timeline"
    omar_page = await new_page(browser)
    await sign_in(omar_page, console, "omar@leadflow.example", PASSWORD)
    await omar_page.goto(f"{console}/accounts/{account}")
    assert [
        r.split("Lovelace")[0].strip()
        for r in await omar_page.locator("table.people tbody tr").all_text_contents()
    ] == ["Cy"]
    assert "Ada Lovelace" not in await omar_page.content()
    pia_page = await new_page(browser)
    await sign_in(pia_page, console, "pia@leadflow.example", PASSWORD)
    refused = await pia_page.goto(f"{console}/accounts/{account}")
    assert refused.status == 403 and "Acme" not in await pia_page.content()
    assert (await pia_page.goto(f"{console}/accounts")).status == 403, "the accounts list is for marketers"

    # The lead page names its account; the accounts page finds it by name and lists it as hot.
    await admin.goto(f"{console}/leads/{cy}")
    assert "Acme" in await admin.locator("#lead-account").text_content()
    await admin.goto(f"{console}/accounts?q=acme")
    assert await admin.locator("#found tbody a").all_text_contents() == ["Acme"]
    assert await admin.locator("#hot-this-week tbody a").all_text_contents() == ["Acme"]
