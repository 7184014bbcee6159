"""Merging two accounts by hand in the console, in real Chromium against the five services as
processes: a marketer names the other account on the account's page (by name, domain or page
address); what names no account, or the account itself, is said at the field with what was typed
kept; the merge moves the people, capture answers 303 for the merged account, the audit trail
names the marketer, and the merged account's page says where it went (and nothing it no longer
has). A rep may not merge."""

import httpx
import pytest
from browser import PASSWORD, new_page, screenshot, sign_in
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, HOT, eventually
from test_console_leads import add_rep_with_account

pytestmark = pytest.mark.e2e


async def capture(system, first_name: str, email: str, company: str) -> str:
    lead = {**HOT, "first_name": first_name, "last_name": "Merge", "email": email, "company": company}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)
    assert response.status_code == 202, response.text
    return response.json()["lead_id"]


async def account_with_domain(client, system, domain: str) -> str:
    async def known():
        answer = await client.get(f"{system.capture}/v1/accounts", params={"domain": domain})
        found = answer.json()["accounts"] if answer.status_code == 200 else []
        return found[0]["account_id"] if found else None

    return await eventually(known, timeout=20)


async def submit(page, typed: str) -> None:
    form = page.locator("#merge form")
    await form.get_by_label("The other account: its domain, its name, or its page's address").fill(typed)
    await form.get_by_role("button", name="Merge into it").click()
    await page.wait_for_load_state()


async def test_a_marketer_merges_two_accounts_on_the_account_page(system, browser):
    console = system.console
    marketer = {"email": "mia@leadflow.example", "password": PASSWORD, "role": "marketer"}
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        assert (await client.post(f"{console}/v1/users", json=marketer)).status_code == 201
        await add_rep_with_account(client, system, "Rita", available=False)
        await capture(system, "Ann", "ann@acme.example", "Acme Corp")
        await capture(system, "Ben", "ben@acme.example", "Acme Corp")
        await capture(system, "Cal", "cal@roadrunner.example", "Roadrunner Supply")
        acme = await account_with_domain(client, system, "acme.example")
        roadrunner = await account_with_domain(client, system, "roadrunner.example")

    mia = await new_page(browser)
    await sign_in(mia, console, marketer["email"], PASSWORD)

    async def shown(account: str, people: int):
        await mia.goto(f"{console}/accounts/{account}")
        assert await mia.locator("table.people tbody tr a").count() == people
        return True

    await eventually(lambda: shown(roadrunner, 1), timeout=30, interval=0.5)
    field = mia.locator("#merge-into")

    # Words that name no account, or this one, are answered at the field; what was typed stays.
    await submit(mia, "nobody-here.example")
    assert await mia.locator("#merge-into-error").text_content() == (
        "No account has the domain “nobody-here.example”"
    )
    assert await field.input_value() == "nobody-here.example"
    assert await field.get_attribute("aria-invalid") == "true"
    await submit(mia, "https://www.roadrunner.example/about")
    assert "this account itself" in await mia.locator("#merge-into-error").text_content()
    await screenshot(mia, "b2b-account-merge-refused")

    # By name: Roadrunner's person and domain join Acme; the merged account answers 303.
    await submit(mia, "acme")
    assert mia.url == f"{console}/accounts/{acme}"
    await mia.get_by_text("Merged. The other account's people and domains are this one's now").wait_for()
    await eventually(lambda: shown(acme, 3), timeout=30, interval=0.5)
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        gone = await client.get(f"{system.capture}/v1/accounts/{roadrunner}")
        assert gone.status_code == 303 and gone.headers["location"] == f"/v1/accounts/{acme}"
        survivor = (await client.get(f"{system.capture}/v1/accounts/{acme}")).json()
        assert sorted(survivor["domains"]) == ["acme.example", "roadrunner.example"]
        me = await client.post(
            f"{console}/v1/auth/token", data={"username": marketer["email"], "password": PASSWORD}
        )
        mia_id = (
            await client.get(
                f"{console}/v1/auth/me", headers={"authorization": f"Bearer {me.json()['access_token']}"}
            )
        ).json()["user"]["id"]

        async def audited():
            answer = await client.get(f"{console}/v1/audit", params={"action": "account.merged"})
            return [(e["target_id"], e["details"]["merged"], e["actor"]) for e in answer.json()["entries"]]

        entries = await eventually(audited, timeout=10)
    assert len(entries) == 1 and entries[0][:2] == (acme, roadrunner), entries
    assert mia_id in entries[0][2], "the audit trail names the marketer, not the console"

    async def says_merged():
        await mia.goto(f"{console}/accounts/{roadrunner}")
        assert "This account was merged into" in await mia.content()
        return True

    await eventually(says_merged, timeout=30, interval=0.5)
    assert await mia.locator("#merge").count() == 0, "a merged account offers no merge"
    # Nothing it no longer has: no owner to come, no score, no empty people list.
    text = await mia.locator("#account-live").inner_text()
    for invented in ("Nobody yet", "unscored", "No one you may see", "Suggested"):
        assert invented not in text, (invented, text)
    await mia.locator("#account-merged").get_by_role("link", name="Open the account it is part of").click()
    assert mia.url == f"{console}/accounts/{acme}"

    # A rep sees no merge form and may not post one; an admin may.
    rita = await new_page(browser)
    await sign_in(rita, console, "rita@leadflow.example", PASSWORD)
    refused = await rita.request.post(f"{console}/accounts/{acme}/merge", form={"into": "x.example"})
    assert refused.status == 403
    admin = await new_page(browser)
    await sign_in(admin, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin.goto(f"{console}/accounts/{acme}")
    assert await admin.locator("#merge form").count() == 1


async def test_a_marketer_dismisses_one_weak_match_and_links_another(system, browser):
    console = system.console
    marketer = {"email": "mia@leadflow.example", "password": PASSWORD, "role": "marketer"}
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        assert (await client.post(f"{console}/v1/users", json=marketer)).status_code == 201
        await capture(system, "Ann", "ann@acme.example", "Acme")
        # Free mail naming the company with a typo: suggested for Acme, not linked.
        dee = await capture(system, "<b>Dee</b>", "dee@gmail.com", "Acmee")
        fay = await capture(system, "Fay", "fay@gmail.com", "Acmee")
        acme = await account_with_domain(client, system, "acme.example")

        async def both_suggested():
            found = (await client.get(f"{system.capture}/v1/accounts/{acme}")).json()
            return sorted(p["lead_id"] for p in found["suggested"]) == sorted([dee, fay])

        await eventually(both_suggested, timeout=20)

    mia = await new_page(browser)
    await sign_in(mia, console, marketer["email"], PASSWORD)
    await eventually(lambda: mia_sees(mia, console, acme), timeout=30, interval=0.5)
    rows = mia.locator("#suggested tbody tr")
    assert await rows.count() == 2
    assert await mia.locator("#suggested").get_by_role("link", name="<b>Dee</b> Merge").count() == 1, (
        "what a lead typed is shown as text"
    )
    await mia.get_by_role("button", name="Dismiss the suggestion of <b>Dee</b> Merge").click()
    await mia.get_by_text("Dismissed. This person will not be suggested for this account again.").wait_for()
    await mia.get_by_role("button", name="Link Fay Merge to this account").click()
    await mia.get_by_text("Linked. The person is one of this account's people now.").wait_for()
    assert await mia.locator("#suggested").count() == 0, "nothing left to decide"
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        found = (await client.get(f"{system.capture}/v1/accounts/{acme}")).json()
        assert found["suggested"] == [] and fay in [p["lead_id"] for p in found["people"]]
        audit = await client.get(f"{console}/v1/audit", params={"action": "account.suggestion_dismissed"})
        assert [e["details"]["lead_id"] for e in audit.json()["entries"]] == [dee]


async def mia_sees(page, console: str, account: str) -> bool:
    await page.goto(f"{console}/accounts/{account}")
    assert await page.locator("#suggested").count() == 1
    return True
