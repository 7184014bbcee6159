"""Consumers woken when events are published instead of asking the broker every 200 ms.

An idle consumer group costs the broker a fetch every `CONSUMER_FETCH_WAIT_MS` (five a second),
and six groups polling were most of the system's idle CPU. So each outbox relay, having had a
batch acknowledged by the broker, sends a PostgreSQL NOTIFY naming the topics (with its
transaction), every process listens (`listener.py`), and a consumer that found nothing pauses
its partitions until a topic it reads is named or `CONSUMER_IDLE_LOOK_SECONDS` passes (events
published by anything but a relay are read by then). While the listener is not connected
consumers do not pause at all, so a lost notification delays an event, never loses it.
"""

import asyncio

from sqlalchemy import Text, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.driver import Prepared
from leadflow_common.listener import Listener

CHANNEL = "leadflow_published"
NOTIFY = Prepared(select(func.pg_notify(bindparam("channel", type_=Text), bindparam("payload", type_=Text))))


async def notify(connection: AsyncConnection, channel: str, payload: str) -> None:
    """A NOTIFY on `channel`, sent when the caller's transaction commits (never if it does not)."""
    await NOTIFY.fetchval(connection, {"channel": channel, "payload": payload})


class Watch:
    """Set when any of its topics is announced; a consumer clears it before each fetch."""

    def __init__(self, topics: frozenset[str]):
        self.topics = topics
        self.heard = asyncio.Event()


class Wakeups:
    def __init__(self, listener: Listener):
        self._listener = listener
        self._watches: list[Watch] = []
        listener.on(CHANNEL, self._heard, on_connect=self._wake_everyone)

    @property
    def listening(self) -> bool:
        return self._listener.connected

    def watch(self, topics: list[str]) -> Watch:
        watch = Watch(frozenset(topics))
        self._watches.append(watch)
        return watch

    def _heard(self, payload: str) -> None:
        named = set(payload.split(","))
        for watch in self._watches:
            if not watch.topics.isdisjoint(named):
                watch.heard.set()

    def _wake_everyone(self) -> None:
        # What was announced while nobody listened is unknown: everyone looks once.
        for watch in self._watches:
            watch.heard.set()
