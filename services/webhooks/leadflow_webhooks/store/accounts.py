"""The webhooks service's SQL for B2B accounts: owners, and who the people of an account are."""

import uuid
from datetime import datetime

from sqlalchemy import null, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import any_of
from leadflow_common.driver import Prepared
from leadflow_common.events import RepRef
from leadflow_webhooks.store.tables import account_owners, account_people


async def record_owner(
    connection: AsyncConnection, account_id: uuid.UUID, owner: RepRef | None, at: datetime
) -> None:
    """The account's owner as of `at`; an older change arriving late changes nothing. Nobody
    is SQL NULL (a JSONB column would store Python's None as JSON `null`)."""
    document = owner.model_dump(mode="json") if owner else null()
    statement = insert(account_owners).values(account_id=account_id, owner=document, at=at)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[account_owners.c.account_id],
            set_={"owner": statement.excluded.owner, "at": at},
            where=account_owners.c.at <= at,
        )
    )


async def owners_of(connection: AsyncConnection, account_ids: set[uuid.UUID]) -> dict[uuid.UUID, RepRef]:
    rows = await connection.execute(
        select(account_owners).where(
            any_of(account_owners.c.account_id, account_ids), account_owners.c.owner.isnot(None)
        )
    )
    # JSON `null` is how nobody was stored before it was SQL NULL: nobody, too.
    return {row.account_id: RepRef.model_validate(row.owner) for row in rows if row.owner is not None}


async def record_people(connection: AsyncConnection, people: list[dict]) -> None:
    """Who the people are (`lead_id`, `account_id`, `card`, `revision` each), in one statement;
    the newest profile revision wins, also among the batch's own."""
    newest: dict[uuid.UUID, dict] = {}
    for person in people:
        if person["lead_id"] not in newest or newest[person["lead_id"]]["revision"] <= person["revision"]:
            newest[person["lead_id"]] = person
    if not newest:
        return
    # The rows as parameters of one statement compiled once (a VALUES list is a new statement,
    # compiled again, for every batch size); each lead once, so no row is updated twice.
    await RECORD_PEOPLE.execute_many(connection, list(newest.values()))


def _record_people_statement() -> Prepared:
    statement = insert(account_people)
    return Prepared(
        statement.on_conflict_do_update(
            index_elements=[account_people.c.lead_id],
            set_={
                "account_id": statement.excluded.account_id,
                "card": statement.excluded.card,
                "revision": statement.excluded.revision,
            },
            where=account_people.c.revision <= statement.excluded.revision,
        )
    )


RECORD_PEOPLE = _record_people_statement()


async def move_people(connection: AsyncConnection, moves: list[tuple[uuid.UUID, uuid.UUID | None]]) -> None:
    """Each person's account now (None: none, and her card goes), in order (the last move of a
    person wins): the batch's moves in one statement."""
    final = dict(moves)
    if not final:
        return
    joined = {lead: account for lead, account in final.items() if account is not None}
    values = {
        "unlinked": [lead for lead, account in final.items() if account is None],
        "joined": list(joined),
        "accounts": list(joined.values()),
    }
    await MOVE_PEOPLE.execute(connection, values)


MOVE_PEOPLE = Prepared(
    text(
        "WITH gone AS (DELETE FROM webhooks.account_people WHERE lead_id = ANY(CAST(:unlinked AS uuid[])))"
        " UPDATE webhooks.account_people p SET account_id = m.account_id"
        " FROM unnest(CAST(:joined AS uuid[]), CAST(:accounts AS uuid[])) AS m(lead_id, account_id)"
        " WHERE p.lead_id = m.lead_id AND p.account_id <> m.account_id"
    )
)


async def cards_of(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict]:
    rows = await connection.execute(
        select(account_people.c.lead_id, account_people.c.card).where(
            any_of(account_people.c.lead_id, lead_ids)
        )
    )
    return {row.lead_id: row.card for row in rows}


async def people_cards(connection: AsyncConnection, account_id: uuid.UUID, limit: int = 50) -> list[dict]:
    """Who the account's people are, as its owner is told of them (at most `limit`)."""
    rows = await connection.execute(
        select(account_people.c.card)
        .where(account_people.c.account_id == account_id)
        .order_by(account_people.c.lead_id)
        .limit(limit)
    )
    return [row.card for row in rows]
