"""The last active admin cannot be demoted or disabled, from the API or the users page (a new
user's hour found the only admin demoting herself to viewer: no person could manage anything);
once another admin exists, she can."""

import re

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH
from test_access import token_for
from test_console_pages import sign_in

pytestmark = pytest.mark.e2e

LAST_ADMIN = "last active admin"


async def test_the_last_admin_cannot_demote_or_disable_herself_until_another_admin_exists(system):
    async with httpx.AsyncClient(timeout=10) as client:
        admin = await token_for(client, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        me = (await client.get(f"{system.console}/v1/auth/me", headers=admin)).json()["user"]["id"]
        own = f"{system.console}/v1/users/{me}"
        for change in ({"role": "viewer"}, {"role": "marketer"}, {"active": False}):
            refused = await client.patch(own, json=change, headers=admin)
            assert refused.status_code == 409, refused.text
            assert LAST_ADMIN in refused.json()["detail"]

    page = await sign_in(system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
    try:
        users = await page.get("/admin/users")
        token = re.search(r'name="csrf_token" value="([^"]+)"', users.text).group(1)
        for path, form in (("role", {"role": "viewer"}), ("active", {"active": "no"})):
            answer = await page.post(f"/admin/users/{me}/{path}", data={**form, "csrf_token": token})
            assert answer.status_code == 409, answer.text[:300]
            assert "text/html" in answer.headers["content-type"] and LAST_ADMIN in answer.text
        assert (await page.get("/admin/users")).status_code == 200, "she is still an admin"
    finally:
        await page.aclose()

    async with httpx.AsyncClient(timeout=10, headers=AUTH) as client:
        second = {"email": "second@leadflow.example", "password": "a long enough password", "role": "admin"}
        assert (await client.post(f"{system.console}/v1/users", json=second)).status_code == 201
        demoted = await client.patch(f"{system.console}/v1/users/{me}", json={"role": "marketer"})
        assert demoted.status_code == 200 and demoted.json()["role"] == "marketer", demoted.text
