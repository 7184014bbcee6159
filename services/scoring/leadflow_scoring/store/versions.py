"""Scoring's versioned documents in SQL: rules versions and learned models (which one is in use)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_scoring.store.tables import models, rule_versions


async def add_rules(connection: AsyncConnection, document: dict, now: datetime) -> int:
    """Store a new rules version (serialised: two concurrent PUTs get two versions)."""
    await connection.execute(text("LOCK TABLE scoring.rule_versions IN EXCLUSIVE MODE"))
    version = (await connection.scalar(select(func.coalesce(func.max(rule_versions.c.version), 0)))) + 1
    await connection.execute(insert(rule_versions).values(version=version, document=document, created_at=now))
    return version


async def model_in_use(connection: AsyncConnection) -> Row | None:
    return (await connection.execute(select(models).where(models.c.in_use))).first()


@dataclass(frozen=True)
class TrainedModel:
    """A learned model as listed: without its blob."""

    version: int
    in_use: bool
    trained_at: datetime
    outcomes: int
    metrics: dict[str, object]


async def recent_models(connection: AsyncConnection, limit: int = 20) -> list[TrainedModel]:
    """The latest trained models, newest first, without their blobs."""
    columns = (models.c.version, models.c.in_use, models.c.trained_at, models.c.outcomes, models.c.metrics)
    rows = await connection.execute(select(*columns).order_by(models.c.version.desc()).limit(limit))
    return [TrainedModel(row.version, row.in_use, row.trained_at, row.outcomes, row.metrics) for row in rows]


async def add_model(
    connection: AsyncConnection,
    *,
    blob: bytes,
    metrics: dict,
    outcome_count: int,
    in_use: bool,
    now: datetime,
) -> int:
    if in_use:
        await connection.execute(update(models).where(models.c.in_use).values(in_use=False))
    return await connection.scalar(
        insert(models)
        .values(blob=blob, metrics=metrics, outcomes=outcome_count, in_use=in_use, trained_at=now)
        .returning(models.c.version)
    )


async def latest_rules_version(connection: AsyncConnection) -> int | None:
    """The newest stored version's number (what every process compares with, every few seconds)."""
    return await connection.scalar(select(func.max(rule_versions.c.version)))


async def rules_newest_first(connection: AsyncConnection, limit: int) -> list[tuple[int, dict]]:
    rows = await connection.execute(
        select(rule_versions.c.version, rule_versions.c.document)
        .order_by(rule_versions.c.version.desc())
        .limit(limit)
    )
    return [(row.version, row.document) for row in rows]
