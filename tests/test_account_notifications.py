"""B2B accounts end to end, every service a real process and a real SMTP server: capture makes
one account of one company's people, the rep who accepts its first lead owns it and gets its
next lead though another senior has fewer, the owner is mailed when three warm people make the
account hot (naming them), and when a lead of theirs goes to someone else."""

import httpx
import pytest
from harness import AUTH, eventually
from test_notifications import inbox, start_system  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e
# Warm under the default rules: a manager or VP of a large company, with a phone (added per person).
WARM = {"company": "Acme", "company_size": "1000+"}
PHONES = iter(f"+1 202 555 01{n:02d}" for n in range(40, 99))  # each person their own (else one person)


async def test_the_owner_gets_the_accounts_leads_and_is_told_when_it_turns_hot(
    settings,
    start_service,
    inbox,  # noqa: F811 (the fixture imported above)
):
    mails, smtp_port = inbox
    urls = await start_system(settings, start_service, smtp_port, sla="300")
    routing = urls["routing"]
    async with httpx.AsyncClient(headers=AUTH, timeout=10) as client:

        async def rep(name: str) -> str:
            body = {"name": name, "email": f"{name.lower()}@sales.example", "tier": "senior", "capacity": 10}
            return (await client.post(f"{routing}/v1/reps", json=body)).json()["id"]

        async def lead(first_name: str, job_title: str) -> str:
            body = {**WARM, "email": f"{first_name.lower()}@acme.example", "first_name": first_name}
            body["phone"] = next(PHONES)
            response = await client.post(f"{urls['capture']}/v1/leads", json={**body, "job_title": job_title})
            assert response.status_code in (200, 201, 202), response.text
            return response.json()["lead_id"]

        async def offer_of(lead_id: str) -> dict:
            async def offered():
                rows = (await client.get(f"{routing}/v1/assignments", params={"lead_id": lead_id})).json()
                return next((row for row in rows if row["status"] == "offered"), None)

            return await eventually(offered, timeout=30)

        olga = await rep("Olga")
        first = await lead("Ada", "VP Sales")
        offer = await offer_of(first)
        assert offer["rep_id"] == olga
        assert (await client.post(f"{routing}/v1/assignments/{offer['id']}/accept")).status_code == 200

        sam = await rep("Sam")  # no open lead; Olga holds one
        second = await lead("Bob", "Engineering Manager")
        offer = await offer_of(second)
        assert offer["rep_id"] == olga, "the account's owner first, though Sam has fewer open leads"
        assert offer["reason"].startswith("account owner")

        await lead("Cy", "Marketing Manager")  # the third warm person: the account turns hot

        def hot_mail():
            return [m for m in mails.to("olga@sales.example") if "turning hot" in m["subject"]]

        [mail] = await eventually(hot_mail, timeout=30)
        text = mail.get_content()
        assert mail["subject"].startswith("Your account is turning hot: Acme (score ")
        for person in ("Ada, VP Sales: score 58 (warm)", "Bob, Engineering Manager", "Cy, Marketing Manager"):
            assert person in text, person
        assert "/accounts/" in text

        # Olga is full now: the account's next lead goes to Sam, and she is told.
        full = await client.patch(f"{routing}/v1/reps/{olga}", json={"capacity": 3})
        assert full.status_code == 200
        fourth = await lead("Dee", "Sales Manager")
        assert (await offer_of(fourth))["rep_id"] == sam

        def elsewhere():
            return [m for m in mails.to("olga@sales.example") if "went to Sam" in m["subject"]]

        [told] = await eventually(elsewhere, timeout=30)
        assert "Dee, Acme" in told["subject"]
        assert "not to you" in told.get_content()
        assert not [m for m in mails.to("sam@sales.example") if "turning hot" in m["subject"]]
