"""A page read by several statements reads one moment (`leadflow_common.db.snapshot`): a write
committed between its statements is not half in it. At READ COMMITTED each statement saw its
own moment, and a rep's inbox showed a lead both as an offer and as won."""

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from leadflow_common.db import snapshot

pytestmark = pytest.mark.integration


async def test_a_snapshots_statements_read_one_moment_and_the_pool_forgets_it(database_url):
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE moments (n int)"))
            await connection.execute(text("INSERT INTO moments VALUES (1)"))
        count = text("SELECT count(*) FROM moments")
        writer = create_async_engine(database_url)
        async with snapshot(engine) as reading:
            assert (await reading.execute(count)).scalar() == 1
            async with writer.begin() as writing:  # committed between the page's two statements
                await writing.execute(text("INSERT INTO moments VALUES (2)"))
            assert (await reading.execute(count)).scalar() == 1
        await writer.dispose()
        async with engine.connect() as connection:  # the same pooled connection, back to normal
            level = (await connection.execute(text("SHOW transaction_isolation"))).scalar()
            assert level == "read committed"
            assert (await connection.execute(count)).scalar() == 2
    finally:
        await engine.dispose()
