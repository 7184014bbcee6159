"""Scoring's versioned documents in SQL: rules versions and learned models (which one is in use)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_scoring.store.tables import models, rule_versions


async def newest_rules(connection: AsyncConnection) -> int:
    """The newest version stored (0: none), held until the transaction ends: no other can be
    added meanwhile."""
    await connection.execute(text("LOCK TABLE scoring.rule_versions IN EXCLUSIVE MODE"))
    return await newest_rules_stored(connection)


async def newest_rules_stored(connection: AsyncConnection) -> int:
    """The newest version stored (0: none), as it is now."""
    return await connection.scalar(select(func.coalesce(func.max(rule_versions.c.version), 0))) or 0


async def add_rules(connection: AsyncConnection, document: dict[str, object], now: datetime) -> int:
    """Store a new rules version (serialised: two concurrent PUTs get two versions)."""
    version = await newest_rules(connection) + 1
    await connection.execute(insert(rule_versions).values(version=version, document=document, created_at=now))
    return version


@dataclass(frozen=True)
class TrainedModel:
    """A learned model as listed: without its blob."""

    version: int
    in_use: bool
    trained_at: datetime
    outcomes: int
    metrics: dict[str, object]


@dataclass(frozen=True)
class ModelInUse(TrainedModel):
    blob: bytes


async def model_in_use(connection: AsyncConnection) -> ModelInUse | None:
    row = (await connection.execute(select(models).where(models.c.in_use))).first()
    if row is None:
        return None
    return ModelInUse(row.version, row.in_use, row.trained_at, row.outcomes, row.metrics, row.blob)


async def recent_models(connection: AsyncConnection, limit: int = 20) -> list[TrainedModel]:
    """The latest trained models, newest first, without their blobs."""
    columns = (models.c.version, models.c.in_use, models.c.trained_at, models.c.outcomes, models.c.metrics)
    rows = await connection.execute(select(*columns).order_by(models.c.version.desc()).limit(limit))
    return [TrainedModel(row.version, row.in_use, row.trained_at, row.outcomes, row.metrics) for row in rows]


async def add_model(
    connection: AsyncConnection,
    *,
    blob: bytes,
    metrics: dict[str, object],
    outcome_count: int,
    in_use: bool,
    now: datetime,
) -> int:
    if in_use:
        await connection.execute(update(models).where(models.c.in_use).values(in_use=False))
    version: int = await connection.scalar(
        insert(models)
        .values(blob=blob, metrics=metrics, outcomes=outcome_count, in_use=in_use, trained_at=now)
        .returning(models.c.version)
    )
    return version


async def latest_rules_version(connection: AsyncConnection) -> int | None:
    """The newest stored version's number (what every process compares with, every few seconds)."""
    newest: int | None = await connection.scalar(select(func.max(rule_versions.c.version)))
    return newest


async def rules_newest_first(connection: AsyncConnection, limit: int) -> list[tuple[int, dict[str, object]]]:
    rows = await connection.execute(
        select(rule_versions.c.version, rule_versions.c.document)
        .order_by(rule_versions.c.version.desc())
        .limit(limit)
    )
    return [(row.version, row.document) for row in rows]
