"""The console's SQL: rows in, typed objects out."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy import ColumnElement, RowMapping, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.access import Role
from leadflow_common.credentials_epoch import CURRENT_EPOCH
from leadflow_common.db import lock_keys
from leadflow_common.events import AuditRecorded, CloudEvent
from leadflow_console.domain.tokens import KeyPair
from leadflow_console.store.tables import api_keys, audit_log, login_failures, sessions, signing_keys, users


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    role: Role
    rep_id: uuid.UUID | None
    active: bool
    created_at: datetime
    updated_at: datetime
    password_hash: str


@dataclass(frozen=True)
class ApiKey:
    id: uuid.UUID
    name: str
    digest: str
    scopes: list[str]
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def _user(row: RowMapping) -> User:
    return User(**{**row, "role": Role(row["role"])})


async def count_users(connection: AsyncConnection) -> int:
    return await connection.scalar(select(func.count()).select_from(users)) or 0


async def insert_user(connection: AsyncConnection, **values: object) -> User:
    row = (await connection.execute(insert(users).values(**values).returning(*users.c))).one()
    return _user(row._mapping)


async def user_by_email(connection: AsyncConnection, email: str) -> User | None:
    if "\x00" in email:
        return None  # no stored email holds one (PostgreSQL text cannot): an unknown account
    row = (await connection.execute(select(users).where(users.c.email == email))).one_or_none()
    return _user(row._mapping) if row else None


async def user_by_id(connection: AsyncConnection, user_id: uuid.UUID, *, lock: bool = False) -> User | None:
    query = select(users).where(users.c.id == user_id)
    row = (await connection.execute(query.with_for_update() if lock else query)).one_or_none()
    return _user(row._mapping) if row else None


async def lock_active_admins(connection: AsyncConnection) -> set[uuid.UUID]:
    """The active admins, locked (in id order) until the transaction ends: two admins demoting
    each other at once are served one after the other, so one of them stays."""
    query = select(users.c.id).where(users.c.role == "admin", users.c.active).order_by(users.c.id)
    return {row.id for row in await connection.execute(query.with_for_update())}


async def lock_rep_accounts(connection: AsyncConnection, rep_id: uuid.UUID) -> list[User]:
    """The active accounts working as this rep record, with the record's accounts serialized
    until the transaction ends: two admins linking two accounts to one rep at once are served
    one after the other, so the second sees the first's account."""
    await lock_keys(connection, [f"console:rep-account:{rep_id}"])
    query = select(users).where(users.c.rep_id == rep_id, users.c.active).order_by(users.c.created_at)
    return [_user(row._mapping) for row in await connection.execute(query)]


async def list_users(connection: AsyncConnection) -> list[User]:
    return [
        _user(row._mapping) for row in await connection.execute(select(users).order_by(users.c.created_at))
    ]


async def update_user(connection: AsyncConnection, user_id: uuid.UUID, **values: object) -> User:
    query = update(users).where(users.c.id == user_id).values(**values, updated_at=func.now())
    return _user((await connection.execute(query.returning(*users.c))).one()._mapping)


async def insert_session(
    connection: AsyncConnection, session_id: str, user_id: uuid.UUID, expires_at: datetime
) -> None:
    await connection.execute(insert(sessions).values(id=session_id, user_id=user_id, expires_at=expires_at))


async def revoke_sessions(
    connection: AsyncConnection,
    now: datetime,
    *,
    user_id: uuid.UUID | None = None,
    session_id: str | None = None,
) -> None:
    which = sessions.c.user_id == user_id if user_id else sessions.c.id == session_id
    live = and_(which, sessions.c.revoked_at.is_(None), sessions.c.expires_at > now)
    await connection.execute(update(sessions).where(live).values(revoked_at=now))


async def revoked_live_sessions(connection: AsyncConnection, now: datetime) -> list[str]:
    """Sessions ended before their tokens expire: the only ones services need to know."""
    query = select(sessions.c.id).where(sessions.c.revoked_at.is_not(None), sessions.c.expires_at > now)
    return list(await connection.scalars(query))


async def credentials_epoch(connection: AsyncConnection) -> int:
    """The credentials' epoch (console migration 0005 bumps it with every change)."""
    epoch = await connection.scalar(CURRENT_EPOCH)
    if epoch is None:
        raise LookupError("the credentials' epoch row is missing")
    return int(epoch)


async def insert_key(connection: AsyncConnection, **values: object) -> ApiKey:
    row = (await connection.execute(insert(api_keys).values(**values).returning(*api_keys.c))).one()
    return ApiKey(**row._mapping)


async def live_key_named(connection: AsyncConnection, name: str, now: datetime) -> bool:
    alive = or_(api_keys.c.expires_at.is_(None), api_keys.c.expires_at > now)
    named = func.lower(api_keys.c.name) == name.lower()
    return bool(
        await connection.scalar(select(api_keys.c.id).where(named, api_keys.c.revoked_at.is_(None), alive))
    )


async def list_keys(connection: AsyncConnection) -> list[ApiKey]:
    rows = await connection.execute(select(api_keys).order_by(api_keys.c.created_at))
    return [ApiKey(**row._mapping) for row in rows]


async def revoke_key(connection: AsyncConnection, key_id: uuid.UUID, now: datetime) -> ApiKey | None:
    query = (
        update(api_keys)
        .where(api_keys.c.id == key_id)
        .values(revoked_at=func.coalesce(api_keys.c.revoked_at, now))
        .returning(*api_keys.c)
    )
    row = (await connection.execute(query)).one_or_none()
    return ApiKey(**row._mapping) if row else None


async def live_keys(connection: AsyncConnection, now: datetime) -> list[ApiKey]:
    alive = and_(
        api_keys.c.revoked_at.is_(None), or_(api_keys.c.expires_at.is_(None), api_keys.c.expires_at > now)
    )
    return [ApiKey(**row._mapping) for row in await connection.execute(select(api_keys).where(alive))]


async def record_key_uses(connection: AsyncConnection, uses: dict[uuid.UUID, datetime]) -> None:
    for key_id, at in sorted(uses.items()):
        used = func.greatest(func.coalesce(api_keys.c.last_used_at, at), at)
        await connection.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=used))


async def signing_key(connection: AsyncConnection) -> KeyPair | None:
    query = select(signing_keys).order_by(signing_keys.c.created_at.desc()).limit(1)
    row = (await connection.execute(query)).one_or_none()
    return KeyPair(row.kid, row.private_key_pem, row.public_key_pem) if row else None


async def all_signing_keys(connection: AsyncConnection) -> list[KeyPair]:
    rows = await connection.execute(select(signing_keys))
    return [KeyPair(row.kid, row.private_key_pem, row.public_key_pem) for row in rows]


async def insert_signing_key(connection: AsyncConnection, key: KeyPair) -> None:
    await connection.execute(insert(signing_keys).values(**key.__dict__))


async def recent_failures(
    connection: AsyncConnection, subjects: list[str], since: datetime
) -> dict[str, list[datetime]]:
    query = select(login_failures.c.subject, login_failures.c.at).where(
        login_failures.c.subject.in_(subjects), login_failures.c.at > since
    )
    found: dict[str, list[datetime]] = {subject: [] for subject in subjects}
    for row in await connection.execute(query):
        found[row.subject].append(row.at)
    return found


async def record_failure(connection: AsyncConnection, subjects: list[str], now: datetime) -> None:
    await connection.execute(insert(login_failures), [{"subject": s, "at": now} for s in subjects])


async def forget_failures(
    connection: AsyncConnection, subject: str, *, before: datetime | None = None
) -> None:
    which = login_failures.c.subject == subject if before is None else login_failures.c.at < before
    await connection.execute(delete(login_failures).where(which))


async def insert_audit_entries(connection: AsyncConnection, events: list[CloudEvent[AuditRecorded]]) -> None:
    rows = [
        {"event_id": event.id, "at": event.time, **event.data.model_dump(include=AUDIT_FIELDS)}
        for event in events
    ]
    await connection.execute(pg_insert(audit_log).on_conflict_do_nothing(index_elements=["event_id"]), rows)


AUDIT_FIELDS = {"actor", "action", "target_type", "target_id", "service", "outcome", "details"}


class AuditFilters(TypedDict):
    actor: str | None
    action: str | None
    since: datetime | None
    until: datetime | None
    before_id: int | None
    limit: int


async def audit_entries(
    connection: AsyncConnection,
    *,
    actor: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[RowMapping]:
    """Newest first (each entry's columns by name); `before_id` pages on (a cursor stable while
    new entries arrive)."""
    conditions: list[ColumnElement[bool]] = []
    if actor is not None:
        conditions.append(audit_log.c.actor == actor)
    if action is not None:
        conditions.append(audit_log.c.action == action)
    if since is not None:
        conditions.append(audit_log.c.at >= since)
    if until is not None:
        conditions.append(audit_log.c.at < until)
    if before_id is not None:
        conditions.append(audit_log.c.id < before_id)
    query = select(audit_log).where(*conditions).order_by(audit_log.c.id.desc()).limit(limit)
    return list((await connection.execute(query)).mappings())
