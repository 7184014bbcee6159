"""The credentials' epoch read on a connection of its own, against the real database: opened
before any request, bounded when the database stops answering, and replaced when it is gone."""

import asyncio
import time

import asyncpg
import pytest

from leadflow_common.credentials_epoch import READ_TIMEOUT_SECONDS, EpochReader

pytestmark = pytest.mark.integration


def plain(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://")


async def epoch_backends(database_url: str) -> list[int]:
    connection = await asyncpg.connect(plain(database_url))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'test-epoch'"
            " AND datname = current_database()"
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


async def test_the_epoch_connection_is_open_before_the_first_read_and_replaced_when_gone(database_url):
    reader = EpochReader(database_url, application_name="test-epoch")
    await reader.open()
    try:
        [first] = await epoch_backends(database_url)  # open before anything was read
        epoch = await reader()
        connection = await asyncpg.connect(plain(database_url))
        try:
            await connection.execute("SELECT pg_terminate_backend($1, 5000)", first)
        finally:
            await connection.close()
        assert await reader() == epoch  # on a new connection, not a failure
        [second] = await epoch_backends(database_url)
        assert second != first
    finally:
        await reader.close()


async def test_a_read_the_database_holds_up_fails_after_its_bound_and_is_not_tried_again(database_url):
    reader = EpochReader(database_url, application_name="test-epoch")
    await reader.open()
    blocker = await asyncpg.connect(plain(database_url))
    try:
        transaction = blocker.transaction()
        await transaction.start()
        # A database that stopped answering: the read waits on a lock it cannot have.
        await blocker.execute("LOCK TABLE console.credentials_epoch IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await reader()
        waited = time.monotonic() - started
        assert READ_TIMEOUT_SECONDS <= waited < 2 * READ_TIMEOUT_SECONDS, waited
        await transaction.rollback()
        assert await reader() >= 1  # the next read, on a new connection, answers
    finally:
        await blocker.close()
        await reader.close()
