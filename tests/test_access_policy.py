"""The access policy, declared once here and checked two ways: every operation of every
service's OpenAPI document has exactly the policy this table gives it (a route added without a
policy, or with another one, fails), and every role and a scoped key get the status the table
implies from the running services."""

import importlib
import re
import uuid

import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, eventually
from test_access import bearer, create_user, token_for

from leadflow_common.access import ROLE_SCOPES, Role, Scope
from leadflow_common.settings import CommonSettings

SERVICES = ("capture", "scoring", "routing", "console", "webhooks")

# Who may call what: `public`, `authenticated` (anyone known, about themselves) or a scope.
POLICY = {
    "capture POST /v1/leads/landing-page": "public",
    "capture POST /v1/leads/popup": "public",
    "capture POST /v1/leads/sms": "public",
    "capture POST /v1/leads": "leads:write",
    "capture POST /v1/activities": "activities:write",
    "capture POST /v1/outcomes": "outcomes:write",
    "capture GET /v1/leads/{lead_id}": "leads:read",
    "capture GET /v1/leads": "leads:read",
    "capture GET /v1/accounts/{account_id}": "leads:read",
    "capture GET /v1/accounts": "leads:read",
    "capture POST /v1/accounts/{account_id}/people": "accounts:write",
    "capture DELETE /v1/accounts/{account_id}/people/{lead_id}": "accounts:write",
    "capture DELETE /v1/accounts/{account_id}/suggestions/{lead_id}": "accounts:write",
    "capture POST /v1/accounts/{account_id}/merge": "accounts:write",
    "capture POST /v1/privacy/suppressions": "privacy:admin",
    "capture POST /v1/privacy/suppressions/lift": "privacy:admin",
    "capture POST /v1/privacy/erasures": "privacy:admin",
    "capture GET /v1/privacy/erasures/{erasure_id}": "privacy:admin",
    "capture GET /v1/privacy/export": "privacy:admin",
    "scoring GET /v1/privacy/held": "privacy:admin",
    "routing GET /v1/privacy/held": "privacy:admin",
    "webhooks GET /v1/privacy/held": "privacy:admin",
    "console GET /v1/privacy/held": "privacy:admin",
    "scoring GET /v1/leads/{lead_id}/score": "leads:read",
    "scoring GET /v1/scoring/rules": "scoring:read",
    "scoring PUT /v1/scoring/rules": "scoring:admin",
    "scoring POST /v1/scoring/retrain": "scoring:admin",
    "scoring POST /v1/scoring/rules/preview": "scoring:admin",
    "scoring GET /v1/scoring/model": "scoring:read",
    "scoring GET /v1/scoring/models": "scoring:read",
    "scoring GET /v1/scoring/bands": "scoring:read",
    "routing GET /v1/reps": "routing:read",
    "routing POST /v1/reps": "team:work",
    "routing GET /v1/reps/{rep_id}": "routing:read",
    "routing PATCH /v1/reps/{rep_id}": "team:work",
    "routing DELETE /v1/reps/{rep_id}": "team:work",
    "routing PUT /v1/reps/{rep_id}/presence": "assignments:work",
    "routing GET /v1/assignments": "routing:read",
    "routing GET /v1/nurture": "routing:read",
    "routing GET /v1/queue": "routing:read",
    "routing POST /v1/leads/{lead_id}/assign": "team:work",
    "routing GET /v1/assignments/{assignment_id}": "routing:read",
    "routing POST /v1/assignments/{assignment_id}/accept": "assignments:work",
    "routing POST /v1/assignments/{assignment_id}/reject": "assignments:work",
    "routing POST /v1/assignments/{assignment_id}/complete": "assignments:work",
    "routing POST /v1/offer-links": "routing:admin",
    "routing PUT /v1/accounts/{account_id}/owner": "routing:admin",
    "routing GET /v1/accounts/{account_id}/owner": "routing:admin",
    "routing GET /v1/offers/{token}": "public",
    "routing POST /v1/offers/{token}": "public",
    "console POST /v1/auth/token": "public",
    "console POST /v1/auth/logout": "authenticated",
    "console GET /v1/auth/me": "authenticated",
    "console GET /v1/users": "users:admin",
    "console POST /v1/users": "users:admin",
    "console PATCH /v1/users/{user_id}": "users:admin",
    "console GET /v1/keys": "users:admin",
    "console POST /v1/keys": "users:admin",
    "console DELETE /v1/keys/{key_id}": "users:admin",
    "console GET /v1/audit": "audit:read",
    "console POST /v1/auth/sync": "credentials:sync",
    "webhooks GET /v1/webhooks": "webhooks:admin",
    "webhooks POST /v1/webhooks": "webhooks:admin",
    "webhooks GET /v1/webhooks/event-types": "webhooks:admin",
    "webhooks GET /v1/webhooks/{webhook_id}": "webhooks:admin",
    "webhooks PATCH /v1/webhooks/{webhook_id}": "webhooks:admin",
    "webhooks DELETE /v1/webhooks/{webhook_id}": "webhooks:admin",
    "webhooks POST /v1/webhooks/{webhook_id}/secret": "webhooks:admin",
    "webhooks GET /v1/webhooks/{webhook_id}/deliveries": "webhooks:admin",
    "webhooks POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry": "webhooks:admin",
    "webhooks POST /v1/webhooks/{webhook_id}/replay": "webhooks:admin",
    "webhooks POST /v1/webhooks/{webhook_id}/test": "webhooks:admin",
    "webhooks GET /v1/notifications": "routing:read",
    "webhooks GET /v1/notifications/reps/{rep_id}": "routing:admin",
    "webhooks PUT /v1/notifications/reps/{rep_id}": "routing:admin",
}
# Where a rep holding the scope is still refused what is not theirs: one thing named by id (the
# test names one that is not theirs), or the nurture queue, which is nobody's.
REP_REFUSED_FOR_OTHERS = {
    "capture GET /v1/leads/{lead_id}",
    "capture POST /v1/outcomes",
    "routing PUT /v1/reps/{rep_id}/presence",
    "scoring GET /v1/leads/{lead_id}/score",
    "routing GET /v1/reps/{rep_id}",
    "routing GET /v1/nurture",
    "routing GET /v1/queue",
    "routing GET /v1/assignments/{assignment_id}",
    "routing POST /v1/assignments/{assignment_id}/accept",
    "routing POST /v1/assignments/{assignment_id}/reject",
    "routing POST /v1/assignments/{assignment_id}/complete",
}
# Bodies that pass validation where it would otherwise answer before ownership is checked.
BODIES = {
    "routing POST /v1/assignments/{assignment_id}/reject": {"reason": "not for me"},
    "routing PUT /v1/reps/{rep_id}/presence": {"available": True},
    "capture POST /v1/privacy/suppressions": {"email": "nobody@example.com"},
    "capture POST /v1/privacy/suppressions/lift": {"email": "nobody@example.com"},
    "capture POST /v1/outcomes": {"email": "nobody@example.com", "outcome": "won"},
}
KEY_SCOPES = frozenset({Scope.leads_write, Scope.routing_read, Scope.scoring_admin})


def documented_policies() -> dict[str, str | None]:
    found = {}
    for service in SERVICES:
        app = importlib.import_module(f"leadflow_{service}.main").create_app(
            CommonSettings(leadflow_console_url="")
        )
        for path, operations in app.openapi()["paths"].items():
            if path.startswith("/v1/"):
                for method, operation in operations.items():
                    found[f"{service} {method.upper()} {path}"] = operation.get("x-leadflow-policy")
    return found


def test_every_operation_of_every_service_has_the_declared_policy():
    assert documented_policies() == POLICY


def expected_status(operation: str, scopes: frozenset[Scope], *, rep: bool) -> str:
    policy = POLICY[operation]
    if policy in ("public", "authenticated"):
        return "allowed"
    if Scope(policy) not in scopes:
        return "forbidden"
    return "forbidden" if rep and operation in REP_REFUSED_FOR_OTHERS else "allowed"


def test_the_table_gives_each_role_what_the_readme_says():
    """Spot checks of the table read through the roles (docs/roles-and-keys.md)."""
    as_role = {
        role: {
            op for op in POLICY if expected_status(op, ROLE_SCOPES[role], rep=role is Role.rep) == "allowed"
        }
        for role in Role
    }
    assert "scoring PUT /v1/scoring/rules" in as_role[Role.marketer] - as_role[Role.viewer]
    assert "console POST /v1/keys" in as_role[Role.admin] - as_role[Role.marketer]
    assert "routing POST /v1/reps" not in as_role[Role.rep] | as_role[Role.viewer] | as_role[Role.marketer]
    assert not {op for op in as_role[Role.viewer] if POLICY[op] == "leads:read"}  # no personal data
    assert "console POST /v1/auth/sync" not in as_role[Role.admin]


async def call(client: httpx.AsyncClient, system, operation: str, headers: dict) -> int:
    service, method, path = operation.split(" ")
    url = system.urls[service] + re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
    response = await client.request(method, url, json=BODIES.get(operation, {}), headers=headers)
    return response.status_code


@pytest.mark.e2e
async def test_each_role_and_a_scoped_key_get_what_the_policy_gives_them_from_every_service(system):
    async with httpx.AsyncClient(timeout=30) as client:
        admin = await token_for(client, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        rep = {"name": "P", "email": "p@sales.example", "tier": "mid", "capacity": 1}
        rep_id = (await client.post(f"{system.routing}/v1/reps", json=rep, headers=admin)).json()["id"]
        credentials = {
            "bootstrap": (AUTH, frozenset(Scope), False),
            "admin": (admin, ROLE_SCOPES[Role.admin], False),
        }
        for role in (Role.marketer, Role.viewer, Role.rep):
            email, password, _ = await create_user(
                client, system, admin, str(role), **({"rep_id": rep_id} if role is Role.rep else {})
            )
            credentials[str(role)] = (
                await token_for(client, system.console, email, password),
                ROLE_SCOPES[role],
                role is Role.rep,
            )
        created = await client.post(
            f"{system.console}/v1/keys",
            json={"name": "integration", "scopes": sorted(KEY_SCOPES)},
            headers=admin,
        )
        credentials["key"] = (bearer(created.json()["key"]), KEY_SCOPES, False)

        async def known_everywhere() -> bool:
            probes = [
                "capture POST /v1/leads",
                "scoring GET /v1/scoring/rules",
                "routing GET /v1/reps",
                "console GET /v1/auth/me",
            ]
            tokens = [headers for headers, _, _ in credentials.values()]
            return all(
                [await call(client, system, probe, headers) != 401 for probe in probes for headers in tokens]
            )

        await eventually(known_everywhere, timeout=5)
        # Logging out ends a session: it goes last, after everything else was tried.
        operations = sorted(POLICY, key=lambda op: op == "console POST /v1/auth/logout")
        mismatches = []
        for name, (headers, scopes, is_rep) in credentials.items():
            for operation in operations:
                expected = expected_status(operation, scopes, rep=is_rep)
                status = await call(client, system, operation, headers)
                got = {401: "unauthenticated", 403: "forbidden"}.get(
                    status, "allowed" if status < 500 else "failed"
                )
                if got != expected:
                    mismatches.append((name, operation, expected, status))
        assert not mismatches
