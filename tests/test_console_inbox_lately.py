"""The inbox's "Lately" against real PostgreSQL: a lead that left a rep twice (offered to her
again after its wait, and run out again) is listed once, as it last left her (it was listed at
each, using up the list's ten places), and her open page of it reads how from the same query."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from leadflow_common.db import create_engine
from leadflow_console.store import inbox_queries
from leadflow_console.store.read_tables import decisions, lead_views

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
SOFIA, JUN = uuid.uuid4(), uuid.uuid4()


def left(lead_id: uuid.UUID, rep_id: uuid.UUID, status: str, minutes_ago: int) -> dict:
    at = NOW - timedelta(minutes=minutes_ago)
    return {
        "assignment_id": uuid.uuid4(),
        "event_id": str(uuid.uuid4()),
        "type": "lead.routed",
        "at": at,
        "lead_id": lead_id,
        "rep_id": rep_id,
        "temperature": "hot",
        "score": 80.0,
        "reason": "test",
        "status": status,
        "acted_at": at,
    }


async def test_a_lead_that_left_a_rep_twice_is_listed_once_as_it_last_left(database_url):
    engine = create_engine(database_url, application_name="test")
    ada, grace = uuid.uuid4(), uuid.uuid4()
    try:
        async with engine.begin() as connection:
            for lead_id, name in ((ada, "Ada"), (grace, "Grace")):
                row = {"lead_id": lead_id, "profile": {"first_name": name}, "assignment_status": "waiting"}
                await connection.execute(insert(lead_views).values(**row))
            await connection.execute(
                insert(decisions),
                [
                    left(ada, SOFIA, "moved on", 30),
                    left(grace, SOFIA, "rejected", 20),
                    left(ada, SOFIA, "moved on", 5),  # offered to her again, run out again
                    left(ada, JUN, "rejected", 1),  # another rep's: not hers
                ],
            )
        since = NOW - timedelta(hours=24)
        async with engine.connect() as connection:
            lately = await inbox_queries.left_recently(connection, SOFIA, since, 10)
            only_ada = await inbox_queries.left_recently(connection, SOFIA, since, 1, ada)
            never_hers = await inbox_queries.left_recently(connection, JUN, since, 1, grace)
        assert [(lead.display_name, lead.how) for lead in lately] == [
            ("Ada", "moved on"),
            ("Grace", "rejected"),
        ]
        assert lately[0].at == NOW - timedelta(minutes=5), "as it last left her"
        assert [(lead.lead_id, lead.now_status) for lead in only_ada] == [(ada, "waiting")]
        assert never_hers == []
    finally:
        await engine.dispose()
