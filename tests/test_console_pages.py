"""The console's pages over HTTP: every page declares who may open it and the server enforces
it for every role; the session cookie's flags; CSRF on every form; the Content-Security-Policy;
a session ended by signing out ends the pages too."""

import contextlib
import json
import re

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from fastapi.routing import APIRoute
from harness import HOT, eventually, is_ready
from test_access import create_user, token_for

from leadflow_cli.infra import free_port
from leadflow_console.api.web.app import PAGE_ROUTERS
from leadflow_console.api.web.session import Page

pytestmark = pytest.mark.e2e
PUBLIC_PAGES = {("GET", "/"), ("POST", "/login")}
# The pages a GET opens, and the roles that may open each.
PAGES = {
    "/inbox": {"rep"},
    "/feed": {"admin", "manager", "marketer", "viewer"},
    "/funnel": {"admin", "manager", "marketer"},
    "/funnel.csv": {"admin", "manager", "marketer"},
    "/leads": {"admin", "manager", "marketer", "rep"},
    "/scoring": {"admin", "marketer"},
    "/scoring/json": {"admin", "marketer"},
    "/scoring/model": {"admin", "marketer"},
    "/team": {"admin", "manager"},
    "/queue": {"admin", "manager", "marketer"},
    "/admin/users": {"admin"},
    "/admin/keys": {"admin"},
    "/admin/webhooks": {"admin"},
    "/admin/audit": {"admin"},
    "/account": {"admin", "manager", "marketer", "rep", "viewer"},
}
# The live regions' streams (text/event-stream), and the roles that may follow each.
STREAMS = {
    "/inbox/stream": {"rep"},
    "/feed/stream": {"admin", "manager", "marketer", "viewer"},
    "/queue/stream": {"admin", "manager", "marketer"},
    "/team/stream": {"admin", "manager"},
    "/admin/users/stream": {"admin"},
    "/admin/keys/stream": {"admin"},
    "/leads/stream": {"admin", "manager", "marketer", "rep"},  # a rep: her own leads' rows
    "/funnel/stream": {"admin", "manager", "marketer"},
    "/admin/audit/stream": {"admin"},
    "/accounts/stream": {"admin", "manager", "marketer"},
    "/funnel/accounts/stream": {"admin", "manager", "marketer"},
    "/scoring/stream": {"admin", "marketer"},
    "/admin/webhooks/stream": {"admin"},
    "/scoring/model/stream": {"admin", "marketer"},
}


def page_roles(route: APIRoute) -> frozenset[str] | None:
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, Page):
            return frozenset(str(role) for role in dependant.call.roles)
        pending.extend(dependant.dependencies)
    return None


def test_every_page_declares_the_roles_that_may_open_it():
    pages = [route for router in PAGE_ROUTERS for route in router.routes if isinstance(route, APIRoute)]
    assert len(pages) > 20
    for route in pages:
        for method in route.methods:
            if (method, route.path) in PUBLIC_PAGES:
                assert page_roles(route) is None
                continue
            assert page_roles(route), f"{method} {route.path} declares no page policy"
    declared = {route.path: page_roles(route) for route in pages if "GET" in route.methods}
    assert {path: declared[path] for path in PAGES} == PAGES
    assert {path: declared[path] for path in STREAMS} == STREAMS
    assert declared["/leads/{lead_id}/stream"] == {"admin", "manager", "marketer", "rep"}  # a rep: her own


async def sign_in(console: str, email: str, password: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=console, timeout=10)
    form = await client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    response = await client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text
    return client


async def test_pages_sessions_and_forms_are_guarded(system):
    console = system.console
    async with httpx.AsyncClient(base_url=console, timeout=10) as anonymous:
        login = await anonymous.get("/")
        csp = login.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert "HttpOnly" in login.headers["set-cookie"] and "SameSite=lax" in login.headers["set-cookie"]
        # Login CSRF: a form posted without the cookie the login page set is refused.
        async with httpx.AsyncClient(base_url=console, cookies={"leadflow_login": "y"}) as forger:
            forged = await forger.post(
                "/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": "x"}
            )
        assert forged.status_code == 403
        for path in [*PAGES, *STREAMS]:
            response = await anonymous.get(path)
            assert (response.status_code, response.headers["location"]) == (303, "/")

        wrong = await anonymous.get("/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', wrong.text).group(1)
        refused = await anonymous.post(
            "/login", data={"email": ADMIN_EMAIL, "password": "not it at all", "csrf_token": token}
        )
        assert refused.status_code == 401 and "wrong" in refused.text

    admin = await sign_in(console, ADMIN_EMAIL, ADMIN_PASSWORD)
    session_cookie = next(value for name, value in admin.cookies.items() if name == "leadflow_session")
    async with httpx.AsyncClient(timeout=10) as api:
        admin_token = await token_for(api, console, ADMIN_EMAIL, ADMIN_PASSWORD)
        rep = {"name": "P", "email": "p@sales.example", "tier": "mid", "capacity": 1}
        created = await api.post(f"{system.routing}/v1/reps", json=rep, headers=admin_token)
        assert created.status_code == 201, created.text
        rep_id = created.json()["id"]
        clients = {"admin": admin}
        for role in ("manager", "marketer", "viewer", "rep"):
            email, password, _ = await create_user(
                api, system, admin_token, role, **({"rep_id": rep_id} if role == "rep" else {})
            )
            clients[role] = await sign_in(console, email, password)
    try:
        # Words at the field, never JSON: a NUL byte in the accounts search was a problem+json 500.
        nul = await clients["manager"].get("/accounts", params={"q": "a\x00b"})
        assert nul.status_code == 422 and nul.headers["content-type"].startswith("text/html"), nul.text
        assert "may not contain NUL" in nul.text and 'aria-invalid="true"' in nul.text
        for role, client in clients.items():
            for path, allowed in PAGES.items():
                response = await client.get(path)
                expected = 200 if role in allowed else 403
                assert response.status_code == expected, f"{role} GET {path}: {response.status_code}"
                if path == "/feed" and expected == 200:  # whom a decision is about: not for a viewer
                    assert ("<th>Lead</th>" in response.text) == (role != "viewer"), role
                if path != "/funnel.csv":
                    assert "unsafe-inline" not in response.headers["content-security-policy"]
                    title = re.search(r"<title>(.*?)</title>", response.text, re.S).group(1)
                    assert title.endswith(" · Leadflow") and "<" not in title, (path, title)
            for path, allowed in STREAMS.items():
                async with client.stream("GET", path) as response:
                    expected = 200 if role in allowed else 403
                    assert response.status_code == expected, f"{role} GET {path}: {response.status_code}"
                    if expected == 200:
                        assert response.headers["content-type"].startswith("text/event-stream")

        # A person holds at most 12 live pages open (180 of one page made routing refuse the
        # console's redraws and cut everyone's streams); one more is refused, not retried.
        # (A person who has opened none yet: the loop's streams are released as the server
        # notices they closed.)
        async with httpx.AsyncClient(timeout=10) as api:
            email, password, _ = await create_user(api, system, admin_token, "viewer")
        clients["watcher"] = watcher = await sign_in(console, email, password)
        async with contextlib.AsyncExitStack() as streams:
            for _ in range(12):
                opened_stream = await streams.enter_async_context(watcher.stream("GET", "/feed/stream"))
                assert opened_stream.status_code == 200
            async with watcher.stream("GET", "/feed/stream") as one_more:
                assert one_more.status_code == 429
                assert "Too many live pages are open" in (await one_more.aread()).decode()
            async with clients["admin"].stream("GET", "/feed/stream") as someone_else:
                assert someone_else.status_code == 200, "the limit is a person's own"

        # A range the wrong way round is said at its field, in the form's words, with the dates
        # typed kept (it was a page of its own naming URL parameters), for both funnels.
        for path in ("/funnel", "/funnel/accounts"):
            wrong = await admin.get(path, params={"since": "2026-12-01", "until": "2026-11-01"})
            assert wrong.status_code == 422 and wrong.headers["content-type"].startswith("text/html")
            said = re.search(r'<p class="field-error" id="since-error">(.*?)</p>', wrong.text)
            assert said and said.group(1) == "Must not be after the To date.", wrong.text[:2000]
            assert 'value="2026-12-01"' in wrong.text and 'value="2026-11-01"' in wrong.text
        # So is a grouping the funnel does not have (it was the generic "Not understood" page).
        zodiac = await admin.get("/funnel", params={"by": "zodiac"})
        assert zodiac.status_code == 422 and zodiac.headers["content-type"].startswith("text/html")
        said = re.search(r'<p class="field-error" id="by-error">(.*?)</p>', zodiac.text)
        assert said and said.group(1) == "Choose channel, source, campaign or segment.", zodiac.text[:2000]

        # A form without this session's CSRF token changes nothing.
        keys_before = (await admin.get("/admin/keys")).text.count("<tr>")
        forged = await admin.post("/admin/keys", data={"name": "forged", "scopes": ["leads:read"]})
        assert forged.status_code == 403
        page = await admin.get("/admin/keys")
        assert page.text.count("<tr>") == keys_before
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        other_csrf = re.search(
            r'name="csrf_token" value="([^"]+)"', (await clients["marketer"].get("/funnel")).text
        ).group(1)
        assert other_csrf != csrf  # bound to the session
        made = await admin.post(
            "/admin/keys", data={"name": "made", "scopes": ["leads:read"], "csrf_token": csrf}
        )
        assert made.status_code == 200 and "Copy it now" in made.text
        assert re.search(r"lf_[0-9a-f]{32}_", made.text)

        # Signing out ends the session: the old cookie opens nothing once the revocation is loaded.
        assert (await admin.post("/logout", data={"csrf_token": csrf})).status_code == 303
        async with httpx.AsyncClient(
            base_url=console, timeout=10, cookies={"leadflow_session": session_cookie}
        ) as stale:

            async def ended() -> bool:
                response = await stale.get("/team")
                assert response.status_code == 303
                return True

            await eventually(ended, timeout=10)
    finally:
        for client in clients.values():
            await client.aclose()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def test_the_forms_change_what_they_name_in_the_owning_service(system):
    """Team edits and presence go to routing, role changes to the accounts, retraining to
    scoring: each as the signed-in user, each visible where it belongs."""
    async with httpx.AsyncClient(timeout=10) as api:
        admin_token = await token_for(api, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        rep = {"name": "P", "email": "p@sales.example", "tier": "mid", "capacity": 1}
        rep_id = (await api.post(f"{system.routing}/v1/reps", json=rep, headers=admin_token)).json()["id"]
        rep_email, rep_password, _ = await create_user(api, system, admin_token, "rep", rep_id=rep_id)
        viewer_email, _, viewer = await create_user(api, system, admin_token, "viewer")
    admin = await sign_in(system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
    rep_client = await sign_in(system.console, rep_email, rep_password)
    try:
        csrf = csrf_of((await admin.get("/team")).text)
        change = {"tier": "senior", "capacity": "7", "active": "yes", "available": "yes", "csrf_token": csrf}
        assert (await admin.post(f"/team/reps/{rep_id}", data=change)).status_code == 303
        role = {"role": "marketer", "rep_id": "", "csrf_token": csrf}
        assert (await admin.post(f"/admin/users/{viewer['id']}/role", data=role)).status_code == 303
        retrain = await admin.post("/scoring/retrain", data={"csrf_token": csrf})
        assert retrain.status_code == 303  # too few outcomes: the reason is the notice
        assert "Not%20retrained" in retrain.headers["set-cookie"]

        rep_csrf = csrf_of((await rep_client.get("/inbox")).text)
        away = {"available": "no", "timezone": "Europe/Berlin", "start": "09:00", "end": "17:00"}
        assert (await rep_client.post("/presence", data=away | {"csrf_token": rep_csrf})).status_code == 303

        async with httpx.AsyncClient(timeout=10) as api:
            seen = (await api.get(f"{system.routing}/v1/reps/{rep_id}", headers=admin_token)).json()
            users = (await api.get(f"{system.console}/v1/users", headers=admin_token)).json()
        assert (seen["tier"], seen["capacity"], seen["available"]) == ("senior", 7, False)
        assert seen["working_hours"]["timezone"] == "Europe/Berlin"
        assert next(u for u in users if u["email"] == viewer_email)["role"] == "marketer"
    finally:
        await admin.aclose()
        await rep_client.aclose()


async def test_a_reps_inbox_still_shows_the_offers_while_routing_is_away(system, start_service):
    """The inbox reads the console's own read model; only presence and actions need routing."""
    cut_off = start_service(
        "console",
        system.settings,
        CONSOLE_ROUTING_URL=f"http://127.0.0.1:{free_port()}",  # nobody listens
    )
    await eventually(lambda: is_ready(cut_off), timeout=30)
    async with httpx.AsyncClient(timeout=10) as api:
        admin_token = await token_for(api, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        rep = {"name": "P", "email": "p@sales.example", "tier": "senior", "capacity": 3}
        rep_id = (await api.post(f"{system.routing}/v1/reps", json=rep, headers=admin_token)).json()["id"]
        email, password, _ = await create_user(api, system, admin_token, "rep", rep_id=rep_id)
        lead = {**HOT, "email": "pat@bigco.example", "first_name": "Pat"}
        assert (await api.post(f"{system.capture}/v1/leads/landing-page", json=lead)).status_code == 202
    rep_client = await sign_in(cut_off, email, password)
    try:

        async def offered() -> bool:
            inbox = await rep_client.get("/inbox")
            assert inbox.status_code == 200 and "Routing does not answer right now" in inbox.text
            assert 'class="offer card' in inbox.text
            return True

        await eventually(offered, timeout=20)
    finally:
        await rep_client.aclose()


async def test_an_admin_downloads_everything_held_about_a_person_from_the_lead_page(system):
    async with httpx.AsyncClient(timeout=10) as api:
        lead = {**HOT, "email": "pat@bigco.example", "first_name": "Pat"}
        lead_id = (await api.post(f"{system.capture}/v1/leads/landing-page", json=lead)).json()["lead_id"]
    admin = await sign_in(system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
    try:

        async def shown() -> httpx.Response | None:  # once the read model has the lead
            answer = await admin.get(f"/leads/{lead_id}")
            return answer if answer.status_code == 200 else None

        assert f'href="/leads/{lead_id}/export"' in (await eventually(shown, timeout=20)).text
        exported = await admin.get(f"/leads/{lead_id}/export")
        assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
        document = exported.json()
        assert document["lead_ids"] == [lead_id]
        assert set(document["services"]) == {"capture", "scoring", "routing", "webhooks", "console"}
        assert "pat@bigco.example" in json.dumps(document["services"]["capture"]).lower()
    finally:
        await admin.aclose()
