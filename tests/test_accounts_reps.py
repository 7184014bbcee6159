"""Rep isolation on account reads, through the running services: two people of one company
routed to two reps make one account; each rep reads it with their own person only, a rep with
none of its people cannot read it, and an admin reads everyone."""

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import HOT, eventually
from test_access import create_user, token_for

pytestmark = pytest.mark.e2e


async def test_a_rep_reads_an_account_only_through_the_people_offered_to_them(system):
    routing, console, capture = system.routing, system.console, system.capture
    async with httpx.AsyncClient(timeout=10) as client:
        admin = await token_for(client, console, ADMIN_EMAIL, ADMIN_PASSWORD)
        reps = []
        for name in ("ada", "grace", "hedy"):
            body = {"name": name, "email": f"{name}@sales.example", "tier": "senior", "capacity": 1}
            response = await client.post(f"{routing}/v1/reps", json=body, headers=admin)
            assert response.status_code == 201, response.text
            email, password, _ = await create_user(client, system, admin, "rep", rep_id=response.json()["id"])
            reps.append((response.json()["id"], await token_for(client, console, email, password)))
        # Hedy is full before the company's people come: the two go to Ada and Grace.
        filler = {**HOT, "email": "someone@elsewhere.example"}
        assert (await client.post(f"{capture}/v1/leads/landing-page", json=filler)).status_code == 202

        async def hedy_is_full() -> bool:
            offers = (await client.get(f"{routing}/v1/assignments", headers=admin)).json()
            return any(a["status"] == "offered" for a in offers)

        await eventually(hedy_is_full, timeout=30)
        filled = (await client.get(f"{routing}/v1/assignments", headers=admin)).json()
        full_rep = filled[0]["rep_id"]
        lead_ids = []
        for n in range(2):
            form = {**HOT, "email": f"buyer{n}@bigco.example", "company": "BigCo"}
            response = await client.post(f"{capture}/v1/leads/landing-page", json=form)
            lead_ids.append(response.json()["lead_id"])

        async def offered() -> dict[str, str]:
            offers = (await client.get(f"{routing}/v1/assignments", headers=admin)).json()
            by_lead = {a["lead_id"]: a["rep_id"] for a in offers if a["lead_id"] in lead_ids}
            assert len(by_lead) == 2, offers
            return by_lead

        rep_of_lead = await eventually(offered, timeout=30)
        tokens = dict(reps)
        found = await client.get(f"{capture}/v1/accounts", params={"domain": "bigco.example"}, headers=admin)
        [account] = found.json()["accounts"]
        url = f"{capture}/v1/accounts/{account['account_id']}"
        everyone = (await client.get(url, headers=admin)).json()
        assert sorted(p["lead_id"] for p in everyone["people"]) == sorted(lead_ids)

        for lead_id, rep_id in rep_of_lead.items():

            async def sees_own(rep_id=rep_id, lead_id=lead_id) -> dict:
                response = await client.get(url, headers=tokens[rep_id])
                assert response.status_code == 200, response.text
                assert [p["lead_id"] for p in response.json()["people"]] == [lead_id]
                return response.json()

            seen = await eventually(sees_own, timeout=20)
            assert seen["people_count"] == 2  # a count, not who
            listed = (await client.get(f"{capture}/v1/accounts", headers=tokens[rep_id])).json()
            assert [a["account_id"] for a in listed["accounts"]] == [account["account_id"]]
        outsider = tokens[full_rep]
        assert full_rep not in rep_of_lead.values()
        assert (await client.get(url, headers=outsider)).status_code == 404
        listed = (await client.get(f"{capture}/v1/accounts", params={"q": "bigco"}, headers=outsider)).json()
        assert listed["accounts"] == []
        # Linking people by hand is not a rep's to do.
        linking = await client.post(f"{url}/people", json={"lead_id": lead_ids[0]}, headers=outsider)
        assert linking.status_code == 403
