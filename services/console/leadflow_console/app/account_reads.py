"""The console's B2B accounts as use cases: kept from the topics with the other read models
(read_model.py calls `apply`), read by the account pages."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import snapshot
from leadflow_common.events import CloudEvent
from leadflow_common.runtime import ServiceRuntime
from leadflow_console.domain.account_projection import fold_accounts, touched
from leadflow_console.store import account_queries
from leadflow_console.store.account_queries import AccountEntry, AccountView, Person
from leadflow_console.store.account_read_writes import apply_accounts
from leadflow_console.store.funnel_by_account import LISTED as FUNNEL_LISTED
from leadflow_console.store.funnel_by_account import STAGES as FUNNEL_STAGES
from leadflow_console.store.funnel_by_account import AccountFunnel, funnel_by_account

HOT_WEEK = timedelta(days=7)
__all__ = ["FUNNEL_LISTED", "FUNNEL_STAGES", "AccountPage", "AccountReads", "apply"]


async def apply(connection: AsyncConnection, events: list[CloudEvent]) -> set[uuid.UUID]:
    """The account events of a batch the read model consumes, in its unit of work (after the
    leads' own rows); the accounts whose page the batch changed, for the live pages."""
    await apply_accounts(connection, fold_accounts(events))
    accounts, leads = touched(events)
    return accounts | await account_queries.accounts_of_leads(connection, leads)


@dataclass(frozen=True)
class AccountPage:
    account: AccountView
    people: list[Person]
    hidden: int  # people of the account the viewer may not see
    timeline: list[AccountEntry]


class AccountReads:
    def __init__(self, runtime: ServiceRuntime):
        self._runtime = runtime

    async def page(self, account_id: uuid.UUID, only_rep: uuid.UUID | None) -> AccountPage | None:
        """The account with the people the viewer may see (a rep: their own leads) and the
        timeline across those people, from one moment; None when it is unknown."""
        async with snapshot(self._runtime.engine) as connection:
            found = await account_queries.account(connection, account_id)
            if found is None:
                return None
            people = await account_queries.people(connection, account_id, only_rep)
            everyone = await account_queries.count_people(connection, account_id)
            timeline = await account_queries.timeline(connection, [person.lead_id for person in people])
        return AccountPage(found, people, max(everyone - len(people), 0), timeline)

    async def hot_this_week(self) -> list[AccountView]:
        async with self._runtime.engine.connect() as connection:
            return await account_queries.turned_hot_since(connection, datetime.now(UTC) - HOT_WEEK)

    async def search(self, words: str) -> list[AccountView]:
        async with self._runtime.engine.connect() as connection:
            return await account_queries.search(connection, words)

    async def of_lead(self, lead_id: uuid.UUID) -> AccountView | None:
        async with self._runtime.engine.connect() as connection:
            return await account_queries.account_of_lead(connection, lead_id)

    async def funnel(self, since: datetime, until: datetime) -> AccountFunnel:
        """The funnel by account for people captured in [since, until) (marketers): its stage
        counts and its rows from one moment."""
        async with snapshot(self._runtime.engine) as connection:
            return await funnel_by_account(connection, since, until)
