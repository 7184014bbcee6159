"""Alembic, one schema per service: each service's migrations live in its package and keep
their version table inside the service's own schema."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine

# Serialises migrators that start together (two replicas, or compose and a test).
MIGRATION_LOCK_KEY = 0x1EADF10


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["database_url"] = database_url
    return config


def upgrade(migrations_dir: Path, database_url: str) -> None:
    """Apply every migration. Synchronous: call it from a thread inside an event loop."""
    command.upgrade(alembic_config(migrations_dir, database_url), "head")


def run_env(schema: str, target_metadata: MetaData | None = None) -> None:
    """The body of every service's migrations/env.py."""
    database_url = context.config.attributes["database_url"]

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                try:
                    await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                    await connection.commit()
                    await connection.run_sync(migrate)
                    await connection.commit()
                finally:
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                    await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())
