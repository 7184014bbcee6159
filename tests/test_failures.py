"""Outages are told from bugs on real driver errors, as SQLAlchemy wraps them."""

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from leadflow_common.failures import is_transient

pytestmark = pytest.mark.integration


async def test_a_lost_connection_is_transient_and_a_failing_statement_is_not(database_url):
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            with pytest.raises(Exception) as failing:
                await connection.execute(text("SELECT 1 / 0"))
        assert not is_transient(failing.value)
        async with engine.connect() as connection:
            backend = await connection.scalar(text("SELECT pg_backend_pid()"))
            async with engine.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            with pytest.raises(Exception) as lost:
                await connection.execute(text("SELECT 1"))
        assert is_transient(lost.value)
    finally:
        await engine.dispose()
