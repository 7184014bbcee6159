"""Consumer offsets stored with the effect, as Kafka Connect's sinks keep theirs.

A consumer group's batch writes, in its own transaction, the offset of the last record it
finished with on each partition (`consumer_offsets`, beside the service's outbox). When the
group hands the consumer a partition, it starts after the stored offset (or after the broker's
committed one, when that is further: records nothing was written for, such as the types the
consumer skips or the dead-lettered ones). So a batch committed in the database whose offsets
never reached the broker (the process died between the two) is not delivered again: nothing is
applied twice, and nothing is spent finding that out. Offsets are still committed to the broker,
but at most every `BROKER_COMMIT_SECONDS` per consumer instead of after every fetch.

The event ids a consumer claims (`idempotency.py`) stay, for what offsets cannot tell: without
an idempotent producer (tansu has none) a relay that dies after the broker acknowledged a batch
publishes it again, at new offsets; and a member that lost a partition in a rebalance may still
be committing a batch of it while the new holder reads the stored offset. The ids make both
apply once.
"""

import asyncio
import contextlib
import functools
import logging
import time
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from sqlalchemy import BigInteger, Column, Integer, MetaData, PrimaryKeyConstraint, Table, Text, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadflow_common import metrics
from leadflow_common.driver import Prepared
from leadflow_common.kafka import LoggingRebalanceListener

if TYPE_CHECKING:
    from leadflow_common.batch import BatchTransaction

log = logging.getLogger("leadflow_common.consumer")

BROKER_COMMIT_SECONDS = 5.0
COMMIT_WAIT_SECONDS = 10.0
FLUSH_WAIT_SECONDS = 2.0

Offsets = dict[TopicPartition, int]


def consumer_offsets_table(metadata: MetaData) -> Table:
    """Per consumer group and partition, the offset of the last record applied: written in the
    same transaction as the effects of the batch that applied it."""
    return Table(
        "consumer_offsets",
        metadata,
        Column("group_id", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("partition", Integer, nullable=False),
        Column("applied_offset", BigInteger, nullable=False),
        PrimaryKeyConstraint("group_id", "topic", "partition"),
    )


def offsets_beside(outbox: Table) -> Table | None:
    """The `consumer_offsets` table declared beside an outbox (`db.outbox_table`), if any."""
    return outbox.metadata.tables.get(f"{outbox.schema}.consumer_offsets")


STORED = ["group_id", "topic", "partition", "applied_offset"]


@functools.cache
def _store_statement(table: Table) -> Prepared:
    """Built once per table: the offsets' upsert, never backwards."""
    statement = insert(table)
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c.group_id, table.c.topic, table.c.partition],
        set_={"applied_offset": func.greatest(table.c.applied_offset, statement.excluded.applied_offset)},
    )
    return Prepared(upsert, keys=STORED)


async def store_offsets(connection: AsyncConnection, table: Table, group: str, offsets: Offsets) -> None:
    """Record these offsets inside the caller's transaction, in one statement (never backwards)."""
    if not offsets:
        return
    statement = _store_statement(table)
    rows = [
        {"group_id": group, "topic": tp.topic, "partition": tp.partition, "applied_offset": offset}
        for tp, offset in sorted(offsets.items())
    ]
    await statement.execute_many(connection, rows)


async def read_offsets(engine: AsyncEngine, table: Table, group: str) -> Offsets:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(table.c.topic, table.c.partition, table.c.applied_offset).where(table.c.group_id == group)
        )
        return {TopicPartition(row.topic, row.partition): row.applied_offset for row in rows}


async def rewind_offsets(
    engine: AsyncEngine, table: Table | None, group: str, offsets: dict[TopicPartition, tuple[int, int]]
) -> None:
    """Set these partitions' stored offsets back (seen → new: a log that was made again starts
    over), each only while it is still the one seen: a revoked holder's batch committed since
    keeps its own."""
    if table is None:
        return
    async with engine.begin() as connection:
        for tp, (seen, applied) in offsets.items():
            same = (table.c.group_id == group, table.c.topic == tp.topic, table.c.partition == tp.partition)
            still = table.c.applied_offset == seen
            await connection.execute(table.update().where(*same, still).values(applied_offset=applied))


class OffsetKeeper:
    """Where a consumer group's offsets live: its table (None: the broker only, committed after
    every fetch), what was applied on the partitions it holds, and what the broker has yet to
    be told."""

    def __init__(self, engine: AsyncEngine, table: Table | None, group: str):
        self.engine = engine
        self.table = table
        self.group = group
        self._applied: Offsets = {}  # as stored when the partition was assigned
        # Assigned, start not yet sought: the first offset held back from each (None: none yet).
        self._pending: dict[TopicPartition, int | None] = {}
        self._uncommitted: Offsets = {}
        self._committed_at = 0.0

    async def assigned(self, consumer: AIOKafkaConsumer, partitions: set[TopicPartition]) -> None:
        """Start each partition after the last record applied to it.

        aiokafka's fetcher starts on a partition as soon as it is assigned, from the broker's
        committed offset, while this callback still reads the table: until it has sought, the
        partition's records are held back (`not_applied`) and fetched again from its start."""
        if self.table is None or not partitions:
            return
        for tp in partitions:
            self._pending.setdefault(tp, None)
        try:
            stored = await read_offsets(self.engine, self.table, self.group)
            held = [tp for tp in partitions if tp in stored]
            # The broker's too (side by side): records after the stored offset may have been
            # finished without a transaction (skipped types, dead letters).
            committed = await asyncio.gather(*(consumer.committed(tp) for tp in held))
            starts = {
                tp: max(stored[tp] + 1, broker_next or 0)
                for tp, broker_next in zip(held, committed, strict=True)
            }
            starts |= await self._restarted_logs(consumer, stored, held)
        except BaseException:
            with contextlib.suppress(Exception):  # the broker's offsets, then; the ids absorb
                self._release(consumer, partitions, {})
            raise
        self._release(consumer, partitions, starts)
        if starts:
            where = {str(tp): start for tp, start in sorted(starts.items())}
            log.info("partitions start after their stored offsets", extra={"group": self.group, "at": where})

    async def _restarted_logs(
        self, consumer: AIOKafkaConsumer, stored: Offsets, held: list[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """Partitions whose log ends before the stored offset: the topic was made again, or the
        broker lost its data (a local broker keeps topics in memory while the database stays),
        or the log was cut short (an unclean leader election). The partition is read from its
        start, said loudly, with the stored offset taken back (it never moves backwards
        otherwise): a new log's records were never applied, and a cut log's records that were
        are kept out by the claimed event ids while they are kept (PROCESSED_EVENTS_KEEP_DAYS;
        keep them at least as long as the topics' retention). Not seen here: a new log that
        has already grown past the stored offset when the partition is assigned."""
        if not held:
            return {}
        ends = await consumer.end_offsets(held)
        behind = [tp for tp in held if stored[tp] + 1 > ends[tp]]
        if not behind:
            return {}
        firsts = await consumer.beginning_offsets(behind)
        rewound = {tp: (stored[tp], firsts[tp] - 1) for tp in behind}
        await rewind_offsets(self.engine, self.table, self.group, rewound)
        for tp in behind:
            metrics.OFFSETS_PAST_LOG.labels(group=self.group, topic=tp.topic).inc()
            log.error(
                "the stored offset is past the partition's end: the topic was made again or the"
                " broker lost its data; reading the partition from its start",
                extra={"group": self.group, "partition": str(tp), "stored": stored[tp], "end": ends[tp]},
            )
        return {tp: firsts[tp] for tp in behind}

    def _release(
        self, consumer: AIOKafkaConsumer, partitions: set[TopicPartition], starts: dict[TopicPartition, int]
    ) -> None:
        """Seek (no await between holding back and seeking, so no record slips through): each
        partition to its start, or back to the first record held back from it."""
        held_back = {tp: self._pending.pop(tp, None) for tp in partitions}
        for tp, first_held_back in held_back.items():
            if tp in starts:
                consumer.seek(tp, starts[tp])
                self._applied[tp] = starts[tp] - 1
            elif first_held_back is not None:
                consumer.seek(tp, first_held_back)

    def keep_with(self, batch: "BatchTransaction", finished: Offsets) -> None:
        """These offsets stored with the batch's effects, if the group has a table."""
        if self.table is not None:
            batch.keep_offsets(self.table, self.group, finished)

    async def flush(self, consumer: AIOKafkaConsumer) -> None:
        """What was finished, told the broker on the way out (briefly: the table has it)."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.commit(consumer, {}, now=True), FLUSH_WAIT_SECONDS)

    async def revoked(self, consumer: AIOKafkaConsumer, partitions: set[TopicPartition]) -> None:
        """Tell the broker what was finished on the partitions leaving (the next holder starts
        from the table, or from the broker for what no transaction recorded)."""
        for tp in partitions:
            self._applied.pop(tp, None)
            self._pending.pop(tp, None)
        await self.commit(consumer, {}, now=True)

    def not_applied(self, tp: TopicPartition, records: list[ConsumerRecord]) -> list[ConsumerRecord]:
        """The records after what is known applied (a fetch that raced the start's seek); none
        of a partition whose start is still being read (`assigned`)."""
        if tp in self._pending:
            first = self._pending[tp]
            if records:
                self._pending[tp] = records[0].offset if first is None else min(first, records[0].offset)
            return []
        applied = self._applied.get(tp)
        return records if applied is None else [record for record in records if record.offset > applied]

    async def commit(self, consumer: AIOKafkaConsumer, done: Offsets, *, now: bool = False) -> None:
        """Tell the broker the next offsets: after every fetch without a table, else at most
        every BROKER_COMMIT_SECONDS (the table is what the consumer starts from)."""
        self._uncommitted |= done
        moment = time.monotonic()
        recently = self.table is not None and moment - self._committed_at < BROKER_COMMIT_SECONDS
        if not self._uncommitted or (recently and not now):
            return
        pending, self._uncommitted, self._committed_at = self._uncommitted, {}, moment
        assigned = consumer.assignment()
        if not any(tp in assigned for tp in pending):
            return
        with contextlib.suppress(KafkaError, TimeoutError):
            # A failed commit (the group rebalanced) costs nothing: the table, or the handlers'
            # idempotency without one, absorbs the redelivery.
            commit = consumer.commit({tp: last + 1 for tp, last in pending.items() if tp in assigned})
            await asyncio.wait_for(commit, COMMIT_WAIT_SECONDS)

    def record_lag(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord]
    ) -> None:
        highwater = consumer.highwater(tp)
        if highwater is not None and records:
            lag = metrics.CONSUMER_LAG.labels(group=self.group, topic=tp.topic, partition=str(tp.partition))
            lag.set(max(highwater - records[-1].offset - 1, 0))


class StoredOffsetsListener(LoggingRebalanceListener):
    """Logs the group's changes, and starts newly held partitions after their stored offsets."""

    def __init__(self, keeper: OffsetKeeper, consumer: AIOKafkaConsumer):
        super().__init__(keeper.group)
        self._keeper = keeper
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await super().on_partitions_revoked(revoked)
        await self._keeper.revoked(self._consumer, revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await super().on_partitions_assigned(assigned)
        await self._keeper.assigned(self._consumer, assigned)
