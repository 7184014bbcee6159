"""Credentials change everywhere at once, through the running processes: a key works on every
service the moment its 201 is sent, a signed-out token and a revoked key fail everywhere the
moment their 204 is sent (the console's own API and pages included), and a service that cannot
read the credentials' epoch answers 503 rather than guess.

Each use goes to the five services together, right after the answer that changed the
credential: before the epoch, a service learned of the change from an announcement a few
hundred milliseconds later, and these uses fell in that window."""

import asyncio
import uuid
from collections import Counter

import asyncpg
import httpx
import pytest
from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from harness import AUTH, eventually
from test_access import bearer, create_user, token_for

pytestmark = pytest.mark.e2e

KEY_SCOPES = ["leads:read", "scoring:read", "routing:read", "webhooks:admin"]
NEW_KEYS = 100  # on 5 services: 500 uses of keys answered 201 a moment before
SIGN_OUTS = 50  # on 6 (five APIs and the console's pages): 300 uses of signed-out tokens
REVOCATIONS = 50  # on 5 services: 250 uses of revoked keys


def every_service(system) -> list[str]:
    """One read on each service that the test's keys and admin tokens may make (200)."""
    return [
        f"{system.capture}/v1/leads?email=nobody%40example.com",
        f"{system.scoring}/v1/scoring/rules",
        f"{system.routing}/v1/reps",
        f"{system.webhooks}/v1/webhooks",
        f"{system.console}/v1/auth/me",
    ]


def by_service(system, wrong: list[tuple[str, int]]) -> dict[str, int]:
    """How many wrong answers each service gave."""
    names = {url: name for name, url in system.urls.items()}
    return dict(Counter(next((n for u, n in names.items() if url.startswith(u)), url) for url, _ in wrong))


async def statuses(client: httpx.AsyncClient, urls: list[str], headers: dict) -> list[int]:
    """Every url at once, as a client that just got its answer would."""
    answers = await asyncio.gather(*(client.get(url, headers=headers) for url in urls))
    return [answer.status_code for answer in answers]


async def new_key(client: httpx.AsyncClient, system, admin: dict) -> dict:
    body = {"name": f"at-once-{uuid.uuid4().hex[:6]}", "scopes": KEY_SCOPES}
    response = await client.post(f"{system.console}/v1/keys", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_new_key_works_on_every_service_the_moment_its_201_is_sent(system):
    urls = every_service(system)
    refused: list[tuple[str, int]] = []
    async with httpx.AsyncClient(timeout=10) as client:
        admin = await token_for(client, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        for _ in range(NEW_KEYS):
            key = bearer((await new_key(client, system, admin))["key"])
            answers = await statuses(client, urls, key)
            refused += [(url, status) for url, status in zip(urls, answers, strict=True) if status != 200]
    print(f"new keys: {len(refused)}/{NEW_KEYS * len(urls)} uses refused {by_service(system, refused)}")
    assert refused == [], f"{len(refused)}/{NEW_KEYS * len(urls)} uses refused: {refused[:5]}"


async def test_a_signed_out_token_fails_everywhere_the_moment_its_204_is_sent(system):
    urls = every_service(system)
    accepted: list[tuple[str, int]] = []
    async with httpx.AsyncClient(timeout=10) as client:
        bootstrap_admin = await token_for(client, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        email, password, _ = await create_user(client, system, bootstrap_admin, "admin")
        for _ in range(SIGN_OUTS):
            token = await token_for(client, system.console, email, password)
            assert await statuses(client, urls, token) == [200] * len(urls)
            ended = await client.post(f"{system.console}/v1/auth/logout", headers=token)
            assert ended.status_code == 204, ended.text
            answers, page = await asyncio.gather(
                statuses(client, urls, token), console_page(client, system, token)
            )
            accepted += [(url, status) for url, status in zip(urls, answers, strict=True) if status != 401]
            if page.status_code != 303 or page.headers["location"] != "/":
                accepted.append(("console /team page", page.status_code))
    uses = SIGN_OUTS * (len(urls) + 1)
    print(f"signed-out tokens: {len(accepted)}/{uses} uses accepted {by_service(system, accepted)}")
    assert accepted == [], f"{len(accepted)}/{uses} uses accepted: {accepted[:5]}"


async def console_page(client: httpx.AsyncClient, system, token: dict) -> httpx.Response:
    """The admin's home page with the token as its session cookie: a redirect to sign in
    when the session has ended."""
    cookie = {"Cookie": f"leadflow_session={token['Authorization'].removeprefix('Bearer ')}"}
    return await client.get(f"{system.console}/team", headers=cookie)


async def test_a_revoked_key_fails_everywhere_the_moment_its_204_is_sent(system):
    urls = every_service(system)
    accepted: list[tuple[str, int]] = []
    async with httpx.AsyncClient(timeout=10) as client:
        admin = await token_for(client, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        for _ in range(REVOCATIONS):
            created = await new_key(client, system, admin)
            key = bearer(created["key"])

            async def usable(key=key) -> bool:
                return await statuses(client, urls, key) == [200] * len(urls)

            await eventually(usable, timeout=5)  # every service knows it before it is revoked
            revoked = await client.delete(f"{system.console}/v1/keys/{created['id']}", headers=admin)
            assert revoked.status_code == 204, revoked.text
            answers = await statuses(client, urls, key)
            accepted += [(url, status) for url, status in zip(urls, answers, strict=True) if status != 401]
    uses = REVOCATIONS * len(urls)
    print(f"revoked keys: {len(accepted)}/{uses} uses accepted {by_service(system, accepted)}")
    assert accepted == [], f"{len(accepted)}/{uses} uses accepted: {accepted[:5]}"


async def test_a_service_that_cannot_read_the_epoch_answers_503_and_accepts_nothing(system):
    urls = every_service(system)
    # Each service holds its epoch connection from the start: no request pays for connecting
    # (on a loaded machine a connection once took over 2 s, and a first request got 503).
    assert sorted(await epoch_connections(system.settings.database_url)) == sorted(
        f"leadflow-{name}-credentials" for name in ("capture", "scoring", "routing", "webhooks", "console")
    )
    async with httpx.AsyncClient(timeout=10) as client:
        admin = await token_for(client, system.console, ADMIN_EMAIL, ADMIN_PASSWORD)
        key = bearer((await new_key(client, system, admin))["key"])
        assert await statuses(client, urls, key) == [200] * len(urls)
        # The epoch's table out of reach, as a database that stopped answering would leave it.
        async with epoch_hidden(system.settings.database_url):
            for headers in (key, admin):
                for url in urls:
                    answer = await client.get(url, headers=headers)
                    assert answer.status_code == 503, (url, answer.text)
                    assert answer.headers["content-type"] == "application/problem+json"
                    assert answer.headers["retry-after"]
            # The bootstrap key needs no epoch: the deployment's own calls go on.
            assert (await client.get(f"{system.scoring}/v1/scoring/rules", headers=AUTH)).status_code == 200
        assert await statuses(client, urls, key) == [200] * len(urls)
        # The database ends every epoch connection (a restart, an administrator): the next
        # request is judged on a new one, not answered 503.
        assert len(await epoch_connections(system.settings.database_url, end=True)) == len(urls)
        assert await statuses(client, urls, key) == [200] * len(urls)
        assert len(await epoch_connections(system.settings.database_url)) == len(urls)


async def epoch_connections(database_url: str, *, end: bool = False) -> list[str]:
    """The services' epoch connections to the test's database (ended first when `end`)."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch(
            "SELECT application_name, pg_backend_pid() <> pid AND ($1 AND pg_terminate_backend(pid, 5000))"
            " FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE '%-credentials'",
            end,
        )
    finally:
        await connection.close()
    return [row["application_name"] for row in rows]


class epoch_hidden:
    """Renames the epoch's table for the block, so every read of it fails."""

    def __init__(self, database_url: str):
        self._dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")

    async def _rename(self, old: str, new: str) -> None:
        connection = await asyncpg.connect(self._dsn)
        try:
            await connection.execute(f"ALTER TABLE console.{old} RENAME TO {new}")
        finally:
            await connection.close()

    async def __aenter__(self) -> None:
        await self._rename("credentials_epoch", "credentials_epoch_hidden")

    async def __aexit__(self, *_exc) -> None:
        await self._rename("credentials_epoch_hidden", "credentials_epoch")
