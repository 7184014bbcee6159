"""Telling failures of the infrastructure (retry later) from failures of the work itself."""

import asyncio

from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError


def is_transient(error: BaseException) -> bool:
    """Failures of the infrastructure rather than of the event: retried without limit, so a
    database or broker restart never sends good events to the dead-letter topic."""
    if isinstance(error, OperationalError | SAInterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OSError | ConnectionError | asyncio.TimeoutError | KafkaError)
