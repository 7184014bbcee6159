"""The read model's lead rows against real PostgreSQL: a lead's profile, score and current
assignment are written as one row per batch, each part guarded as before — an older part arriving
after a newer one leaves the newer in place, a part a batch does not carry leaves the stored one,
the first times warm and hot come from every score, and the first offer is kept."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from leadflow_common.db import create_engine
from leadflow_console.domain.projection import Changes
from leadflow_console.store import read_writes
from leadflow_console.store.read_tables import lead_views

pytestmark = pytest.mark.integration
T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
ADA, GRACE = uuid.uuid4(), uuid.uuid4()


def profile(lead: uuid.UUID, revision: int, name: str) -> dict:
    return {
        "lead_id": lead,
        "revision": revision,
        "profile": {"first_name": name},
        "email": f"{name}@example.com",
        "phone": None,
        "name": name,
        "company": None,
        "channel": "popup",
        "source": None,
        "campaign": None,
        "segment": None,
        "captured_at": T0,
    }


def score(lead: uuid.UUID, revision: int, value: float, temperature: str, at: datetime) -> dict:
    return {
        "lead_id": lead,
        "score_revision": revision,
        "score": value,
        "temperature": temperature,
        "reasons": [],
        "warm_at": at if temperature != "cold" else None,
        "hot_at": at if temperature == "hot" else None,
    }


def decision(lead: uuid.UUID, rep: uuid.UUID | None, at: datetime) -> dict:
    return {
        "lead_id": lead,
        "decided_at": at,
        "assignment_id": uuid.uuid4(),
        "assignment_status": "offered" if rep else "waiting",
        "rep_id": rep,
        "rep_name": "Ada" if rep == ADA else "Grace" if rep else None,
        "tier": "senior" if rep else None,
        "sla_deadline": None,
        "offered_at": at if rep else None,
    }


async def test_a_leads_parts_are_one_row_each_guarded_as_before(database_url):
    engine = create_engine(database_url, application_name="test")
    lead, alone = uuid.uuid4(), uuid.uuid4()

    async def apply(**parts: dict) -> None:
        changes = Changes()
        for kind, rows in parts.items():
            getattr(changes, kind).update({row["lead_id"]: row for row in rows})
        async with engine.begin() as connection:
            await read_writes.apply(connection, changes)

    async def row(lead_id: uuid.UUID):
        async with engine.connect() as connection:
            return (await connection.execute(select(lead_views).where(lead_views.c.lead_id == lead_id))).one()

    try:
        # One batch carries all three parts of a lead; another lead has only its decision.
        await apply(
            profiles=[profile(lead, 2, "ann")],
            scores=[score(lead, 3, 55, "warm", T0 + timedelta(minutes=3))],
            assignments=[decision(lead, ADA, T0 + timedelta(minutes=4)), decision(alone, None, T0)],
        )
        first = await row(lead)
        assert (first.revision, first.name, first.score_revision, first.score) == (2, "ann", 3, 55)
        assert (first.rep_id, first.offered_at) == (ADA, T0 + timedelta(minutes=4))
        waiting = await row(alone)
        assert (waiting.revision, waiting.score_revision, waiting.assignment_status) == (0, 0, "waiting")

        # Older parts, late: none replaces the newer; the older score's hot time still counts.
        await apply(
            profiles=[profile(lead, 1, "old")],
            scores=[score(lead, 2, 80, "hot", T0 + timedelta(minutes=2))],
            assignments=[decision(lead, GRACE, T0 + timedelta(minutes=1))],
        )
        late = await row(lead)
        assert (late.revision, late.name, late.score, late.temperature) == (2, "ann", 55, "warm")
        assert (late.rep_id, late.decided_at) == (ADA, T0 + timedelta(minutes=4))
        assert (late.warm_at, late.hot_at) == (T0 + timedelta(minutes=2), T0 + timedelta(minutes=2))

        # A batch with only a newer score and a newer offer: the profile stays, the first offer is kept.
        await apply(
            scores=[score(lead, 4, 90, "hot", T0 + timedelta(minutes=5))],
            assignments=[decision(lead, GRACE, T0 + timedelta(minutes=6))],
        )
        last = await row(lead)
        assert (last.revision, last.name, last.email) == (2, "ann", "ann@example.com")
        assert (last.score_revision, last.score, last.hot_at) == (4, 90, T0 + timedelta(minutes=2))
        assert (last.rep_id, last.rep_name, last.offered_at) == (GRACE, "Grace", T0 + timedelta(minutes=4))
    finally:
        await engine.dispose()
