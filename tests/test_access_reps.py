"""A rep sees and acts on their own leads only, in routing and in scoring, and every action is
in the audit trail with ids and no personal data."""

import json
import uuid

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import HOT, eventually
from test_access import create_user, token_for

pytestmark = pytest.mark.e2e


async def test_two_reps_each_see_and_act_on_only_their_own_leads_in_routing_and_scoring(system):
    routing, scoring, console = system.routing, system.scoring, system.console
    async with httpx.AsyncClient(timeout=10) as client:
        admin = await token_for(client, console, ADMIN_EMAIL, ADMIN_PASSWORD)
        rep_ids = []
        for name in ("ada", "grace"):
            body = {"name": name, "email": f"{name}@sales.example", "tier": "senior", "capacity": 1}
            response = await client.post(f"{routing}/v1/reps", json=body, headers=admin)
            assert response.status_code == 201, response.text
            rep_ids.append(response.json()["id"])
        people = []
        for rep_id in rep_ids:
            email, password, user = await create_user(client, system, admin, "rep", rep_id=rep_id)
            people.append((await token_for(client, console, email, password), user))
        (ada, ada_user), (grace, _) = people

        lead_emails = [f"buyer{n}@bigco.example" for n in range(2)]
        for email in lead_emails:
            form = {**HOT, "email": email, "first_name": "Pat"}
            assert (
                await client.post(f"{system.capture}/v1/leads/landing-page", json=form)
            ).status_code == 202

        async def one_offer_each() -> dict[str, dict]:
            found = (
                await client.get(f"{routing}/v1/assignments", params={"status": "offered"}, headers=admin)
            ).json()
            by_rep = {a["rep_id"]: a for a in found}
            assert set(by_rep) == set(rep_ids), found
            return by_rep

        offers = await eventually(one_offer_each, timeout=30)
        mine, theirs = offers[rep_ids[0]], offers[rep_ids[1]]

        # Routing: a rep's list is their own; another rep's assignment looks like a missing one.
        listed = (await client.get(f"{routing}/v1/assignments", headers=ada)).json()
        assert [a["id"] for a in listed] == [mine["id"]]
        other_list = await client.get(f"{routing}/v1/assignments", params={"rep_id": rep_ids[1]}, headers=ada)
        assert other_list.status_code == 403
        foreign = await client.get(f"{routing}/v1/assignments/{theirs['id']}", headers=ada)
        missing = await client.get(f"{routing}/v1/assignments/{uuid.uuid4()}", headers=ada)
        assert foreign.status_code == missing.status_code == 403
        assert foreign.json()["detail"] == missing.json()["detail"]
        assert (await client.get(f"{routing}/v1/assignments/{mine['id']}", headers=ada)).status_code == 200
        assert [r["id"] for r in (await client.get(f"{routing}/v1/reps", headers=ada)).json()] == [rep_ids[0]]
        assert (await client.get(f"{routing}/v1/reps/{rep_ids[1]}", headers=ada)).status_code == 403
        assert (await client.get(f"{routing}/v1/nurture", headers=ada)).status_code == 403
        assert (await client.post(f"{routing}/v1/reps", json={}, headers=ada)).status_code == 403

        # Scoring: the score of the lead offered to them, and of no other.
        async def own_score() -> bool:
            response = await client.get(f"{scoring}/v1/leads/{mine['lead_id']}/score", headers=ada)
            return response.status_code == 200

        await eventually(own_score, timeout=10)
        assert (
            await client.get(f"{scoring}/v1/leads/{theirs['lead_id']}/score", headers=ada)
        ).status_code == 403
        assert (await client.get(f"{scoring}/v1/leads/{uuid.uuid4()}/score", headers=ada)).status_code == 403
        assert (
            await client.get(f"{scoring}/v1/leads/{theirs['lead_id']}/score", headers=grace)
        ).status_code == 200

        # Acting: not on another rep's offer; on their own, and routing records it.
        assert (
            await client.post(f"{routing}/v1/assignments/{theirs['id']}/accept", headers=ada)
        ).status_code == 403
        accepted = await client.post(f"{routing}/v1/assignments/{mine['id']}/accept", headers=ada)
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        state = (await client.get(f"{routing}/v1/assignments/{theirs['id']}", headers=admin)).json()
        assert state["assignment"]["status"] == "offered"

        completed = await client.post(f"{routing}/v1/assignments/{mine['id']}/complete", headers=ada)
        assert completed.status_code == 200 and completed.json()["status"] == "completed"
        rejection = {"reason": "not my territory"}
        rejected = await client.post(
            f"{routing}/v1/assignments/{theirs['id']}/reject", json=rejection, headers=grace
        )
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
        changed = await client.patch(f"{routing}/v1/reps/{rep_ids[1]}", json={"capacity": 2}, headers=admin)
        assert changed.status_code == 200
        assert (await client.delete(f"{routing}/v1/reps/{rep_ids[1]}", headers=admin)).status_code == 200
        assert (await client.post(f"{console}/v1/auth/logout", headers=grace)).status_code == 204
        rules = (await client.get(f"{scoring}/v1/scoring/rules", headers=admin)).json()["rules"]
        assert (await client.put(f"{scoring}/v1/scoring/rules", json=rules, headers=ada)).status_code == 403
        assert (await client.put(f"{scoring}/v1/scoring/rules", json=rules, headers=admin)).status_code == 200

        async def audited() -> list[dict]:
            entries = (await client.get(f"{console}/v1/audit", params={"limit": 500}, headers=admin)).json()[
                "entries"
            ]
            by_action = {}
            for entry in entries:
                by_action.setdefault(entry["action"], []).append(entry)
            for action in (
                "rep.created",
                "user.created",
                "login.succeeded",
                "assignment.accepted",
                "rules.updated",
            ):
                assert action in by_action, (action, sorted(by_action))
            [acceptance] = by_action["assignment.accepted"]
            assert acceptance["actor"] == f"user:{ada_user['id']}" and acceptance["target_id"] == mine["id"]
            assert acceptance["service"] == "routing"
            return entries

        trail = json.dumps(await eventually(audited, timeout=10))
        for personal in (*lead_emails, "ada@sales.example", ada_user["email"], "Pat"):
            assert personal not in trail
        only_ada = (
            await client.get(f"{console}/v1/audit", params={"actor": f"user:{ada_user['id']}"}, headers=admin)
        ).json()
        assert {e["actor"] for e in only_ada["entries"]} == {f"user:{ada_user['id']}"}
        assert (await client.get(f"{console}/v1/audit", headers=ada)).status_code == 403
