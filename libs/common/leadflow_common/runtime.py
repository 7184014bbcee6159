"""What a service runs beside its HTTP app: the database engine, the producer, the outbox relay
and its consumers, opened by the FastAPI lifespan and closed in reverse on shutdown."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow_common.batch_applier import EventHandler
from leadflow_common.consumer import EventConsumer
from leadflow_common.db import create_engine, ping
from leadflow_common.idempotency import ProcessedEventsRetention
from leadflow_common.kafka import EventProducer, broker_answers
from leadflow_common.listener import Listener
from leadflow_common.offsets import offsets_beside
from leadflow_common.outbox import OutboxRelay, outbox_health
from leadflow_common.settings import CommonSettings
from leadflow_common.topics import Topics
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_common.wakeups import Wakeups
from leadflow_common.wire import EventTypes

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 10.0


@dataclass
class ServiceRuntime:
    name: str
    settings: CommonSettings
    engine: AsyncEngine
    producer: EventProducer
    relay: OutboxRelay
    topics: Topics
    outbox: Table
    listener: Listener
    wakeups: Wakeups
    processed_events: Table | None = None
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _conditions: dict[str, Callable[[], str | None]] = field(default_factory=dict)
    _consumers: list[EventConsumer] = field(default_factory=list)

    @property
    def source(self) -> str:
        """The CloudEvents `source` of everything this service publishes."""
        return f"leadflow/{self.name}"

    def unit_of_work(self, *, consumer: str | None = None) -> UnitOfWork:
        """A new unit of work (one transaction); `consumer` names who claims event ids in it."""
        return UnitOfWork(
            self.engine,
            outbox=self.outbox,
            relay=self.relay,
            source=self.source,
            processed_events=self.processed_events,
            consumer=consumer,
            audit_topic=self.topics.audit,
        )

    def consume(
        self,
        *,
        group: str,
        topics: list[str],
        handler: EventHandler,
        opens: EventTypes = None,
        handles: EventTypes = None,
        batch_gap_ms: int | None = None,
    ) -> None:
        """Runs `handler` on the topics' events as consumer group `group`; `opens`: the event
        types whose personal data the handler uses (None: all), the only ones opened; `handles`:
        the event types the handler acts on (None: all), the only ones decoded; `batch_gap_ms`:
        how far apart its batches begin under load (None: `CONSUMER_BATCH_GAP_MS`), for a group
        off a lead's way to its rep, whose readers can wait longer."""
        consumer = EventConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=f"{self.settings.leadflow_topic_prefix}{group}",
            topics=topics,
            handler=handler,
            producer=self.producer,
            engine=self.engine,
            max_attempts=self.settings.consumer_max_attempts,
            fetch_wait_ms=self.settings.consumer_fetch_wait_ms,
            batch_gap_ms=self.settings.consumer_batch_gap_ms if batch_gap_ms is None else batch_gap_ms,
            opens=opens,
            handles=handles,
            wakeups=self.wakeups,
            idle_look_seconds=self.settings.consumer_idle_look_seconds,
            offsets_table=offsets_beside(self.outbox),
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
        )
        self._consumers.append(consumer)
        self.background(consumer.run(), name=f"consumer:{group}")

    async def consumers_behind(self) -> int:
        """Records its consumer groups have not finished yet, against the broker's ends now
        (-1 while one of them holds no partition yet)."""
        counts = await asyncio.gather(*(consumer.behind() for consumer in self._consumers))
        return -1 if any(count < 0 for count in counts) else sum(counts)

    def on_stop(self, close: Callable[[], Awaitable[None]]) -> None:
        """Something to close when the service stops (after its background work ended)."""
        self._on_stop.append(close)

    def background(self, coroutine: Coroutine[object, object, None], *, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        task.add_done_callback(_report_death)
        self._tasks.append(task)

    async def check_database(self) -> None:
        async with self.engine.connect() as connection:
            await ping(connection)

    async def check_broker(self) -> None:
        await broker_answers(self.settings.kafka_bootstrap_servers)

    async def outbox_health(self) -> dict:
        async with self.engine.connect() as connection:
            return await outbox_health(connection, self.outbox)

    def report_condition(self, name: str, describe: Callable[[], str | None]) -> None:
        """Something `/readyz` tells (None: fine; else what is wrong) without taking the
        service out of service: it still does its work, in a degraded way that needs a person."""
        self._conditions[name] = describe

    def degraded_conditions(self) -> dict[str, str]:
        return {name: text for name, describe in self._conditions.items() if (text := describe())}

    def readiness_checks(self) -> dict:
        return {"database": self.check_database, "broker": self.check_broker}


def _report_death(task: asyncio.Task) -> None:
    """Background work is meant to run until shutdown: say so loudly if it ends early."""
    if not task.cancelled() and task.exception() is not None:
        log.error("background task died", extra={"task": task.get_name()}, exc_info=task.exception())


@contextlib.asynccontextmanager
async def service_runtime(
    name: str, settings: CommonSettings, outbox: Table, processed_events: Table | None = None
) -> AsyncIterator[ServiceRuntime]:
    engine = create_engine(settings.database_url, application_name=f"leadflow-{name}")
    producer = EventProducer(settings.kafka_bootstrap_servers, client_id=f"leadflow-{name}")
    relay = OutboxRelay(
        engine,
        outbox,
        producer,
        batch_size=settings.outbox_batch_size,
        poll_seconds=settings.outbox_poll_seconds,
        pass_gap_seconds=settings.outbox_pass_gap_ms / 1000,
    )
    listener = Listener(settings.database_url, application_name=f"leadflow-{name}-listener")
    runtime = ServiceRuntime(
        name=name,
        settings=settings,
        engine=engine,
        producer=producer,
        relay=relay,
        topics=Topics(settings.leadflow_topic_prefix),
        outbox=outbox,
        listener=listener,
        wakeups=Wakeups(listener),
        processed_events=processed_events,
    )
    relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
    runtime.background(listener.run(), name="listener")
    if processed_events is not None:
        keep = timedelta(days=settings.processed_events_keep_days)
        every = settings.processed_events_prune_seconds
        retention = ProcessedEventsRetention(engine, processed_events, keep=keep, every=every)
        runtime.background(retention.run(), name="processed-events-retention")
    try:
        yield runtime
    finally:
        # Consumers stop first (their committed offsets cover only committed work), then the
        # relay finishes its batch so what was accepted is published if the broker is up.
        for task in runtime._tasks:
            task.cancel()
        if runtime._tasks:
            # Bounded: a task that does not end (a broker client stuck mid-rebalance) must not
            # hold the process, or a test's app, open for good.
            _, stuck = await asyncio.wait(list(runtime._tasks), timeout=SHUTDOWN_GRACE_SECONDS)
            if stuck:
                names = sorted(task.get_name() for task in stuck)
                log.warning("background work did not stop in time", extra={"tasks": names})
        for close in runtime._on_stop:
            await close()
        await relay.stop()
        try:
            await asyncio.wait_for(relay_task, SHUTDOWN_GRACE_SECONDS)
        except TimeoutError:
            log.warning("outbox relay did not finish in time; the rest is published on next start")
        await producer.stop()
        await engine.dispose()
