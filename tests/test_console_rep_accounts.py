"""A rep record and the console account working as it, through the five services as processes:
the team page names each active rep's account, or says how offers reach the rep without one;
disabling or demoting a rep's account tells the admin that the rep record still gets offers
(a helper's hour found a demoted rep's record still routed to with nothing said), and says
nothing of the kind once the rep is inactive."""

import html
import re

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH
from test_console_pages import sign_in

pytestmark = pytest.mark.e2e

# This system has no mail server (no SMTP_HOST): the pages said "by mail" all the same (a
# helper's hour); with one, they say "by mail" (test_notifications.py: the system says it can).
STILL_OFFERED = (
    "Its rep record stays active: leads are still offered to that rep (by Slack only, where set: no"
    " mail server is set up)"
)
BY_MAIL_ONLY = (
    "no console account and no mail server (SMTP_HOST): offers reach them only by Slack, where set up"
)


async def test_the_team_page_and_the_users_page_say_whether_a_rep_still_gets_offers(system):
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        rep = {"name": "Omar", "email": "omar@sales.example", "tier": "mid", "capacity": 3}
        rep_id = (await client.post(f"{system.routing}/v1/reps", json=rep)).json()["id"]
        account = {"email": "omar@leadflow.example", "password": "a long enough password", "role": "rep"}
        made = await client.post(f"{system.console}/v1/users", json={**account, "rep_id": rep_id})
        assert made.status_code == 201, made.text
        user_id = made.json()["id"]

    admin = await sign_in(system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
    try:

        async def account_of_rep() -> str:
            team = await admin.get("/team")
            assert team.status_code == 200, team.text[:300]
            found = re.search(rf'id="account-of-{rep_id}">([^<]*)<', team.text)
            assert found, team.text[:500]
            return html.unescape(found.group(1))

        async def post(path: str, form: dict) -> str:
            """The form posted; the notice the users page then shows."""
            users = await admin.get("/admin/users")
            token = re.search(r'name="csrf_token" value="([^"]+)"', users.text).group(1)
            answer = await admin.post(path, data={**form, "csrf_token": token})
            assert answer.status_code == 303, answer.text[:300]
            return html.unescape((await admin.get(answer.headers["location"])).text)

        assert await account_of_rep() == "console: omar@leadflow.example"
        said = await post(f"/admin/users/{user_id}/active", {"active": "no"})
        assert "Account disabled; its sessions ended." in said and STILL_OFFERED in said
        assert await account_of_rep() == BY_MAIL_ONLY
        # Again (a second tab): no session ended, nothing new to warn of.
        said = await post(f"/admin/users/{user_id}/active", {"active": "no"})
        assert "The account was already disabled." in said
        assert "sessions ended" not in said and STILL_OFFERED not in said

        said = await post(f"/admin/users/{user_id}/active", {"active": "yes"})
        assert "Account enabled." in said and STILL_OFFERED not in said
        assert await account_of_rep() == "console: omar@leadflow.example"
        said = await post(f"/admin/users/{user_id}/role", {"role": "viewer"})
        assert "Role changed" in said and STILL_OFFERED in said
        assert await account_of_rep() == BY_MAIL_ONLY

        # Once the rep is inactive in routing, nothing is offered: nothing to warn of.
        said = await post(f"/admin/users/{user_id}/role", {"role": "rep", "rep_id": rep_id})
        assert "Role changed" in said and STILL_OFFERED not in said
        async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
            assert (await client.delete(f"{system.routing}/v1/reps/{rep_id}")).status_code == 200
        # Omar's own inbox says so (it read "Presence: available", as if leads could come).
        omar = await sign_in(system.console, account["email"], account["password"])
        try:
            inbox = html.unescape((await omar.get("/inbox")).text)
            assert "Your rep record is inactive: no new leads are offered to you" in inbox
        finally:
            await omar.aclose()
        said = await post(f"/admin/users/{user_id}/active", {"active": "no"})
        assert "Account disabled" in said and "rep record" not in said
        assert await account_of_rep() == ""
    finally:
        await admin.aclose()
