"""Finding leads and reading the audit trail, in real Chromium against the five services as
processes: the leads page lists every lead an admin may see, finds one by a word of its company
and by a phone number written as a person writes it (posted, out of the URL), keeps its filters
in the URL and says at the field what it cannot use; a rep's list holds only her own leads,
whatever owner the URL asks for; the audit trail names who did what to whom (a rep's won lead
included) and filters by an account's email."""

import re

import httpx
import pytest
from browser import PASSWORD, new_page, screenshot, sign_in
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually

pytestmark = pytest.mark.e2e
PEOPLE = {
    "babbage": {"first_name": "Charles", "last_name": "Babbage", "company": "Analytical Engines Ltd"},
    "somerville": {"first_name": "Mary", "last_name": "Somerville", "company": "Somerville Optics"},
    "clarke": {"first_name": "Edith", "last_name": "Clarke", "company": "Calculating Machines Inc"},
}
ADAS = ["Charles Babbage", "Mary Somerville"]  # the leads offered to Ada, by name


async def add_rep_with_account(client: httpx.AsyncClient, system, name: str, available: bool) -> str:
    rep = {"name": name, "email": f"{name.lower()}@sales.example", "tier": "senior", "capacity": 5}
    created = await client.post(f"{system.routing}/v1/reps", json=rep | {"available": available})
    assert created.status_code == 201, created.text
    rep_id = created.json()["id"]
    user = {
        "email": f"{name.lower()}@leadflow.example",
        "password": PASSWORD,
        "role": "rep",
        "rep_id": rep_id,
    }
    assert (await client.post(f"{system.console}/v1/users", json=user)).status_code == 201
    return rep_id


async def capture(system, key: str, **extra) -> str:
    lead = {**HOT, **PEOPLE[key], "email": f"{key}@example.com", **extra}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)
    assert response.status_code == 202, response.text
    return response.json()["lead_id"]


async def names_listed(page) -> list[str]:
    return [name.strip() for name in await page.locator("tbody tr td:first-child a").all_text_contents()]


async def until_listed(page, url: str, count: int) -> list[str]:
    async def listed() -> list[str]:
        await page.goto(url)
        names = await names_listed(page)
        assert len(names) == count, names
        return names

    return await eventually(listed, timeout=20, interval=0.5)


async def search(page, text: str) -> list[str]:
    await page.get_by_label("Email, phone, name or company").fill(text)
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_load_state()
    return await names_listed(page)


async def test_leads_are_found_by_a_word_or_a_phone_a_rep_sees_only_hers_and_the_audit_names_people(
    system, browser
):
    console = system.console
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        ada_rep = await add_rep_with_account(client, system, "Ada", available=True)
        grace_rep = await add_rep_with_account(client, system, "Grace", available=False)
        await capture(system, "babbage", phone="+12025550147")
        await capture(system, "somerville")
        ada = await new_page(browser)
        await sign_in(ada, console, "ada@leadflow.example", PASSWORD)
        assert sorted(await until_listed(ada, f"{console}/leads", 2)) == [
            "Charles Babbage",
            "Mary Somerville",
        ]
        # Ada steps away and Grace comes in: the next lead is Grace's.
        for rep_id, available in ((ada_rep, False), (grace_rep, True)):
            answer = await client.patch(f"{system.routing}/v1/reps/{rep_id}", json={"available": available})
            assert answer.status_code == 200, answer.text
        await capture(system, "clarke")
    grace = await new_page(browser)
    await sign_in(grace, console, "grace@leadflow.example", PASSWORD)
    assert await until_listed(grace, f"{console}/leads", 1) == ["Edith Clarke"]

    # The admin's list holds every lead; the search finds by a word, the start of one, a phone.
    admin = await new_page(browser)
    await sign_in(admin, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await until_listed(admin, f"{console}/leads", 3)
    await screenshot(admin, "leads-list")
    assert await search(admin, "engines") == ["Charles Babbage"]
    assert "engines" not in admin.url, "a search is posted: no personal data in the URL"
    assert await search(admin, "ENGIN") == ["Charles Babbage"]
    assert await search(admin, "(202) 555-0147") == ["Charles Babbage"]
    await screenshot(admin, "leads-search")
    assert await search(admin, "somerville@example.com") == ["Mary Somerville"]
    assert await search(admin, "zebra") == []
    await admin.get_by_text("No lead you may see matches this search.").wait_for()

    # Filters: by owner, kept in the URL; a bad date is said at its field, as typed.
    await search(admin, "")
    await admin.get_by_label("Owner").select_option(label="Grace")
    await admin.get_by_role("button", name="Search").click()
    await admin.wait_for_load_state()
    assert await names_listed(admin) == ["Edith Clarke"] and f"owner={grace_rep}" in admin.url
    await admin.goto(f"{console}/leads?from=2026-13-45&temperature=hot")
    await admin.get_by_text("Write a date as YYYY-MM-DD, for example 2026-11-30.").wait_for()
    assert await admin.get_by_label("Captured from").input_value() == "2026-13-45"
    assert await admin.get_by_label("Captured from").get_attribute("aria-invalid") == "true"

    # A rep: only her own leads, whatever the URL asks for.
    assert sorted(await until_listed(ada, f"{console}/leads", 2)) == ADAS
    await ada.goto(f"{console}/leads?owner={grace_rep}")
    assert await names_listed(ada) == []
    await ada.get_by_text("No lead you may see matches these filters.").wait_for()
    assert await search(ada, "calculating") == [] and await search(grace, "calculating") == ["Edith Clarke"]

    # Ada takes Babbage's lead and wins it: the audit trail says so with names.
    await ada.goto(f"{console}/inbox")
    card = ada.locator("li.offer", has_text="Charles Babbage")
    await card.get_by_role("button", name="Accept").click()
    await ada.wait_for_load_state()
    await ada.locator("li.offer", has_text="Charles Babbage").get_by_role("button", name="Won").click()
    await ada.wait_for_timeout(500)  # a second tap, not a double tap's (those ask again)
    await ada.locator("li.offer", has_text="Charles Babbage").get_by_role("button", name="Yes, won").click()
    await ada.get_by_text("Recorded as won.").wait_for()

    async def outcome_audited() -> bool:
        await admin.goto(f"{console}/admin/audit")
        await admin.get_by_label("Actor (an account's email or a key's name)").fill("ada@leadflow.example")
        await admin.get_by_role("button", name="Filter").click()
        await admin.wait_for_load_state()
        rows = await admin.locator("tbody tr").all_text_contents()
        said = "recorded an outcome: won outcome.recorded"  # in words, its code beside them
        assert any(said in row and "lead Charles Babbage" in row for row in rows), rows
        assert any(
            "accepted the lead assignment.accepted" in row and "assignment of Charles Babbage" in row
            for row in rows
        )
        assert all("ada@leadflow.example" in row for row in rows), rows
        return True

    await eventually(outcome_audited, timeout=15, interval=0.5)
    assert "actor=ada%40leadflow.example" in admin.url
    await screenshot(admin, "audit-names")
    await admin.goto(f"{console}/admin/audit")
    rows = await admin.locator("tbody tr").all_text_contents()
    assert any(ADMIN_EMAIL in row and "login.succeeded" in row for row in rows), rows
    assert not any(re.search(r"\buser:[0-9a-f-]{36}", row) for row in rows), "every account is named"
    await admin.goto(f"{console}/admin/audit?actor=nobody%40leadflow.example")
    await admin.get_by_text("No account has this email, and no key this name.").wait_for()
