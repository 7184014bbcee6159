"""The notices' and reps' channels' SQL."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, Update, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import any_param, claimed_once, constant
from leadflow_common.driver import Prepared
from leadflow_webhooks.domain.status import NoticeStatus
from leadflow_webhooks.store.tables import notices, rep_channels

# The partial index on pending notices serves only queries naming the status as a constant.
PENDING = constant(NoticeStatus.pending)


@dataclass(frozen=True)
class Notice:
    id: uuid.UUID
    kind: str
    assignment_id: uuid.UUID
    rep_id: uuid.UUID
    event: str
    status: NoticeStatus
    attempts: int
    due_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    def __post_init__(self) -> None:  # a row's status is its value: the member, from here on
        object.__setattr__(self, "status", NoticeStatus(self.status))


@dataclass(frozen=True)
class Channels:
    rep_id: uuid.UUID
    email: bool = True
    slack_url: str | None = None


async def add_notices(connection: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        statement = insert(notices).on_conflict_do_nothing(index_elements=["kind", "assignment_id", "rep_id"])
        await connection.execute(statement, rows)


def _claim() -> Update:
    """Due notices leased, each with its rep's channels: built once (`now`, `lease_until` and
    `limit` are parameters)."""
    picked = claimed_once(
        select(notices.c.id)
        .where(notices.c.status == PENDING, notices.c.due_at <= bindparam("now"))
        .order_by(notices.c.due_at)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True)
    )
    of_rep = rep_channels.c.rep_id == notices.c.rep_id
    email = select(rep_channels.c.email).where(of_rep).correlate(notices).scalar_subquery()
    slack_url = select(rep_channels.c.slack_url).where(of_rep).correlate(notices).scalar_subquery()
    return (
        update(notices)
        .where(notices.c.id == picked.c.id)
        .values(due_at=bindparam("lease_until", type_=notices.c.due_at.type))
        .returning(*notices.c, email.label("channel_email"), slack_url.label("channel_slack_url"))
    )


CLAIM = _claim()
NOTICE_COLUMNS = tuple(notices.c.keys())


async def claim_due(
    connection: AsyncConnection, now: datetime, lease_until: datetime, limit: int
) -> list[tuple[Notice, Channels]]:
    """At most `limit` due notices, leased, each with its rep's channels (read by the same
    statement; a rep who never set any has the default, mail)."""
    rows = await connection.execute(CLAIM, {"now": now, "lease_until": lease_until, "limit": limit})
    split = len(NOTICE_COLUMNS)
    claimed = []
    for row in rows:
        notice = Notice(**dict(zip(NOTICE_COLUMNS, row[:split], strict=True)))
        email_on, slack = row[split:]
        channels = Channels(notice.rep_id, True if email_on is None else email_on, slack)
        claimed.append((notice, channels))
    return claimed


async def next_due(connection: AsyncConnection, now: datetime) -> datetime | None:
    """When the next pending notice comes due (a reminder, a retry, a lease ending)."""
    query = select(func.min(notices.c.due_at)).where(notices.c.status == PENDING, notices.c.due_at > now)
    return await connection.scalar(query)


async def finish(connection: AsyncConnection, outcomes: list[dict]) -> None:
    """Each notice's new state, in one statement sent for all (each dict: `notice_id` and the
    same columns to set)."""
    if outcomes:
        await connection.execute(update(notices).where(notices.c.id == bindparam("notice_id")), outcomes)


async def channels_of(connection: AsyncConnection, rep_id: uuid.UUID) -> Channels:
    row = (
        await connection.execute(select(rep_channels).where(rep_channels.c.rep_id == rep_id))
    ).one_or_none()
    return Channels(rep_id, row.email, row.slack_url) if row else Channels(rep_id)


CHANNELS_OF = Prepared(select(rep_channels).where(any_param(rep_channels.c.rep_id, "ids")))


async def channels_for(connection: AsyncConnection, rep_ids: set[uuid.UUID]) -> dict[uuid.UUID, Channels]:
    """Each rep's channels; a rep who never set any has the default (mail)."""
    rows = await CHANNELS_OF.fetch(connection, {"ids": list(rep_ids)})
    found = {row.rep_id: Channels(row.rep_id, row.email, row.slack_url) for row in rows}
    return {rep_id: found.get(rep_id, Channels(rep_id)) for rep_id in rep_ids}


async def reps_with_channels(
    connection: AsyncConnection, rep_ids: set[uuid.UUID], mail: bool
) -> set[uuid.UUID]:
    """Of these reps, those who can be told: by mail (when the service sends mail, and they did
    not turn it off; the default) or by Slack."""
    channels = await channels_for(connection, rep_ids)
    return {rep_id for rep_id, of_rep in channels.items() if (of_rep.email and mail) or of_rep.slack_url}


async def set_channels(connection: AsyncConnection, channels: Channels, now: datetime) -> None:
    values = {"email": channels.email, "slack_url": channels.slack_url, "updated_at": now}
    statement = insert(rep_channels).values(rep_id=channels.rep_id, **values)
    await connection.execute(statement.on_conflict_do_update(index_elements=["rep_id"], set_=values))
