"""A day the viewer names is a day in her time zone, where every time on her screen is shown:
the leads list's From and To and the funnel's range (a marketer's hour found a lead shown as
captured on the 6th at 22:09 PST listed only under the 7th, and the funnel's CSV for the 6th
empty; and the CSV's file name ending a day after the range the page showed)."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, eventually
from test_console_pages import sign_in

from leadflow_console.api.web.session import BROWSER_ZONE_COOKIE

pytestmark = pytest.mark.e2e

# UTC-11 and UTC+14: 25 hours apart, so at any moment one of them is on another day than UTC.
ZONES = ("Pacific/Pago_Pago", "Pacific/Kiritimati")


def day_in(zone: str) -> str:
    return str(datetime.now(ZoneInfo(zone)).date())


async def test_the_leads_list_and_the_funnel_count_days_in_the_viewers_zone(system):
    zone = next(name for name in ZONES if day_in(name) != day_in("UTC"))
    local_day, utc_day = day_in(zone), day_in("UTC")
    lead = {"email": "zoe@dateline.example", "attribution": {"campaign": "dateline-test"}}
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        posted = await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)
        assert posted.status_code == 202, posted.text
    lead_id = posted.json()["lead_id"]
    assert day_in(zone) == local_day and datetime.now(UTC).date().isoformat() == utc_day, "a day ended"

    admin = await sign_in(system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
    admin.cookies.set(BROWSER_ZONE_COOKIE, zone)
    try:

        async def listed(day: str) -> bool:
            page = await admin.get("/leads", params={"q": lead["email"], "from": day, "to": day})
            assert page.status_code == 200, page.text[:300]
            return f"/leads/{lead_id}" in page.text

        await eventually(lambda: listed(local_day), timeout=30)
        assert not await listed(utc_day)

        async def counted(day: str) -> httpx.Response:
            answer = await admin.get("/funnel.csv", params={"since": day, "until": day, "by": "campaign"})
            assert answer.status_code == 200, answer.text[:300]
            return answer

        on_her_day = await counted(local_day)
        assert re.search(r"^dateline-test,1,", on_her_day.text, re.MULTILINE), on_her_day.text
        name = f"leadflow-funnel-campaign-{local_day}-{local_day}.csv"
        assert name in on_her_day.headers["content-disposition"]
        assert "dateline-test" not in (await counted(utc_day)).text
        page = await admin.get("/funnel", params={"since": local_day, "until": local_day})
        assert f"whole days in your time zone, {zone}" in page.text
        assert "<td>a landing page</td>" in page.text and "<td>landing_page</td>" not in page.text
    finally:
        await admin.aclose()
