"""Every screen shows the present, in real Chromium against the five services as processes
(routing's SLA cut to seconds): an offer that runs out leaves the rep's open inbox within 2 s; a
click on a page that could not hear it is answered with what happened, not an error page; the
lead page says where the lead is and why; a rep who passes on a lead sees where it went, the
reason is on its timeline, and the lead is no longer hers to open."""

import time
from datetime import datetime

import httpx
import pytest
from browser import (
    DESKTOP,
    PASSWORD,
    PHONE,
    add_account,
    add_rep,
    admin_adds_rep_with_account,
    new_page,
    screenshot,
    sign_in,
)
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, start_system
from harness import AUTH, HOT, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timed]  # says how soon a screen follows
SLA_SECONDS = 8


@pytest.fixture
async def system(settings, start_service):
    return await start_system(settings, start_service, ROUTING_SLA_SECONDS=str(SLA_SECONDS))


async def rep_in_two_tabs(browser, console: str, name: str):
    """The admin's page (which added rep `name` with an account), her inbox on a phone, and the
    same inbox in a tab that cannot hear changes (no script): what a rep sees when the live
    channel is cut, a laptop wakes up, or she clicks just as the offer moves on."""
    admin = await admin_adds_rep_with_account(browser, console, name)
    live = await new_page(browser, PHONE)
    await sign_in(live, console, f"{name.lower()}@leadflow.example", PASSWORD)
    stale_context = await browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    stale = await stale_context.new_page()
    await sign_in(stale, console, f"{name.lower()}@leadflow.example", PASSWORD)
    return admin, live, stale


async def post_hot_lead(system, email: str, first_name: str) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        lead = {**HOT, "email": email, "first_name": first_name, "company": "BigCo"}
        response = await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)
    assert response.status_code == 202, response.text
    return response.json()["lead_id"]


async def test_an_offer_that_runs_out_leaves_the_inbox_and_a_late_click_says_what_happened(system, browser):
    console = system.console
    admin, ada, stale = await rep_in_two_tabs(browser, console, "Ada")
    lead_id = await post_hot_lead(system, "lin@bigco.example", "Lin")
    offer = ada.locator("li.offer")
    await offer.wait_for(timeout=10_000)
    deadline = datetime.fromisoformat(await offer.locator("time.countdown").get_attribute("datetime"))
    await stale.goto(f"{console}/inbox")
    await stale.locator("li.offer").wait_for()

    # Nobody accepts: at the deadline routing moves it on, and the open inbox drops the card.
    await offer.wait_for(state="detached", timeout=(SLA_SECONDS + 5) * 1000)
    late = time.time() - deadline.timestamp()
    assert late <= 2.0, f"the card stayed {late:.2f} s past its deadline"
    await ada.get_by_text("No offers right now").wait_for()
    await screenshot(ada, "inbox-after-expiry")

    # The tab that did not hear it: Accept answers with what happened, on the inbox.
    await stale.locator("li.offer").get_by_role("button", name="Accept").click()
    notice = stale.get_by_text("This lead moved on at")
    await notice.wait_for()
    text = await notice.text_content()
    assert "because your time to accept it ran out; it went to the waiting queue." in text
    assert await stale.locator("li.offer").count() == 0, "the inbox it lands on shows the present"
    await screenshot(stale, "inbox-stale-click")

    # The lead page says where the lead is, and why.
    await admin.goto(f"{console}/leads/{lead_id}")
    routing_now = await admin.locator("#routing-now").text_content()
    assert (
        routing_now == "Waiting in the queue for a mid or senior rep who has not passed on it, let it run out"
        " or had it taken away"
    )
    await admin.get_by_text("Moved on: Ada did not accept it in time").wait_for()

    # Grace joins and gets it at once; she passes on it with a reason.
    await add_rep(admin, console, "Grace")
    await add_account(admin, console, "grace@leadflow.example", "rep", "Grace")
    grace = await new_page(browser)
    await sign_in(grace, console, "grace@leadflow.example", PASSWORD)
    offered = grace.locator("li.offer")
    await offered.wait_for(timeout=10_000)
    await offered.get_by_label("Reason").select_option("Not a fit")
    await offered.get_by_role("button", name="Pass on it").click()
    rejected_at = time.monotonic()
    await grace.get_by_text("You passed on this lead at").wait_for()
    await screenshot(grace, "inbox-after-reject")
    assert (
        "it went to the waiting queue" in await grace.get_by_text("You passed on this lead at").text_content()
    )

    async def closed_to_her() -> bool:
        response = await grace.goto(f"{console}/leads/{lead_id}")
        assert response.status == 403, "a lead she passed on is no longer hers to open"
        return True

    await eventually(closed_to_her, timeout=2, interval=0.2)  # the console follows within a second

    async def on_its_timeline() -> bool:
        # The lead page is not live: it shows the present when opened, so it is opened again.
        await admin.goto(f"{console}/leads/{lead_id}")
        assert await admin.get_by_text("Passed on by Grace: Not a fit").count() == 1
        return True

    try:
        await eventually(on_its_timeline, timeout=5, interval=0.5)
    except AssertionError:
        # Late or lost? (It failed twice in loaded runs that could not be reproduced.)
        raise AssertionError(await what_the_lead_page_shows(admin, on_its_timeline, rejected_at)) from None
    await screenshot(admin, "lead-routing-story")


async def what_the_lead_page_shows(admin, on_its_timeline, since: float) -> str:
    shown = f"timeline: {await admin.locator('ol.timeline').inner_text()!r}"
    try:
        await eventually(on_its_timeline, timeout=20, interval=0.5)
    except AssertionError:
        return f"the rejection never reached the lead page within 25 s; {shown}"
    return f"the rejection reached the lead page {time.monotonic() - since:.1f} s after the click; {shown}"


async def test_a_waiting_hot_lead_is_listed_with_its_reason_assigned_by_hand_and_offered_live(
    system, browser
):
    console = system.console
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        # A senior rep with no free slot: the lead waits, and only an admin's override places it.
        rep = {"name": "Lee", "email": "lee@sales.example", "tier": "senior", "capacity": 0}
        assert (await client.post(f"{system.routing}/v1/reps", json=rep)).status_code == 201
    admin = await new_page(browser)
    await sign_in(admin, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await add_account(admin, console, "lee@leadflow.example", "rep", "Lee")
    lee = await new_page(browser, PHONE)
    await sign_in(lee, console, "lee@leadflow.example", PASSWORD)
    await lee.get_by_text("No offers right now").wait_for()
    async with httpx.AsyncClient(timeout=10) as client:
        lead = {**HOT, "email": "kim@bigco.example", "first_name": "Kim", "company": "BigCo"}
        response = await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)
        lead_id = response.json()["lead_id"]

    async def listed() -> bool:
        await admin.goto(f"{console}/queue")
        assert await admin.locator(f'li[data-lead="{lead_id}"]').count() == 1
        # Named once the console has read her capture (routing may decide before it has: the
        # card comes with the score now).
        assert await admin.locator(f'li[data-lead="{lead_id}"] a.who').text_content() == "Kim"
        return True

    await eventually(listed, timeout=15)
    # The team page's waiting list names her too (it read "hot · 78" for every lead).
    await admin.goto(f"{console}/team")
    assert await admin.locator(f'section li a[href="/leads/{lead_id}"]').text_content() == "Kim"
    await admin.goto(f"{console}/queue")
    entry = admin.locator(f'li[data-lead="{lead_id}"]')
    assert (
        await entry.locator(".waiting-for").text_content() == "Waiting for a mid or senior rep with capacity"
    )
    await screenshot(admin, "queue")

    # Lee is at capacity: the first try asks to confirm, keeping what was chosen.
    await entry.get_by_label("Rep").select_option(label="Lee (senior) · 0 / 0 · at capacity")
    await entry.get_by_label("Why (optional; in the lead's story)").fill("Lee knows BigCo")
    await entry.get_by_role("button", name="Assign").click()
    entry = admin.locator(f'li[data-lead="{lead_id}"]')
    await entry.get_by_text("has 0 of 0 open leads").wait_for()
    assert await entry.get_by_label("Why (optional; in the lead's story)").input_value() == "Lee knows BigCo"
    await screenshot(admin, "queue-confirm-over-capacity")
    # A second admin tab on the queue before the assignment below, following it; and a third
    # that cannot (no script: a laptop waking up, a cut stream).
    other_tab = await new_page(browser)
    await sign_in(other_tab, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await other_tab.goto(f"{console}/queue")
    await other_tab.locator("#queue-live[data-listening]").wait_for(state="attached")
    stale_context = await browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    stale = await stale_context.new_page()
    await sign_in(stale, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await stale.goto(f"{console}/queue")
    team = await new_page(browser)  # and the team page, whose loads and waiting list follow too
    await sign_in(team, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await team.goto(f"{console}/team")
    await team.locator("#team-live[data-listening]").wait_for(state="attached")
    lees_load = team.locator("tr", has_text="Lee").locator("td[data-label='Load']")
    assert (await lees_load.text_content()).strip().endswith(" 0 / 0")
    await entry.get_by_label("Assign anyway, over capacity").check()
    await entry.get_by_role("button", name="Assign").click()
    notice = admin.get_by_text("Assigned: the lead is offered to Lee until")
    await notice.wait_for()
    assigned_at = time.monotonic()  # routing has committed it
    assert await admin.locator(f'li[data-lead="{lead_id}"]').count() == 0
    # The open queue follows (it showed the lead waiting after it was assigned).
    await other_tab.locator(f'li[data-lead="{lead_id}"]').wait_for(state="detached", timeout=5_000)
    left = time.monotonic() - assigned_at
    assert left <= 2.0, f"the assigned lead stayed {left:.2f} s on the open queue"
    # Read aloud: the one line that changed, not the whole queue at each redraw.
    assert await other_tab.locator("#queue-live").get_attribute("aria-live") == "off"
    said = other_tab.locator("#queue-live + p[aria-live='polite']")
    await said.filter(has_text="0 waiting").wait_for(state="attached", timeout=2_000)
    await (
        team.locator("tr", has_text="Lee")
        .locator("td[data-label='Load']", has_text="1 / 0")
        .wait_for(timeout=2_000)
    )

    # The tab that could not hear it: its Assign finds the lead gone, said on the page.
    await stale.locator(f'li[data-lead="{lead_id}"]').get_by_role("button", name="Assign").click()
    refused = stale.locator("#assign-refused")
    await refused.wait_for()
    assert "Nothing was assigned" in await refused.text_content()
    assert await refused.get_by_role("link", name="See where the lead is now").get_attribute("href") == (
        f"/leads/{lead_id}"
    )

    # It reaches Lee's open inbox without a reload.
    await lee.locator("li.offer").wait_for(timeout=5000)
    appeared = time.monotonic() - assigned_at
    assert appeared <= 2.0, f"the assigned lead took {appeared:.2f} s to reach the inbox"
    assert await lee.locator("li.offer a.who").text_content() == "Kim"
    # With the manager's words on the card, not only on the lead's page.
    handed = await lee.locator("li.offer .by-hand").text_content()
    assert handed == "Assigned to you by hand: “Lee knows BigCo”"
    # And still once she accepted it (the line went with her Accept: it read the newest entry).
    await lee.locator("li.offer").get_by_role("button", name="Accept").click()
    await lee.locator("li.offer .status", has_text="accepted").wait_for()
    assert await lee.locator("li.offer .by-hand").text_content() == handed
    await admin.goto(f"{console}/leads/{lead_id}")
    assert await admin.locator("#routing-now").text_content() == "With Lee (senior), accepted"
    await admin.get_by_text("assigned by hand: Lee knows BigCo").first.wait_for()


async def test_an_admin_edits_a_reps_territories_languages_segments_and_hours_from_lists(system, browser):
    console = system.console
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        wrong = {
            "name": "Ida",
            "email": "ida@sales.example",
            "tier": "mid",
            "capacity": 3,
            "territories": ["Germany"],
        }
        refused = await client.post(f"{system.routing}/v1/reps", json=wrong)
        assert refused.status_code == 422 and "not an ISO 3166 country code" in refused.text
        created = await client.post(f"{system.routing}/v1/reps", json={**wrong, "territories": []})
        rep_id = created.json()["id"]
    admin = await new_page(browser)
    await sign_in(admin, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await admin.goto(f"{console}/team")
    await admin.get_by_role("link", name="All settings").click()
    await admin.get_by_label(
        "Territories (none chosen: any country; Ctrl or ⌘ to choose several)"
    ).select_option(["DE", "AT"])
    await admin.get_by_label("Languages (none chosen: any language;").select_option(["de"])
    await admin.get_by_label("B2B").check()
    await admin.get_by_label("Time zone").fill("Europe/Berlin")
    await admin.get_by_label("From").fill("09:00")
    await admin.get_by_role("button", name="Save").click()
    # Half the hours: said at the field, and what was chosen is kept.
    error = admin.locator("#rep-end-error")
    await error.wait_for()
    assert await error.text_content() == "Required: working hours need a time zone, a start and an end"
    assert await admin.get_by_label("Time zone").input_value() == "Europe/Berlin"
    assert await admin.get_by_label("Languages (none chosen: any language;").evaluate(
        "select => [...select.selectedOptions].map(o => o.value)"
    ) == ["de"]
    await screenshot(admin, "rep-edit-error")
    await admin.get_by_label("Until").fill("17:30")
    await admin.get_by_role("button", name="Save").click()
    await admin.get_by_text("Rep Ida changed.").wait_for()
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        rep = (await client.get(f"{system.routing}/v1/reps/{rep_id}")).json()
    assert (sorted(rep["territories"]), rep["languages"], rep["segments"]) == (["AT", "DE"], ["de"], ["b2b"])
    assert rep["working_hours"] == {
        "timezone": "Europe/Berlin",
        "start": "09:00:00",
        "end": "17:30:00",
        "days": [0, 1, 2, 3, 4],
    }


async def test_a_won_lead_leaves_the_offers_with_every_action_and_the_inbox_says_how_it_ended(
    system, browser
):
    console = system.console
    await admin_adds_rep_with_account(browser, console, "Ada")
    ada = await new_page(browser)
    await sign_in(ada, console, "ada@leadflow.example", PASSWORD)
    stale_context = await browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    stale = await stale_context.new_page()
    await sign_in(stale, console, "ada@leadflow.example", PASSWORD)
    async with httpx.AsyncClient(timeout=10) as client:
        lead = {**HOT, "email": "kay@smallco.example", "first_name": "Kay", "company": "SmallCo"}
        response = await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)
        lead_id = response.json()["lead_id"]
    offer = ada.locator("li.offer", has_text="Kay")
    await offer.get_by_role("button", name="Accept").click()
    await offer.get_by_role("button", name="Won").wait_for()
    await stale.goto(f"{console}/inbox")  # a tab that will not hear the won
    await stale.locator("li.offer").get_by_role("button", name="Lost").wait_for()

    await offer.get_by_role("button", name="Won").click()
    await offer.get_by_text('Record it as won? It is final: tap "Yes, won".').wait_for()  # one tap asks
    # An offer arriving redraws the cards between the two taps: the question and the focus stay
    # (the button went back to "Won" and the focus to the page).
    async with httpx.AsyncClient(timeout=10) as client:
        lou = {**HOT, "email": "lou@smallco.example", "first_name": "Lou", "company": "SmallCo"}
        assert (await client.post(f"{system.capture}/v1/leads/landing-page", json=lou)).status_code == 202
    await ada.locator("li.offer", has_text="Lou").wait_for(timeout=4_000)
    await offer.get_by_text('Record it as won? It is final: tap "Yes, won".').wait_for(timeout=500)
    assert await ada.evaluate("document.activeElement.id") == f"won-{lead_id}"
    await offer.get_by_role("button", name="Yes, won").click()
    closed = ada.locator("li.closed-lead")
    await closed.wait_for(timeout=5_000)
    assert await offer.count() == 0, "a won lead is no longer an offer"
    assert await closed.locator(".outcome").text_content() == "Won"
    assert await ada.locator("section.closed button").count() == 0, "no action on a closed lead"
    await screenshot(ada, "inbox-after-won")

    # The tab that did not hear it: Lost is refused in words, and the won stands.
    await stale.locator("li.offer").get_by_role("button", name="Lost").click()
    notice = stale.get_by_role("alert").filter(has_text="won")  # her click did not do what it said
    await notice.wait_for()
    assert await stale.locator("li.offer", has_text="Kay").count() == 0
    assert await stale.locator("li.closed-lead .outcome").text_content() == "Won"
    await ada.goto(f"{console}/leads/{lead_id}")
    await ada.get_by_role("paragraph").filter(has_text="Outcome: won").wait_for()
    assert await ada.get_by_role("button", name="Lost").count() == 0


async def test_a_warm_offer_turning_hot_leaves_the_mid_rep_live_and_her_inbox_says_where_it_went(
    system, browser
):
    console = system.console
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        for name, tier in (("Mia", "mid"), ("Sol", "senior")):
            rep = {"name": name, "email": f"{name.lower()}@sales.example", "tier": tier, "capacity": 5}
            assert (await client.post(f"{system.routing}/v1/reps", json=rep)).status_code == 201
    admin = await new_page(browser)
    await sign_in(admin, console, ADMIN_EMAIL, ADMIN_PASSWORD)
    await add_account(admin, console, "mia@leadflow.example", "rep", "Mia", tier="mid")
    await add_account(admin, console, "sol@leadflow.example", "rep", "Sol")
    mia, sol = await new_page(browser), await new_page(browser)
    await sign_in(mia, console, "mia@leadflow.example", PASSWORD)
    await sign_in(sol, console, "sol@leadflow.example", PASSWORD)
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        # A CTO of a large company with nothing more: warm, for a mid rep.
        lead = {**HOT, "email": "noor@midco.example", "first_name": "Noor"}
        response = await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)
        lead_id = response.json()["lead_id"]
        offer = mia.locator("li.offer")
        await offer.wait_for(timeout=10_000)
        assert await offer.locator(".badge").text_content() == "warm · 68"
        # The lead's page open, as the admin and as Mia (a new tab of hers): it showed the old
        # offer counting down until a reload.
        mias_lead = await mia.context.new_page()
        for page in (admin, mias_lead):
            await page.goto(f"{console}/leads/{lead_id}")
            await page.locator("#lead-live[data-listening]").wait_for()
        assert await admin.locator("#routing-now").text_content() == "With Mia (mid), offered"
        # Her demo request lands before Mia accepts: hot, for a senior.
        activity = {"lead_id": lead_id, "type": "demo_requested"}
        assert (await client.post(f"{system.capture}/v1/activities", json=activity)).status_code == 202
    await sol.locator("li.offer").wait_for(timeout=10_000)
    sol_offered = time.monotonic()
    await offer.wait_for(state="detached", timeout=2_000)
    left = mia.locator("li.left-lead")
    await left.wait_for(timeout=2_000)
    assert await left.locator(".how").text_content() == (
        "It turned hotter and went to a more senior rep; another rep has it"
    )
    await screenshot(mia, "inbox-after-promotion")
    # The open lead page follows without a reload: where the lead is, its score, its story.
    await admin.locator("#routing-now", has_text="With Sol (senior), offered").wait_for(timeout=2_000)
    assert time.monotonic() - sol_offered <= 2.0, "the lead page followed the decision within 2 s"
    assert (await admin.locator("h2 .badge").text_content()).startswith("hot · ")
    await admin.get_by_text("Moved on from Mia: turned hot before it was accepted").wait_for(timeout=2_000)
    # Mia's page of it says it is no longer hers (its Accept would have been a stale click).
    gone = mias_lead.locator(
        "#lead-left", has_text="is no longer yours. It turned hotter and went to a more senior rep"
    )
    await gone.wait_for(timeout=2_000)  # which lead, and how (it said "moved on, or was closed")
    assert await mias_lead.get_by_role("button", name="Accept").count() == 0
    # ... and stops following (a stream that just ended was reopened every few seconds).
    await mias_lead.locator("#lead-live[data-ended]:not([data-listening])").wait_for(timeout=2_000)
    await screenshot(admin, "lead-live")


async def test_an_erased_persons_offer_leaves_the_open_inbox_and_a_late_accept_says_why(system, browser):
    """She asked to be forgotten and not contacted: her offer must not stay to be accepted."""
    _, lee, stale = await rep_in_two_tabs(browser, system.console, "Lee")
    lead_id = await post_hot_lead(system, "nell@bigco.example", "Nell")
    offer = lee.locator("li.offer")
    await offer.filter(has_text="Nell").wait_for(timeout=10_000)
    await stale.goto(f"{system.console}/inbox")
    await stale.locator("li.offer").get_by_role("button", name="Accept").wait_for()
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        asked = await client.post(
            f"{system.capture}/v1/privacy/erasures", json={"email": "nell@bigco.example"}
        )
        assert asked.status_code in (200, 201, 202), asked.text
        erased_at = time.monotonic()
        await offer.wait_for(state="detached", timeout=5_000)
        gone = time.monotonic() - erased_at
        assert gone <= 2.0, f"her offer stayed {gone:.2f} s in the open inbox"
        assert "Nell" not in await lee.content()

        # The tab that did not hear it: Accept answers with what happened; nothing is accepted.
        await stale.locator("li.offer").get_by_role("button", name="Accept").click()
        notice = stale.get_by_role("alert").filter(has_text="the person asked to be forgotten")
        await notice.wait_for()
        assert "Nell" not in await stale.content()
        rows = (await client.get(f"{system.routing}/v1/assignments", params={"lead_id": lead_id})).json()
        assert [row["status"] for row in rows] == ["closed"], rows
