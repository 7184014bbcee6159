"""A unit of work's `after_commit` against the real database: told once what the unit did is
committed — inside a consumer's batch, once the batch is — and never when it rolls back. Loops
woken this way (the webhook dispatcher, the notifier) read from another connection, which
before the commit finds nothing."""

import pytest
from harness import IdleRelay
from sqlalchemy import text

from leadflow_capture.store.tables import outbox
from leadflow_common.batch import batch_transaction
from leadflow_common.db import create_engine
from leadflow_common.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration


async def test_after_commit_is_told_after_the_commit_and_never_after_a_rollback(settings):
    engine = create_engine(settings.database_url, application_name="test")
    told: list[str] = []

    def unit() -> UnitOfWork:
        return UnitOfWork(engine, outbox=outbox, relay=IdleRelay(), source="test")

    try:
        async with unit() as uow:
            await uow.connection.execute(text("SELECT 1"))
            uow.after_commit(lambda: told.append("alone"))
            assert told == []
        assert told == ["alone"]

        async with batch_transaction(engine):
            async with unit() as uow:
                await uow.connection.execute(text("SELECT 1"))
                uow.after_commit(lambda: told.append("in a batch"))
            assert told == ["alone"], "the unit ended, but the batch it joined has not committed"
        assert told == ["alone", "in a batch"]

        with pytest.raises(RuntimeError):
            async with batch_transaction(engine):
                async with unit() as uow:
                    await uow.connection.execute(text("SELECT 1"))
                    uow.after_commit(lambda: told.append("batch rolled back"))
                raise RuntimeError("the batch fails after the unit")
        with pytest.raises(RuntimeError):
            async with unit() as uow:
                uow.after_commit(lambda: told.append("unit rolled back"))
                raise RuntimeError("the unit fails")
        assert told == ["alone", "in a batch"]
    finally:
        await engine.dispose()
