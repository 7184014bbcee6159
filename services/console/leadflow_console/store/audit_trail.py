"""The audit trail as a person reads it: the actor as the account's email or the key's name, the
target by name (an account's email, a key's name, a lead's name from the read model, an
assignment by its lead's name), each looked up in the same statement; ids stay where nothing
names them (an erased lead, a deleted account). The entries themselves keep ids only."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, RowMapping, case, cast, func, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_console.store.read_queries import display_name
from leadflow_console.store.read_tables import decisions, lead_views
from leadflow_console.store.tables import api_keys, audit_log, users


@dataclass(frozen=True)
class NamedEntry:
    id: int
    at: datetime
    actor: str
    actor_name: str | None  # the account's email or the key's name
    actor_kind: str  # user, key, or what the actor is (bootstrap, anonymous)
    action: str
    target_type: str | None
    target_id: str | None
    target_name: str | None
    target_lead: uuid.UUID | None  # the lead the target is or is an assignment of, when it has a name
    service: str
    outcome: str
    details: dict[str, object]

    @property
    def target_link(self) -> str | None:
        return f"/leads/{self.target_lead}" if self.target_lead else None


def _id_after(column: ColumnElement[str], prefix: str) -> ColumnElement[uuid.UUID]:
    """The uuid after `prefix` in the column, or NULL: compared with a key, so its index is used."""
    return case((column.like(f"{prefix}%"), cast(func.substr(column, len(prefix) + 1), UUID)))


def _target(kind: str) -> ColumnElement[uuid.UUID]:
    return case((audit_log.c.target_type == kind, cast(audit_log.c.target_id, UUID)))


async def actor_of(connection: AsyncConnection, who: str) -> str | None:
    """The audit actor a person means: an account by its email, a key by its name, or an actor
    written as the trail writes it (`bootstrap`, `user:<id>`); None when nothing is known by it."""
    who = who.strip()
    if who in ("bootstrap", "anonymous") or who.startswith(("user:", "key:")):
        return who
    if "@" in who:
        found = await connection.scalar(select(users.c.id).where(users.c.email == who.lower()))
        return f"user:{found}" if found else None
    # A live key's name is its own; a revoked one may share it: the live one first, then the newest.
    named = select(api_keys.c.id).where(func.lower(api_keys.c.name) == who.lower())
    order = (api_keys.c.revoked_at.is_(None).desc(), api_keys.c.created_at.desc())
    found = await connection.scalar(named.order_by(*order).limit(1))
    return f"key:{found}" if found else None


async def named_entries(
    connection: AsyncConnection,
    *,
    actor: str | None,
    action: str | None,
    before_id: int | None = None,
    limit: int = 200,
) -> list[NamedEntry]:
    """The newest `limit` entries by time (those after the entry `before_id`: the next page)."""
    actor_user, actor_key = users.alias("actor_user"), api_keys.alias("actor_key")
    target_user, target_key = users.alias("target_user"), api_keys.alias("target_key")
    lead = lead_views.alias("target_lead")
    target_lead = func.coalesce(_target("lead"), decisions.c.lead_id)
    query = (
        select(
            audit_log,
            func.coalesce(actor_user.c.email, actor_key.c.name).label("actor_name"),
            target_user.c.email.label("target_email"),
            target_key.c.name.label("target_key_name"),
            lead.c.lead_id.label("target_lead"),
            lead.c.profile.label("target_profile"),
        )
        .outerjoin(actor_user, actor_user.c.id == _id_after(audit_log.c.actor, "user:"))
        .outerjoin(actor_key, actor_key.c.id == _id_after(audit_log.c.actor, "key:"))
        .outerjoin(target_user, target_user.c.id == _target("user"))
        .outerjoin(target_key, target_key.c.id == _target("key"))
        .outerjoin(decisions, decisions.c.assignment_id == _target("assignment"))
        .outerjoin(lead, lead.c.lead_id == target_lead)
        # By when it happened: entries of several services arrive out of order (an admin's
        # revoke was filed after the keys made a second later), and the trail reads by time.
        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .limit(limit)
    )
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    if before_id is not None:  # after the last entry shown, in the same order
        at = await connection.scalar(select(audit_log.c.at).where(audit_log.c.id == before_id))
        if at is not None:
            earlier = (audit_log.c.at == at) & (audit_log.c.id < before_id)
            query = query.where((audit_log.c.at < at) | earlier)
    return [_named(row) for row in (await connection.execute(query)).mappings()]


def _named(row: RowMapping) -> NamedEntry:
    return NamedEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        actor_name=row["actor_name"],
        actor_kind=row["actor"].split(":", 1)[0],
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        target_name=row["target_email"] or row["target_key_name"] or lead_name(row["target_profile"]),
        target_lead=row["target_lead"] if lead_name(row["target_profile"]) else None,
        service=row["service"],
        outcome=row["outcome"],
        details=row["details"],
    )


def lead_name(profile: Mapping[str, object] | None) -> str | None:
    """The person's name, or their email or phone, as captured; None once erased or never captured."""
    return display_name(profile) or None
