"""Statements sent straight to asyncpg (`driver.Prepared`) against the real database: they run in
the caller's SQLAlchemy transaction whichever statement comes first, so what they write commits
and rolls back with it; their parameters reach PostgreSQL as SQLAlchemy's would; the statement
counter counts them."""

import uuid

import pytest
from sqlalchemy import ARRAY, BigInteger, any_, bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.exc import DBAPIError, IntegrityError

from leadflow_capture.store.tables import outbox
from leadflow_common import keyring, metrics
from leadflow_common.db import create_engine
from leadflow_common.driver import Prepared
from leadflow_common.outbox import ROW_COLUMNS, enqueue_rows

pytestmark = pytest.mark.integration

COUNT = Prepared(select(func.count()).select_from(outbox).where(outbox.c.key == bindparam("key")))
DELETE = Prepared(delete(outbox).where(outbox.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger)))))
FIRST = Prepared(
    select(outbox.c.id, outbox.c.headers).where(outbox.c.key == bindparam("key")).order_by(outbox.c.id)
)


def rows(key: str, count: int) -> list[dict]:
    return [
        {"event_id": str(uuid.uuid4()), "topic": "t", "key": key, "payload": "{}", "headers": {"n": n}}
        for n in range(count)
    ]


async def test_a_prepared_statement_commits_and_rolls_back_with_the_transaction(database_url):
    engine = create_engine(database_url, application_name="test")
    try:
        # First statement of the transaction, then one through SQLAlchemy: one transaction.
        with pytest.raises(RuntimeError):
            async with engine.begin() as connection:
                await enqueue_rows(connection, outbox, rows("rolled-back", 3))
                assert await connection.scalar(text("SELECT count(*) FROM capture.outbox")) == 3
                raise RuntimeError("the unit fails")
        async with engine.begin() as connection:
            assert await COUNT.fetchval(connection, {"key": "rolled-back"}) == 0

        async with engine.begin() as connection:
            await connection.execute(text("SELECT 1"))  # SQLAlchemy began it
            await enqueue_rows(connection, outbox, rows("kept", 2))
        # A connection nobody began: the statement begins it, the caller's commit keeps it.
        async with engine.connect() as connection:
            await enqueue_rows(connection, outbox, rows("kept", 1))
            await connection.commit()
        async with engine.connect() as connection:
            await enqueue_rows(connection, outbox, rows("not committed", 1))
        async with engine.begin() as connection:
            assert await COUNT.fetchval(connection, {"key": "kept"}) == 3
            assert await COUNT.fetchval(connection, {"key": "not committed"}) == 0
            found = await FIRST.fetch(connection, {"key": "kept"})
            # The JSONB column went as JSON and came back decoded, in order.
            assert [row["headers"] for row in found] == [{"n": 0}, {"n": 1}, {"n": 0}]
            # Read as SQLAlchemy's rows are read: by attribute, by position, as a dict.
            assert found[0].headers == found[0][1] == found[0]._asdict()["headers"] == {"n": 0}
            with pytest.raises(AttributeError):
                _ = found[0].no_such_column
            assert await DELETE.execute(connection, {"ids": [row["id"] for row in found[:2]]}) == 2
            assert await COUNT.fetchval(connection, {"key": "kept"}) == 1
    finally:
        await engine.dispose()


async def test_parameters_reach_postgresql_as_sqlalchemy_sends_them(database_url):
    engine = create_engine(database_url, application_name="test")
    lead_ids = [uuid.uuid4(), uuid.uuid4()]
    try:
        async with engine.begin() as connection:
            created = await keyring.create(connection, lead_ids)
            # UUIDs in an array parameter; a constant written into the statement kept.
            assert await keyring.read(connection, [*lead_ids, uuid.uuid4()]) == created
            tagged = Prepared(select(bindparam("tag", value="constant"), bindparam("ids", type_=ARRAY(UUID))))
            row = (await tagged.fetch(connection, {"ids": lead_ids}))[0]
            assert row[0] == "constant" and [uuid.UUID(str(i)) for i in row[1]] == lead_ids
    finally:
        await engine.dispose()


async def test_statements_are_counted_and_no_rows_send_nothing(database_url):
    engine = create_engine(database_url, application_name="test")
    try:
        async with engine.begin() as connection:
            before = metrics.DB_STATEMENTS._value.get()
            await enqueue_rows(connection, outbox, [])
            assert metrics.DB_STATEMENTS._value.get() == before
            await enqueue_rows(connection, outbox, rows("counted", 5))  # one round trip
            await COUNT.fetchval(connection, {"key": "counted"})
            assert metrics.DB_STATEMENTS._value.get() == before + 2
    finally:
        await engine.dispose()


def test_a_statement_of_many_rows_names_its_columns():
    prepared = Prepared(outbox.insert(), keys=ROW_COLUMNS)
    assert "RETURNING" not in prepared.sql  # rows sent many at a time return nothing
    assert prepared.arguments({"event_id": "e", "topic": "t", "key": "k", "payload": "p", "headers": {}}) == [
        "e",
        "t",
        "k",
        "p",
        "{}",
    ]


INSERT_KEY = Prepared(keyring.data_keys.insert(), keys=["lead_id", "key"])


async def test_failures_are_raised_and_handled_as_sqlalchemy_does(database_url):
    engine = create_engine(database_url, application_name="test")
    lead_id = uuid.uuid4()
    try:
        async with engine.begin() as connection:
            await INSERT_KEY.execute_many(connection, [{"lead_id": lead_id, "key": b"k"}])
        with pytest.raises(IntegrityError):  # what the callers of SQLAlchemy catch
            async with engine.begin() as connection:
                await INSERT_KEY.execute_many(connection, [{"lead_id": lead_id, "key": b"k"}])

        # The database ends every connection (a restart): the next statement fails once, and
        # the pool drops every connection made before, not one failure per pooled connection.
        async with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                await connection.execute(text("SELECT 1"))
                await connection.rollback()
        async with engine.connect() as admin:
            await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                    " WHERE application_name = 'test' AND pid <> pg_backend_pid()"
                )
            )
            await admin.commit()
        with pytest.raises(DBAPIError) as failed:
            async with engine.begin() as connection:
                await COUNT.fetchval(connection, {"key": "after the restart"})
        assert failed.value.connection_invalidated
        for _ in range(3):
            async with engine.begin() as connection:
                assert await COUNT.fetchval(connection, {"key": "after the restart"}) == 0
    finally:
        await engine.dispose()
