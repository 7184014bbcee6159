"""Capture's HTTP rules against the real database and broker (the app in-process)."""

import asyncio

import pytest
from harness import AUTH, capture_in_process, opened, read_events, read_to_end
from sqlalchemy import func, select

from leadflow_capture.store.tables import leads, submissions

pytestmark = pytest.mark.integration


async def count(app, table) -> int:
    async with app.state.runtime.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(table))


async def test_json_and_form_posts_are_accepted_stored_and_published(settings, topics):
    async with capture_in_process(settings) as (client, app):
        json_response = await client.post(
            "/v1/leads/landing-page", json={"email": "Ada@Example.com", "country": "gb"}
        )
        form_response = await client.post(
            "/v1/leads/landing-page", data={"phone": "202-555-0147", "utm_source": "google", "course": "data"}
        )
        assert json_response.status_code == 202 and form_response.status_code == 202
        assert await count(app, leads) == 2
    events = await opened(
        settings.database_url,
        await read_events(settings.kafka_bootstrap_servers, topics.captured, until=lambda e: len(e) >= 2),
    )
    by_lead = {event["subject"]: event for event in events}
    first = by_lead[json_response.json()["lead_id"]]["data"]
    assert first["lead"]["email"] == "ada@example.com" and first["lead"]["country"] == "GB"
    second = by_lead[form_response.json()["lead_id"]]["data"]
    assert second["lead"]["phone"] == "+12025550147"
    assert second["lead"]["attribution"]["source"] == "google"
    assert second["lead"]["attributes"] == {"course": "data"}
    assert all(event["_headers"]["ce_id"] == event["id"] for event in events)


async def test_the_same_person_is_one_lead_and_linking_two_leads_merges_them(settings, topics):
    """Linking two leads takes a caller with a key (public forms never link people)."""
    async with capture_in_process(settings) as (client, _app):
        by_email = (await client.post("/v1/leads/landing-page", json={"email": "a@example.com"})).json()
        again = (
            await client.post("/v1/leads/landing-page", json={"email": "A@EXAMPLE.com", "first_name": "Ada"})
        ).json()
        assert again["lead_id"] == by_email["lead_id"]
        by_phone = (await client.post("/v1/leads/landing-page", json={"phone": "+12025550147"})).json()
        assert by_phone["lead_id"] != by_email["lead_id"]
        public = await client.post(
            "/v1/leads/landing-page", json={"email": "a@example.com", "phone": "+12025550147"}
        )
        assert public.json()["lead_id"] == by_email["lead_id"]
        linking = (
            await client.post(
                "/v1/leads", json={"email": "a@example.com", "phone": "+12025550147"}, headers=AUTH
            )
        ).json()
        assert linking["lead_id"] == by_email["lead_id"]
        later = (await client.post("/v1/leads/landing-page", json={"phone": "(202) 555-0147"})).json()
        assert later["lead_id"] == by_email["lead_id"]
    events = await opened(
        settings.database_url,
        await read_events(settings.kafka_bootstrap_servers, topics.captured, until=lambda e: len(e) >= 6),
    )
    assert {event["type"] for event in events} == {"lead.captured"}, "merges travel on leads.merged"
    merged = await read_to_end(settings.kafka_bootstrap_servers, topics.merged)
    assert len(merged) == 1 and merged[0]["type"] == "lead.merged"
    assert merged[0]["data"]["surviving_lead_id"] == by_email["lead_id"]
    assert merged[0]["data"]["absorbed_lead_id"] == by_phone["lead_id"]
    # Partitions have no order between them: the survivor's newest snapshot is its highest revision.
    survivor = [e["data"]["lead"] for e in events if e["subject"] == by_email["lead_id"]]
    last = max(survivor, key=lambda lead: lead["revision"])
    assert (last["email"], last["phone"], last["first_name"]) == ("a@example.com", "+12025550147", "Ada")


async def test_a_batch_merges_as_if_its_submissions_came_one_by_one(settings, topics):
    """The batch endpoint's items are committed together (group commit): the merges must come
    out as in the one-by-one test above, and the database must say the same."""
    items = [
        {"email": "a@example.com"},
        {"email": "A@EXAMPLE.com", "first_name": "Ada"},
        {"phone": "+12025550147"},
        {"email": "a@example.com", "phone": "+12025550147"},
        {"phone": "(202) 555-0147"},
    ]
    async with capture_in_process(settings) as (client, app):
        response = await client.post("/v1/leads", json={"leads": items}, headers=AUTH)
        assert response.status_code == 202 and response.json()["accepted"] == 5
        ids = [result["lead_id"] for result in response.json()["results"]]
        assert ids[0] == ids[1] == ids[3] == ids[4] != ids[2]
        async with app.state.runtime.engine.connect() as connection:
            rows = {
                str(row.id): row
                for row in await connection.execute(select(leads.c.id, leads.c.merged_into, leads.c.profile))
            }
    assert set(rows) == {ids[0], ids[2]}
    assert str(rows[ids[2]].merged_into) == ids[0] and rows[ids[0]].merged_into is None
    survivor = rows[ids[0]].profile
    assert (survivor["email"], survivor["phone"], survivor["first_name"]) == (
        "a@example.com",
        "+12025550147",
        "Ada",
    )
    captured = await read_events(
        settings.kafka_bootstrap_servers, topics.captured, until=lambda e: len(e) >= 5
    )
    assert len(captured) == 5, "one snapshot per submission; the merge is on leads.merged"
    merges = await read_events(settings.kafka_bootstrap_servers, topics.merged, until=lambda e: len(e) >= 1)
    assert [e["data"]["absorbed_lead_id"] for e in merges] == [ids[2]]


async def test_concurrent_submissions_of_overlapping_people_stay_one_lead_per_person(settings, topics):
    emails = [f"p{n}@example.com" for n in range(5)]
    phones = [f"+1202555{n:04d}" for n in range(5)]
    bodies = [{"email": emails[n % 5], **({"phone": phones[n % 5]} if n % 3 == 0 else {})} for n in range(60)]
    async with capture_in_process(settings, rate_limit=0) as (client, app):
        responses = await asyncio.gather(*(client.post("/v1/leads/landing-page", json=b) for b in bodies))
        assert {r.status_code for r in responses} == {202}
        by_email: dict[str, set] = {}
        for body, response in zip(bodies, responses, strict=True):
            by_email.setdefault(body["email"], set()).add(response.json()["lead_id"])
        assert all(len(ids) == 1 for ids in by_email.values()), by_email
        assert await count(app, leads) == 5 and await count(app, submissions) == 60


async def test_a_repeated_idempotency_key_answers_as_the_first_time_even_concurrently(settings, topics):
    async with capture_in_process(settings) as (client, app):
        headers = {"Idempotency-Key": "form-123"}
        responses = await asyncio.gather(
            *(
                client.post("/v1/leads/landing-page", json={"email": "b@example.com"}, headers=headers)
                for _ in range(8)
            )
        )
        assert {r.status_code for r in responses} == {202}
        assert len({r.json()["submission_id"] for r in responses}) == 1
        assert await count(app, submissions) == 1
    assert len(await read_to_end(settings.kafka_bootstrap_servers, topics.captured)) == 1


@pytest.mark.parametrize(
    ("kwargs", "status", "field"),
    [
        ({"json": {"first_name": "No contact"}}, 422, "email"),
        ({"json": {"email": "bad@", "phone": "12"}}, 422, "phone"),
        (
            {"json": {"email": "a@example.com", "attributes": {f"k{i}": 1 for i in range(60)}}},
            422,
            "attributes",
        ),
        (
            {"content": b"\xff\xfe", "headers": {"content-type": "application/x-www-form-urlencoded"}},
            400,
            None,
        ),
        ({"data": {"email": "a@example.com", "company": "Acme\x00"}}, 422, "company"),
    ],
)
async def test_bad_input_gets_a_problem_naming_the_field_and_stores_nothing(
    settings, topics, kwargs, status, field
):
    async with capture_in_process(settings) as (client, app):
        response = await client.post("/v1/leads/landing-page", **kwargs)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        if field:
            assert field in {f["name"] for f in response.json()["fields"]}
        assert await count(app, leads) == 0


async def test_a_filled_honeypot_answers_202_and_keeps_nothing(settings, topics):
    async with capture_in_process(settings) as (client, app):
        response = await client.post(
            "/v1/leads/landing-page", data={"email": "bot@example.com", "_gotcha": "x"}
        )
        assert response.status_code == 202
        assert await count(app, leads) == 0


async def test_redirect_to_an_allowed_origin_answers_303_and_another_is_not_followed(settings, topics):
    """A visitor's submission is never refused for where it wants to go next: a target on
    another origin is not followed, and the lead is stored all the same."""
    async with capture_in_process(settings, allowed_origins="https://shop.example") as (client, app):
        ok = await client.post(
            "/v1/leads/landing-page",
            data={"email": "a@example.com", "redirect_to": "https://shop.example/thanks"},
        )
        assert ok.status_code == 303 and ok.headers["location"] == "https://shop.example/thanks"
        bad = await client.post(
            "/v1/leads/landing-page", data={"email": "b@example.com", "redirect_to": "https://evil.example/"}
        )
        assert bad.status_code == 202 and "location" not in bad.headers
        assert await count(app, leads) == 2


async def test_api_batch_answers_per_item_and_needs_the_key(settings, topics):
    async with capture_in_process(settings) as (client, app):
        assert (await client.post("/v1/leads", json={"email": "a@example.com"})).status_code == 401
        response = await client.post(
            "/v1/leads",
            headers=AUTH,
            json={
                "leads": [{"email": "a@example.com"}, {"email": "nope"}, {"phone": "+12025550147"}, "text"]
            },
        )
        assert response.status_code == 202
        body = response.json()
        assert (body["accepted"], body["rejected"]) == (2, 2)
        assert body["results"][1]["errors"][0]["name"] == "leads[1].email"
        assert body["results"][3]["errors"] == [{"name": "leads[3]", "message": "must be an object"}]
        assert await count(app, leads) == 2
