"""Changes with `null` in them, against the running services: a field whose null means nothing
is refused with a 422 naming it ("may not be null") and nothing changes; a field whose null
means clearing it is cleared; nothing answers 5xx. And a rep account names a rep record that
routing has, checked with routing when the account is created or changed."""

import asyncio
import uuid

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, eventually, is_ready, problem_fields
from test_access import token_for

from leadflow_cli.infra import free_port

pytestmark = pytest.mark.e2e

NOT_NULL = "may not be null"
WORKING_HOURS = {"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00"}
# Every field of each change whose null means nothing (the others' null clears them).
WEBHOOK_FIELDS = ["url", "events", "enabled"]
REP_FIELDS = ["name", "email", "tier", "capacity", "territories", "languages", "segments", "active"]


def refused_fields(response: httpx.Response) -> dict[str, str]:
    return problem_fields(response)


def held_rep_record(response: httpx.Response) -> str:
    """A 409 naming rep_id; its message (which names the account holding the record)."""
    fields = problem_fields(response, 409)
    assert list(fields) == ["rep_id"], fields
    return fields["rep_id"]


async def refuses_each_null(client, method: str, url: str, fields: list[str], headers: dict) -> None:
    """Null for each field alone, then for all of them at once: 422 naming each, never 5xx;
    the record as it was."""
    before = (await client.get(url, headers=headers)).json()
    for field in fields:
        response = await client.request(method, url, json={field: None}, headers=headers)
        assert refused_fields(response) == {field: NOT_NULL}, (method, url, field)
    response = await client.request(method, url, json=dict.fromkeys(fields), headers=headers)
    assert refused_fields(response) == dict.fromkeys(fields, NOT_NULL), (method, url)
    assert (await client.get(url, headers=headers)).json() == before


async def created(client, url: str, body: dict, headers: dict) -> dict:
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_null_is_refused_naming_the_field_unless_it_clears_it(system):
    async with httpx.AsyncClient(timeout=10) as client:
        admin = await token_for(client, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        rep_body = {"name": "Ada", "email": "ada@sales.example", "tier": "senior", "capacity": 3}
        rep = await created(
            client, f"{system.routing}/v1/reps", {**rep_body, "working_hours": WORKING_HOURS}, admin
        )
        hook_body = {"url": "http://127.0.0.1:9/hook", "events": ["lead.routed"], "description": "CRM"}
        hook = await created(client, f"{system.webhooks}/v1/webhooks", hook_body, admin)
        user_body = {"email": "mia@team.example", "password": "correct horse battery", "role": "marketer"}
        user = await created(client, f"{system.console}/v1/users", user_body, admin)

        await refuses_each_null(
            client, "PATCH", f"{system.webhooks}/v1/webhooks/{hook['id']}", WEBHOOK_FIELDS, admin
        )
        # Console accounts have no GET of one: the list shows the account unchanged.
        for field in ("role", "active", "password"):
            response = await client.patch(
                f"{system.console}/v1/users/{user['id']}", json={field: None}, headers=admin
            )
            assert refused_fields(response) == {field: NOT_NULL}
        users = (await client.get(f"{system.console}/v1/users", headers=admin)).json()
        assert [u for u in users if u["id"] == user["id"]] == [user]
        await refuses_each_null(
            client, "PATCH", f"{system.routing}/v1/reps/{rep['id']}", [*REP_FIELDS, "available"], admin
        )
        response = await client.put(
            f"{system.routing}/v1/reps/{rep['id']}/presence", json={"available": None}, headers=admin
        )
        assert refused_fields(response) == {"available": NOT_NULL}
        response = await client.put(
            f"{system.webhooks}/v1/notifications/reps/{rep['id']}", json={"email": None}, headers=admin
        )
        assert refused_fields(response) == {"email": NOT_NULL}
        rules = (await client.get(f"{system.scoring}/v1/scoring/rules", headers=admin)).json()["rules"]
        rules["profiles"]["b2b"]["thresholds"]["hot"] = None
        response = await client.put(f"{system.scoring}/v1/scoring/rules", json=rules, headers=admin)
        assert refused_fields(response) == {"profiles.b2b.thresholds.hot": NOT_NULL}
        response = await client.post(
            f"{system.console}/v1/keys", json={"name": None, "scopes": ["leads:read"]}, headers=admin
        )
        assert refused_fields(response) == {"name": NOT_NULL}

        # Where null means "none": a webhook's description, a rep's working hours, a Slack
        # channel, the rep record of an account that is no rep, a key that never expires.
        response = await client.patch(
            f"{system.webhooks}/v1/webhooks/{hook['id']}", json={"description": None}, headers=admin
        )
        assert response.status_code == 200 and response.json()["description"] == "", response.text
        response = await client.patch(
            f"{system.routing}/v1/reps/{rep['id']}", json={"working_hours": None}, headers=admin
        )
        assert response.status_code == 200 and response.json()["working_hours"] is None, response.text
        response = await client.put(
            f"{system.webhooks}/v1/notifications/reps/{rep['id']}", json={"slack_url": None}, headers=admin
        )
        assert response.status_code == 200, response.text
        response = await client.patch(
            f"{system.console}/v1/users/{user['id']}", json={"rep_id": None}, headers=admin
        )
        assert response.status_code == 200 and response.json()["rep_id"] is None, response.text
        body = {"name": "forever", "scopes": ["leads:read"], "expires_at": None}
        assert (await created(client, f"{system.console}/v1/keys", body, admin))["expires_at"] is None


async def test_a_rep_account_names_a_rep_record_that_routing_has(system):
    async with httpx.AsyncClient(timeout=10) as client:
        admin = await token_for(client, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        rep_body = {"name": "Grace", "email": "grace@sales.example", "tier": "mid", "capacity": 2}
        rep = await created(client, f"{system.routing}/v1/reps", rep_body, admin)
        nobody = str(uuid.uuid4())
        account = {"email": "grace@team.example", "password": "correct horse battery", "role": "rep"}

        users = f"{system.console}/v1/users"
        response = await client.post(users, json={**account, "rep_id": nobody}, headers=admin)
        assert set(refused_fields(response)) == {"rep_id"}
        user = await created(client, users, {**account, "rep_id": rep["id"]}, admin)
        assert user["rep_id"] == rep["id"]

        # Changing the rep it works as, or making another account a rep's: checked the same way.
        url = f"{system.console}/v1/users/{user['id']}"
        response = await client.patch(url, json={"rep_id": nobody}, headers=admin)
        assert set(refused_fields(response)) == {"rep_id"}
        marketer = {"email": "max@team.example", "password": "correct horse battery", "role": "marketer"}
        marketer = await created(client, users, marketer, admin)
        other = f"{system.console}/v1/users/{marketer['id']}"
        response = await client.patch(other, json={"role": "rep", "rep_id": nobody}, headers=admin)
        assert set(refused_fields(response)) == {"rep_id"}

        # One active account per rep record: a second one is refused at rep_id, by name of the
        # account holding it, until that account is disabled; re-enabling it is refused then.
        second = {**account, "email": "grace2@team.example", "rep_id": rep["id"]}
        for response in (
            await client.patch(other, json={"role": "rep", "rep_id": rep["id"]}, headers=admin),
            await client.post(users, json=second, headers=admin),
        ):
            assert "grace@team.example" in held_rep_record(response)
        assert (await client.patch(url, json={"active": False}, headers=admin)).status_code == 200
        response = await client.patch(other, json={"role": "rep", "rep_id": rep["id"]}, headers=admin)
        assert response.status_code == 200 and response.json()["rep_id"] == rep["id"], response.text
        assert "max@team.example" in held_rep_record(
            await client.patch(url, json={"active": True}, headers=admin)
        )

        listed = {u["id"]: u for u in (await client.get(users, headers=admin)).json()}
        assert listed[user["id"]]["rep_id"] == rep["id"] and not listed[user["id"]]["active"]
        assert [u["id"] for u in listed.values() if u["rep_id"] == rep["id"] and u["active"]] == [
            marketer["id"]
        ]
        # The holder's own changes are not a new link: her password changes as before.
        response = await client.patch(other, json={"password": "another long password"}, headers=admin)
        assert response.status_code == 200, response.text

        # Eight admins naming eight new accounts to one free rep record at once: one is made.
        free = await created(
            client,
            f"{system.routing}/v1/reps",
            {**rep_body, "name": "Hedy", "email": "hedy@sales.example"},
            admin,
        )
        answers = await asyncio.gather(
            *(
                client.post(
                    users,
                    json={**account, "email": f"hedy{n}@team.example", "rep_id": free["id"]},
                    headers=admin,
                )
                for n in range(8)
            )
        )
        assert sorted(answer.status_code for answer in answers) == [201] + [409] * 7, [
            a.text for a in answers
        ]


async def test_a_rep_account_waits_for_routing_when_routing_cannot_be_asked(settings, start_service):
    unreachable = f"http://127.0.0.1:{free_port()}"
    console = start_service(
        "console",
        settings,
        LEADFLOW_ADMIN_EMAIL=ADMIN_EMAIL,
        LEADFLOW_ADMIN_PASSWORD=ADMIN_PASSWORD,
        CONSOLE_ROUTING_URL=unreachable,
    )
    await eventually(lambda: is_ready(console), timeout=30)
    account = {"email": "sam@team.example", "password": "correct horse battery", "role": "rep"}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{console}/v1/users", json={**account, "rep_id": str(uuid.uuid4())}, headers=AUTH
        )
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "routing" in response.json()["detail"] and response.headers["retry-after"]
        # Nothing was created, and accounts that name no rep need no routing.
        users = (await client.get(f"{console}/v1/users", headers=AUTH)).json()
        assert account["email"] not in [user["email"] for user in users]
        marketer = {**account, "email": "kim@team.example", "role": "marketer"}
        assert (await client.post(f"{console}/v1/users", json=marketer, headers=AUTH)).status_code == 201
