"""One PostgreSQL LISTEN connection per process, shared by everything in it that is told of
changes rather than polling for them (consumers woken when events were published, the console's
live pages). It reconnects when the connection is lost; `connected` says whether notifications
are arriving, so a caller falls back to polling while they are not, and every (re)connection is
reported to the callers, since what was sent while nobody listened is lost."""

import asyncio
import logging
from collections.abc import Callable

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 30.0
RECONNECT_SECONDS = 2.0

Heard = Callable[[str], None]


class Listener:
    def __init__(self, database_url: str, *, application_name: str):
        self._application_name = application_name
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._channels: dict[str, list[Heard]] = {}
        self._on_connect: list[Callable[[], None]] = []
        self._connection: asyncpg.Connection | None = None
        self._adding: set[asyncio.Task[None]] = set()
        self._statements = asyncio.Lock()
        self.connected = False

    def on(self, channel: str, heard: Heard, *, on_connect: Callable[[], None] | None = None) -> None:
        """Call `heard(payload)` for each notification on `channel`, and `on_connect` after each
        (re)connection."""
        if channel not in self._channels and self._connection is not None:
            task = asyncio.create_task(self._add_channel(self._connection, channel))
            self._adding.add(task)
            task.add_done_callback(self._adding.discard)
        self._channels.setdefault(channel, []).append(heard)
        if on_connect is not None:
            self._on_connect.append(on_connect)

    async def run(self) -> None:
        """Forever: listen, reconnecting when the connection is lost."""
        while True:
            try:
                await self._listen_until_lost()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                log.warning("the listener lost the database; reconnecting", extra={"error": str(error)})
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _add_channel(self, connection: asyncpg.Connection, channel: str) -> None:
        """LISTEN on a channel registered while connected (one statement at a time on the
        connection); if that fails, a new connection listens on every channel."""
        try:
            async with self._statements:
                await connection.add_listener(channel, self._dispatch)
        except Exception as error:  # whatever it was, a new connection starts clean
            if not connection.is_closed():
                log.warning("cannot listen on a channel; reconnecting", extra={"error": repr(error)})
                connection.terminate()

    def _dispatch(self, _connection: object, _pid: int, channel: str, payload: str) -> None:
        for heard in self._channels.get(channel, ()):
            heard(payload)

    async def _listen_until_lost(self) -> None:
        connection = await asyncpg.connect(
            self._dsn, timeout=10, server_settings={"application_name": self._application_name}
        )
        try:
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _: lost.set())
            added: set[str] = set()
            while missing := set(self._channels) - added:  # channels may come while we add
                for channel in missing:
                    await connection.add_listener(channel, self._dispatch)
                added |= missing
            self._connection = connection
            self.connected = True
            for connected in self._on_connect:
                connected()
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    async with self._statements:
                        await connection.execute("SELECT 1")  # a silently dropped socket shows here
        finally:
            self.connected = False
            self._connection = None
            if not connection.is_closed():
                await connection.close()
