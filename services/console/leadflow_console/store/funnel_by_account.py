"""The funnel by account, read from the console's read models: of the people captured in a
period, per account, how many were scored warm or hot, offered to a rep, and won; and how many
accounts reached each stage. Bounded: the totals count every account, the table lists the
LISTED accounts that went furthest."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Subquery

from leadflow_console.store.account_tables import account_views, lead_accounts
from leadflow_console.store.read_tables import lead_views

STAGES = ("captured", "scored", "assigned", "won")
LISTED = 50


@dataclass(frozen=True)
class AccountFunnelRow:
    account_id: uuid.UUID
    name: str | None
    domains: list[str]
    captured: int  # people of the account captured in the period
    scored: int  # of them, scored warm or hot
    assigned: int  # offered to a rep
    won: int

    @property
    def display_name(self) -> str:
        return self.name or (self.domains[0] if self.domains else str(self.account_id))


@dataclass(frozen=True)
class AccountFunnel:
    accounts: dict[str, int]  # stage → accounts with at least one person at it
    rows: list[AccountFunnelRow]


def _per_account(since: datetime, until: datetime) -> Subquery:
    people = lead_views.c
    return (
        select(
            lead_accounts.c.account_id,
            func.count().label("captured"),
            func.count(people.warm_at).label("scored"),
            func.count(people.offered_at).label("assigned"),
            func.count().filter(people.outcome == "won").label("won"),
        )
        .select_from(lead_accounts.join(lead_views, lead_views.c.lead_id == lead_accounts.c.lead_id))
        .where(people.captured_at >= since, people.captured_at < until, people.merged_into.is_(None))
        .group_by(lead_accounts.c.account_id)
        .subquery("per_account")
    )


async def funnel_by_account(connection: AsyncConnection, since: datetime, until: datetime) -> AccountFunnel:
    """Accounts whose people were captured in [since, until), and how far those people went."""
    per = _per_account(since, until)
    reached = select(
        *(func.count().filter(getattr(per.c, stage) > 0).label(stage) for stage in STAGES)
    ).select_from(per)
    counts = (await connection.execute(reached)).one()._mapping
    listed = (
        select(per, account_views.c.name, account_views.c.domains)
        .select_from(per.outerjoin(account_views, account_views.c.account_id == per.c.account_id))
        .order_by(
            per.c.won.desc(),
            per.c.assigned.desc(),
            per.c.scored.desc(),
            per.c.captured.desc(),
            per.c.account_id,
        )
        .limit(LISTED)
    )
    rows = [
        AccountFunnelRow(**{**row._mapping, "domains": row.domains or []})
        for row in await connection.execute(listed)
    ]
    return AccountFunnel({stage: int(counts[stage]) for stage in STAGES}, rows)
