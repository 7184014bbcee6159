"""The consumer loop every service runs: manual commits, a batch per transaction, bounded
retries, and a dead-letter topic.

Delivery is at least once: a batch's offsets are stored with its effects and a partition starts
after them (`offsets.py`); handlers drop event ids already applied (a relay may publish twice).
`DeadLetters` (dead_letters.py) sets an event aside with its error; `BatchApplier` hands the
records to the handler a batch at a time, replaying a failed batch event by event with bounded
retries so one poison event cannot hold back the others; `EventConsumer` keeps a client joined
to its group through broker outages, applies each partition in order (partitions side by side),
reports lag, and stops fetching while nothing is published (`wakeups.py`).
"""

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow_common.batch_applier import BatchApplier, EventHandler
from leadflow_common.dead_letters import DeadLetters, log_context
from leadflow_common.kafka import EventProducer
from leadflow_common.offsets import OffsetKeeper, StoredOffsetsListener
from leadflow_common.pacing import Spacing
from leadflow_common.wakeups import Wakeups, Watch
from leadflow_common.wire import EventTypes

log = logging.getLogger(__name__)

BATCH_SIZE = 100
UNASSIGNED_REJOIN_SECONDS = 60
# aiokafka's fetcher wakes this often with nothing to do (default 200 ms, paused or not); what it
# waits for (a fetch's answer, records taken, a resume, a rebalance) wakes it anyway.
FETCHER_IDLE_WAKE_MS = 5000
# How long a client may take to leave its group and close before it is given up on.
CLIENT_STOP_SECONDS = 5


class EventConsumer:
    def __init__(
        self,
        *,
        bootstrap_servers: str,
        group_id: str,
        topics: list[str],
        handler: EventHandler,
        producer: EventProducer,
        engine: AsyncEngine,
        max_attempts: int = 3,
        retry_backoff: float = 0.2,
        fetch_wait_ms: int = 200,
        batch_gap_ms: int = 0,
        opens: EventTypes = None,
        handles: EventTypes = None,
        wakeups: Wakeups | None = None,
        idle_look_seconds: float = 5.0,
        offsets_table: Table | None = None,
        session_timeout_ms: int = 10_000,
    ):
        self._bootstrap_servers = bootstrap_servers
        self._wakeups = wakeups
        # One watch for the consumer's life, whichever client it runs (clients restart).
        self._watch = wakeups.watch(topics) if wakeups else None
        self._idle_look_seconds = idle_look_seconds
        self._group_id = group_id
        self._topics = topics
        self._fetch_wait_ms = fetch_wait_ms
        self._session_timeout_ms = session_timeout_ms
        self._spacing = Spacing(batch_gap_ms / 1000)
        self._offsets = OffsetKeeper(engine, offsets_table, group_id)
        # For `behind` (/readyz; `leadflow run` waits for 0 before stopping its in-memory
        # broker: cli/leadflow_cli/drain.py): the client, and the records of the batch being
        # applied (fetched, so past the client's position, but not finished).
        self._client: AIOKafkaConsumer | None = None
        self._in_flight = 0
        self._applier = BatchApplier(
            handler,
            DeadLetters(producer, group_id),
            engine,
            max_attempts=max_attempts,
            retry_backoff=retry_backoff,
            opens=opens,
            handles=handles,
            offsets=self._offsets,
        )

    def _new_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            group_id=self._group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
            fetch_max_wait_ms=self._fetch_wait_ms,
            consumer_timeout_ms=FETCHER_IDLE_WAKE_MS,
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=self._session_timeout_ms // 3,
        )

    async def behind(self) -> int:
        """Records on its partitions not finished yet: the broker's ends now, less where it is,
        and the batch being applied (-1 before it holds any partition: nothing can be said)."""
        client, in_flight = self._client, self._in_flight
        held = list(client.assignment()) if client is not None else []
        if client is None or not held:
            return -1
        ends = await client.end_offsets(held)
        positions: list[int] = [await client.position(tp) for tp in held]
        left: int = sum(max(0, ends[tp] - at) for tp, at in zip(held, positions, strict=True))
        return in_flight + left

    async def run(self) -> None:
        """Consume until cancelled, surviving broker outages."""
        backoff = 0.5
        while True:
            consumer = self._new_consumer()
            try:
                await consumer.start()
                self._client, self._in_flight = consumer, 0
                consumer.subscribe(self._topics, listener=StoredOffsetsListener(self._offsets, consumer))
                backoff = 0.5
                await self._consume(consumer)
            except asyncio.CancelledError:
                await self._offsets.flush(consumer)
                raise
            except Exception as error:
                # Whatever breaks the client (the broker gone, a garbled response while it
                # restarts), the consumer starts over; a dead consumer task would leave the
                # service up and idle.
                log.warning(
                    "consumer restarting",
                    extra={"group": self._group_id, "error": f"{type(error).__name__}: {error}"},
                )
            finally:
                with contextlib.suppress(Exception):  # TimeoutError too: a client stuck mid-join
                    await asyncio.wait_for(consumer.stop(), CLIENT_STOP_SECONDS)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        loop = asyncio.get_running_loop()
        unassigned_since = loop.time()
        watch = self._watch
        while True:
            # Heard before this fetch: the answer may be that of a fetch the fetcher sent before
            # the event was written (it fetches ahead), so an empty one does not mean idle yet.
            heard = watch is not None and watch.heard.is_set()
            if watch is not None:
                watch.heard.clear()
            # A little longer than one fetch's wait: an empty answer means idle.
            batches = await consumer.getmany(timeout_ms=self._fetch_wait_ms + 100)
            batches = await self._spaced(consumer, batches)
            if not batches and watch is not None and not heard:
                # What was finished, told the broker before waiting: an idle group's committed
                # offsets are then current (records it skipped reach the table never; a member
                # taking its partitions over, or an operator's group listing, reads the broker).
                await self._offsets.commit(consumer, {}, now=True)
                await self._idle(consumer, watch)
            if consumer.assignment():
                unassigned_since = loop.time()
            elif loop.time() - unassigned_since > UNASSIGNED_REJOIN_SECONDS:
                # Replicas never outnumber partitions, so a member without any is stuck in a
                # group the broker lost track of (seen after broker restarts): rejoin.
                raise RuntimeError(f"no partitions assigned for {UNASSIGNED_REJOIN_SECONDS} s")
            self._in_flight = sum(len(records) for records in batches.values())
            done = await self._apply_fetched(consumer, batches)
            self._in_flight = 0
            await self._offsets.commit(consumer, done)
            for partition, records in batches.items():
                self._offsets.record_lag(consumer, partition, records)

    async def _spaced(
        self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[ConsumerRecord]]
    ) -> dict[TopicPartition, list[ConsumerRecord]]:
        """Records fetched less than the gap after the last batch began wait out the rest of it
        with the records arriving behind them (`pacing.Spacing`): a batch's transaction, key
        reads and statements cost about as much for twenty leads as for one. Records after a
        quiet stretch, and a full batch, do not wait."""
        fetched = sum(len(records) for records in batches.values())
        if not fetched:
            return batches
        if fetched < BATCH_SIZE and (wait := self._spacing.wait()) > 0:
            await asyncio.sleep(wait)
            more = await consumer.getmany(timeout_ms=0, max_records=BATCH_SIZE - fetched)
            for partition, records in more.items():  # behind the first ones: each partition in order
                batches[partition] = [*batches.get(partition, ()), *records]
        self._spacing.started()
        return batches

    async def _idle(self, consumer: AIOKafkaConsumer, watch: Watch) -> None:
        """Nothing fetched and nothing announced meanwhile: no fetches until a topic of ours is
        announced or the idle look is due (the group's heartbeats go on)."""
        assigned = consumer.assignment()
        if not assigned or watch.heard.is_set() or not self._wakeups.listening:
            return
        consumer.pause(*assigned)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watch.heard.wait(), self._idle_look_seconds)
        finally:
            consumer.resume(*consumer.paused())

    async def _apply_fetched(
        self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[ConsumerRecord]]
    ) -> dict[TopicPartition, int]:
        """Every partition's records of one fetch together, up to BATCH_SIZE per unit of work
        (each partition's in order, so a lead's events, one key and one partition, keep their
        order): at a few events per partition, a transaction per partition cost more than the
        events in it. Returns, per partition, the offset of the last record finished with."""
        fetched = [
            (partition, record)
            for partition, records in batches.items()
            for record in self._offsets.not_applied(partition, records)
        ]
        done: dict[TopicPartition, int] = {}
        for start in range(0, len(fetched), BATCH_SIZE):
            chunk = fetched[start : start + BATCH_SIZE]
            try:
                await self._applier.apply([record for _, record in chunk])
            except Exception:
                # Infrastructure is down: rewind so these records come again, and back off.
                log.exception("consumer paused on a transient failure", extra=log_context(chunk[0][1]))
                for partition, record in reversed(fetched[start:]):  # each partition's first left
                    consumer.seek(partition, record.offset)
                await asyncio.sleep(1.0)
                break
            done |= {partition: record.offset for partition, record in chunk}
        return done
