"""Telling failures of the infrastructure (retry later) from failures of the work itself."""

import asyncio

import asyncpg
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError

# PostgreSQL errors that say "not now" rather than "not this": lost or refused connections,
# a server shutting down or starting, exhausted resources, and conflicts a retry resolves.
TRANSIENT_DRIVER_ERRORS = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
)


# Every class `is_transient` can say yes to (the API answers each with a handler of its own).
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (
    DBAPIError,
    OSError,
    asyncio.TimeoutError,
    KafkaError,
)


def is_transient(error: BaseException) -> bool:
    """Failures of the infrastructure rather than of the event or request: retried without
    limit by consumers and answered 503 by the API, so a database or broker restart never
    dead-letters good events nor answers a client with 500."""
    if isinstance(error, OperationalError | SAInterfaceError):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        driver_error = error.orig.__cause__ if error.orig is not None else None
        return isinstance(driver_error, TRANSIENT_DRIVER_ERRORS)
    return isinstance(error, OSError | ConnectionError | asyncio.TimeoutError | KafkaError)
