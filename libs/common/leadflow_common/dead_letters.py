"""The dead-letter topic: a record no retry will apply is set aside on `<topic>.dlq` with why,
where it came from and how often it failed, so the records behind it go on."""

from aiokafka import ConsumerRecord

from leadflow_common import metrics
from leadflow_common.events import CloudEvent
from leadflow_common.kafka import EventProducer, OutgoingMessage
from leadflow_common.topics import dead_letter_topic


def log_context(record: ConsumerRecord, event: CloudEvent | None = None) -> dict:
    context = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
    if event is not None:
        context.update(event_id=event.id, lead_id=event.subject)
    return context


class DeadLetters:
    """Sets a record aside on `<topic>.dlq` with why, where it came from and how often it failed."""

    def __init__(self, producer: EventProducer, group_id: str):
        self._producer = producer
        self._group_id = group_id

    async def send(self, record: ConsumerRecord, error: BaseException, *, attempts: int) -> None:
        headers = {name: value.decode(errors="replace") for name, value in record.headers or ()}
        headers.update(
            {
                "dlq_error": f"{type(error).__name__}: {error}"[:2000],
                "dlq_source_topic": record.topic,
                "dlq_source_partition": str(record.partition),
                "dlq_source_offset": str(record.offset),
                "dlq_consumer_group": self._group_id,
                "dlq_attempts": str(attempts),
            }
        )
        message = OutgoingMessage(
            topic=dead_letter_topic(record.topic),
            key=(record.key or b"").decode(errors="replace"),
            value=record.value or b"",
            headers=headers,
        )
        await self._producer.send_all([message])
        metrics.EVENTS_CONSUMED.labels(topic=record.topic, outcome="dead_lettered").inc()
        metrics.DEAD_LETTERED.labels(topic=record.topic).inc()
