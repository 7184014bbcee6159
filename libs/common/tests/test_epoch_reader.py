"""Which failures of the credentials' epoch read are tried once more on a new connection: only a
kept connection found gone, never a statement the database refused or took too long over, and
never a connection just made (fakes for asyncpg's connections; the real database's cases are in
tests/test_credentials_epoch.py)."""

import asyncio

import asyncpg
import pytest

from leadflow_common import credentials_epoch
from leadflow_common.credentials_epoch import EpochReader

GONE = [
    asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    ConnectionResetError(),
]
REFUSED_OR_SLOW = [
    TimeoutError(),
    asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
    asyncpg.exceptions.UndefinedTableError('relation "console.credentials_epoch" does not exist'),
]


class FakeConnection:
    def __init__(self, answers: list):
        self._answers = answers
        self.closed = False

    def is_closed(self) -> bool:
        return self.closed

    async def fetchval(self, _sql: str, *, timeout: float):
        answer = self._answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def terminate(self) -> None:
        self.closed = True

    async def close(self, *, timeout: float) -> None:
        self.closed = True


@pytest.fixture
def connections(monkeypatch):
    """Each connect hands out a connection answering the next list of answers."""
    made: list[FakeConnection] = []
    plans: list[list] = []

    async def connect(*_args, **_kwargs) -> FakeConnection:
        made.append(FakeConnection(plans.pop(0)))
        return made[-1]

    monkeypatch.setattr(credentials_epoch.asyncpg, "connect", connect)
    return made, plans


async def kept_after_one_read(plans: list[list], failure: BaseException) -> EpochReader:
    """A reader whose kept connection answered once and fails its next read with `failure`;
    a new connection would answer 8."""
    plans += [[7, failure], [8]]
    reader = EpochReader("postgresql://db/leadflow", application_name="test")
    await reader.open()
    assert await reader() == 7
    return reader


@pytest.mark.parametrize("failure", GONE, ids=lambda e: type(e).__name__)
async def test_a_kept_connection_found_gone_is_replaced_once(connections, failure):
    made, plans = connections
    reader = await kept_after_one_read(plans, failure)
    assert await reader() == 8  # on a second connection, not a failure
    assert len(made) == 2 and made[0].closed


@pytest.mark.parametrize("failure", REFUSED_OR_SLOW, ids=lambda e: type(e).__name__)
async def test_a_refused_or_slow_read_is_not_tried_again(connections, failure):
    made, plans = connections
    reader = await kept_after_one_read(plans, failure)
    with pytest.raises(type(failure)):
        await reader()
    assert len(made) == 1
    assert await reader() == 8  # the next read starts on a new connection


async def test_a_connection_just_made_is_not_tried_again(connections):
    made, plans = connections
    plans += [[GONE[1]], [8]]
    reader = EpochReader("postgresql://db/leadflow", application_name="test")
    with pytest.raises(asyncpg.exceptions.ConnectionDoesNotExistError):
        await reader()  # no connection kept before: the failure is the answer
    assert len(made) == 1


async def test_a_closed_reader_opens_no_connection(connections):
    made, plans = connections
    plans += [[GONE[1]], [8]]
    reader = EpochReader("postgresql://db/leadflow", application_name="test")
    await reader.open()
    await reader.close()
    with pytest.raises(asyncpg.exceptions.InterfaceError):
        await asyncio.wait_for(reader(), 1)
    assert len(made) == 1
