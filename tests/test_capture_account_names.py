"""Each account's distinct company names, counted by the people who gave them (migration 0014's
trigger on `company_names`), stay what `company_names` says through every way a person's name
changes: linked, rewritten with the same values, moved by a merge, erased. Account matching
reads them instead of every person's name (it read all of an account's people each batch)."""

import uuid

import pytest
from sqlalchemy import text

from leadflow_common.db import create_engine

pytestmark = pytest.mark.integration

COUNTED = text("SELECT account_id, normalized_name, people FROM capture.account_names ORDER BY 1, 2")
FROM_PEOPLE = text(
    "SELECT account_id, normalized_name, count(*) AS people FROM capture.company_names"
    " WHERE account_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"
)
NAME = text(
    "INSERT INTO capture.company_names (lead_id, account_id, normalized_name, typed_name, name_keys)"
    " VALUES (:lead, :account, :name, :typed, CAST(:keys AS text[]))"
    " ON CONFLICT (lead_id) DO UPDATE SET account_id = excluded.account_id,"
    " normalized_name = excluded.normalized_name, typed_name = excluded.typed_name"
)


async def test_an_accounts_names_follow_its_peoples_through_links_rewrites_merges_and_erasures(settings):
    engine = create_engine(settings.database_url, application_name="test")
    first, second = uuid.uuid4(), uuid.uuid4()
    people = [uuid.uuid4() for _ in range(4)]

    async def names() -> list[tuple]:
        async with engine.connect() as connection:
            counted = [tuple(row) for row in await connection.execute(COUNTED)]
            assert counted == [tuple(row) for row in await connection.execute(FROM_PEOPLE)]
            return counted

    async def run(statement, **values) -> None:
        if "name" in values:
            values |= {"typed": values["name"].title(), "keys": values["name"].split()}
        async with engine.begin() as connection:
            await connection.execute(statement, values)

    try:
        for lead, account, name in zip(
            people, [first, first, first, None], ["acme", "acme", "acme inc", "acme"], strict=True
        ):
            await run(NAME, lead=lead, account=account, name=name)
        assert await names() == sorted([(first, "acme", 2), (first, "acme inc", 1)])
        await run(NAME, lead=people[0], account=first, name="acme")  # the same again: nothing moves
        await run(NAME, lead=people[3], account=first, name="acme")  # she joins the account
        assert await names() == sorted([(first, "acme", 3), (first, "acme inc", 1)])
        await run(text("DELETE FROM capture.company_names WHERE lead_id = :lead"), lead=people[2])  # erased
        assert await names() == [(first, "acme", 3)]
        merge = "UPDATE capture.company_names SET account_id = :into WHERE account_id = :source"
        await run(text(merge), into=second, source=first)
        assert await names() == [(second, "acme", 3)]
        await run(
            text("UPDATE capture.company_names SET account_id = NULL WHERE lead_id = :lead"), lead=people[1]
        )
        assert await names() == [(second, "acme", 2)]
    finally:
        await engine.dispose()
