"""What a chaos run checks once the faults are over: every accepted lead counted in each
service's tables, and the dead-letter topics empty."""

from aiokafka import AIOKafkaConsumer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from leadflow_cli import chaos_handoff
from leadflow_common.topics import Topics

QUERIES = {
    "submissions": "SELECT count(*) FROM capture.submissions WHERE id = ANY(CAST(:ids AS uuid[]))",
    "leads": "SELECT count(*) FROM capture.leads WHERE id = ANY(CAST(:leads AS uuid[]))",
    "scored": "SELECT count(*) FROM scoring.scores WHERE lead_id = ANY(CAST(:leads AS uuid[]))",
    "assigned": "SELECT count(DISTINCT lead_id) FROM routing.assignments"
    " WHERE status IN ('offered', 'accepted')"
    " AND lead_id = ANY(CAST(:leads AS uuid[]))",
    "open_assignments": "SELECT count(*) FROM routing.assignments WHERE status IN ('offered', 'accepted')"
    " AND lead_id = ANY(CAST(:leads AS uuid[]))",
    "reassigned": "SELECT count(*) FROM routing.assignments WHERE status = 'reassigned'"
    " AND lead_id = ANY(CAST(:leads AS uuid[]))",
    "over_capacity": "SELECT count(*) FROM (SELECT r.id FROM routing.reps r JOIN routing.assignments a"
    " ON a.rep_id = r.id AND a.status IN ('offered','accepted') GROUP BY r.id, r.capacity"
    " HAVING count(*) > r.capacity) over",
    "two_reps": "SELECT count(*) FROM (SELECT lead_id FROM routing.assignments WHERE status IN"
    " ('offered','accepted','nurtured','waiting') GROUP BY lead_id HAVING count(*) > 1) doubled",
}


async def counts(database_url: str, accepted: list[dict]) -> dict:
    engine = create_async_engine(database_url)
    params = {"ids": [a["submission_id"] for a in accepted], "leads": [a["lead_id"] for a in accepted]}
    try:
        async with engine.connect() as connection:
            queries = {**QUERIES, **chaos_handoff.QUERIES}
            return {name: await connection.scalar(text(sql), params) for name, sql in queries.items()}
    finally:
        await engine.dispose()


async def dead_letters(bootstrap: str, topics: Topics) -> dict:
    from aiokafka import TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        result = {}
        for topic in topics.main_topics():
            await consumer.topics()  # loads partition metadata
            dlq = f"{topic}.dlq"
            partitions = [TopicPartition(dlq, p) for p in consumer.partitions_for_topic(dlq) or ()]
            result[dlq] = sum((await consumer.end_offsets(partitions)).values())
        return result
    finally:
        await consumer.stop()


async def submission_ids(database_url: str, lead_ids: list[str]) -> list[dict]:
    """The accepted submissions (one per lead: every posted lead is a different person)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT id, lead_id FROM capture.submissions WHERE lead_id = ANY(CAST(:leads AS uuid[]))"
                ),
                {"leads": lead_ids},
            )
            found = {str(row.lead_id): str(row.id) for row in rows}
    finally:
        await engine.dispose()
    return [{"lead_id": lead_id, "submission_id": found.get(lead_id, str(lead_id))} for lead_id in lead_ids]


def passed(settled: dict, accepted: int) -> bool:
    """Every accepted lead stored, scored and assigned once, no rep over capacity, no dead letter,
    every decision one webhook delivery."""
    return (
        settled["submissions"]
        == settled["leads"]
        == settled["scored"]
        == settled["assigned"]
        == settled["open_assignments"]
        == accepted
        and settled["over_capacity"] == 0
        and settled["two_reps"] == 0
        and not any(settled["dead_letters"].values())
        and chaos_handoff.passed(settled, accepted)
    )
