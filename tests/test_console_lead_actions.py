"""A rep works her lead from its page as from her inbox, through the five services as processes:
the page of an offer has Accept and Reject first, of an accepted lead Complete, Won and Lost, of a
completed one Won and Lost, of a closed one none (a helper's hour found a rep sent back to the
inbox to record an outcome); and a Reject from a tab that did not hear her Accept leaves the lead
hers."""

import re

import httpx
import pytest
from browser import PASSWORD
from harness import AUTH, eventually
from test_console_leads import add_rep_with_account, capture
from test_console_pages import sign_in
from test_console_truth import post_hot_lead, rep_in_two_tabs

pytestmark = pytest.mark.e2e


def buttons(page_html: str) -> list[str]:
    """The rep's buttons on the lead's page (her move, above its contact card)."""
    if 'id="your-move"' not in page_html:
        return []
    move = page_html.split('id="your-move"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', move)


async def test_a_rep_accepts_and_wins_her_lead_from_its_page(system):
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        await add_rep_with_account(client, system, "Noa", available=True)
    lead_id = await capture(system, "babbage")
    noa = await sign_in(system.console, "noa@leadflow.example", PASSWORD)
    try:

        async def offered_on_its_page() -> str | None:
            page = await noa.get(f"/leads/{lead_id}")
            return page.text if page.status_code == 200 and "Accept" in buttons(page.text) else None

        page = await eventually(offered_on_its_page, timeout=20)
        assert buttons(page) == ["Accept", "Pass on it"]
        # Her move first, its clock beside it: on a phone Accept sat under the contact and score.
        assert page.index('id="your-move"') < page.index("<h2>Contact</h2>") and "accept within" in page
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        accept = re.search(r'action="(/assignments/[^"]+/accept)"', page).group(1)
        assert (await noa.post(accept, data={"csrf_token": csrf})).status_code == 303

        async def accepted_on_its_page() -> str | None:
            page = await noa.get(f"/leads/{lead_id}")
            return page.text if "Won" in buttons(page.text) else None

        page = await eventually(accepted_on_its_page, timeout=10)
        assert buttons(page) == ["Complete", "Won", "Lost"]
        assert "Won or Lost can still be recorded here" in page, "on its own page: here"
        complete = re.search(r'action="(/assignments/[^"]+/complete)"', page).group(1)
        assert (await noa.post(complete, data={"csrf_token": csrf})).status_code == 303

        async def completed_on_its_page() -> str | None:  # done for now: the outcome may follow
            page = await noa.get(f"/leads/{lead_id}")
            return page.text if "completed" in page.text and "Complete" not in buttons(page.text) else None

        page = await eventually(completed_on_its_page, timeout=10)
        assert buttons(page) == ["Won", "Lost"], "completing took Won and Lost away"
        # It left her offers; "Lately" keeps it in sight until its outcome (it vanished).
        lately = (await noa.get("/inbox")).text.split('id="lately-heading"', 1)[1]
        assert "You marked it complete" in lately and f'href="/leads/{lead_id}"' in lately
        won = await noa.post(f"/leads/{lead_id}/outcome", data={"csrf_token": csrf, "result": "won"})
        assert won.status_code == 303

        async def closed_on_its_page() -> bool:
            page = await noa.get(f"/leads/{lead_id}")
            return (
                page.status_code == 200
                and "Outcome: <strong>won</strong>" in page.text
                and not buttons(page.text)
            )

        await eventually(closed_on_its_page, timeout=10)

        async def said_won_not_complete() -> bool:
            lately = (await noa.get("/inbox")).text.split('id="lately-heading"', 1)[1]
            return "You marked it complete" not in lately and 'class="outcome won"' in lately

        await eventually(said_won_not_complete, timeout=10)
    finally:
        await noa.aclose()


async def test_a_reject_from_a_tab_still_showing_the_offer_leaves_the_lead_she_accepted_hers(system, browser):
    """A helper's hour: Reject in a tab that had not heard of the Accept in another handed the
    lead back to the queue; the page then said both "accepted" and "you passed on it"."""
    console = system.console
    _, live, stale = await rep_in_two_tabs(browser, console, "Hedy")
    lead_id = await post_hot_lead(system, "hedy.lead@bigco.example", "Lamarr")
    await live.locator("li.offer").wait_for(timeout=10_000)
    await stale.goto(f"{console}/inbox")
    await stale.locator("li.offer").get_by_role("button", name="Pass on it").wait_for()

    await live.locator("li.offer").get_by_role("button", name="Accept").click()
    await live.get_by_text("Accepted. The lead is yours.").wait_for()
    await stale.locator("li.offer").get_by_label("Reason").select_option("No capacity")
    await stale.locator("li.offer").get_by_role("button", name="Pass on it").click()
    notice = stale.get_by_text("This lead was accepted at")
    await notice.wait_for()
    assert "it is yours" in await notice.text_content()
    assert await stale.get_by_text("You passed on").count() == 0
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        listed = await client.get(f"{system.routing}/v1/assignments", params={"lead_id": lead_id})
    assert [a["status"] for a in listed.json()] == ["accepted"], listed.text


async def test_an_inbox_that_stops_following_says_so_and_a_reason_must_be_chosen(system, browser):
    """A rep's phone: signed out in another tab, the inbox went on looking live (a frozen
    countdown, offers that never came); Reject sent the first reason in the list unchosen."""
    _, live, _ = await rep_in_two_tabs(browser, system.console, "Ines")
    await post_hot_lead(system, "ines.lead@bigco.example", "Ivo")
    offer = live.locator("li.offer")
    await offer.wait_for(timeout=10_000)
    assert await offer.get_by_label("Reason").input_value() == "", "no reason is chosen for her"
    await offer.get_by_role("button", name="Pass on it").click()
    assert await offer.count() == 1, "the browser holds it back until a reason is chosen"
    # A page that could not hold it back (an old page): the server says it and changes nothing.
    reject = await offer.locator("form.reject").get_attribute("action")
    csrf = await offer.locator('form.reject input[name="csrf_token"]').input_value()
    answer = await live.request.post(f"{system.console}{reject}", form={"csrf_token": csrf, "reason": ""})
    assert "Choose why you pass on the lead: nothing was changed." in await answer.text()
    assert await offer.count() == 1

    await live.locator("[data-stream][data-listening]").wait_for(state="attached")
    other_tab = await live.context.new_page()  # the same browser: the same session
    await other_tab.goto(f"{system.console}/inbox")
    await other_tab.get_by_role("button", name="Sign out").click()
    # First "reconnecting" (the stream ended); refused on reconnecting, it says why and stops.
    status = live.locator(".live-status.problem", has_text="you may have been signed out")
    await status.wait_for(timeout=15_000)
    assert "This page stopped following changes" in await status.text_content()
    assert await live.locator("[data-stream][data-listening]").count() == 0
