"""A lead a sales tool reports won that no rep accepted (a marketer's hour: the funnel read
"accepted 0 · won 1" with no word why, and the CSV's accepted → won was empty): the funnel
counts it as won, says how many won leads no rep accepted, and keeps them out of accepted → won."""

import csv
import io
import re

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, eventually
from test_console_pages import sign_in

pytestmark = pytest.mark.e2e


async def test_a_lead_won_that_no_rep_accepted_is_counted_and_said(system):
    lead = {"email": "walt@outside.example", "attribution": {"campaign": "won-outside"}}
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        posted = await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)
        assert posted.status_code == 202, posted.text
        outcome = {"lead_id": posted.json()["lead_id"], "outcome": "won", "amount": 500}
        assert (await client.post(f"{system.capture}/v1/outcomes", json=outcome)).status_code == 202

    admin = await sign_in(system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
    try:

        async def counted_won() -> dict[str, str] | None:
            answer = await admin.get("/funnel.csv", params={"by": "campaign"})
            header, *rows = csv.reader(io.StringIO(answer.text))
            found = [dict(zip(header, row, strict=False)) for row in rows if row[:1] == ["won-outside"]]
            return found[0] if found and found[0]["won"] == "1" else None

        counted = await eventually(counted_won, timeout=30)
        assert counted["accepted"] == "0" and counted["won_unaccepted"] == "1"
        assert counted["accepted_to_won"] == ""  # no accepted lead to be a share of
        page = await admin.get("/funnel")
        assert re.search(r'id="won-unaccepted">\d+ of the won lead', page.text), page.text[-2000:]
    finally:
        await admin.aclose()


async def test_a_source_spelt_two_ways_is_one_row_and_a_blank_campaign_is_none(system):
    """A marketer's hour: "Google" (an import) and "google" (a form) were two rows of the funnel,
    and a form's empty utm_campaign a row with no name beside "(none)"."""
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        for index, source in enumerate(("Google", "google", "google")):
            form = {"email": f"s{index}@spelt.example", "utm_source": source, "utm_campaign": ""}
            posted = await client.post(f"{system.capture}/v1/leads/landing-page", data=form)
            assert posted.status_code in (202, 303), posted.text
    admin = await sign_in(system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
    try:

        async def rows(by: str) -> dict[str, str]:
            answer = await admin.get("/funnel.csv", params={"by": by})
            header, *found = csv.reader(io.StringIO(answer.text.split("\r\n\r\n")[0]))  # the funnel part
            return {row[0]: row[header.index("captured")] for row in found}

        async def all_three() -> dict[str, str] | None:
            by_source = await rows("source")
            return by_source if sum(int(count) for count in by_source.values()) == 3 else None

        assert await eventually(all_three, timeout=30) == {"Google": "3"}
        assert await rows("campaign") == {"(none)": "3"}
    finally:
        await admin.aclose()
