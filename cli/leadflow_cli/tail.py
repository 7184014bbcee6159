"""`leadflow tail`: print a topic's events as they arrive (leads.routed by default)."""

import json
import os
import uuid

from aiokafka import AIOKafkaConsumer

from leadflow_common.topics import Topics


async def tail(topic: str, *, from_beginning: bool) -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    full_name = Topics(os.environ.get("LEADFLOW_TOPIC_PREFIX", ""))._name(topic)
    consumer = AIOKafkaConsumer(
        full_name,
        bootstrap_servers=bootstrap,
        group_id=f"leadflow-tail-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    await consumer.start()
    print(f"# {full_name} on {bootstrap}; Ctrl-C stops", flush=True)
    try:
        async for record in consumer:
            try:
                print(json.dumps(json.loads(record.value), indent=2), flush=True)
            except ValueError:
                print(record.value, flush=True)
    finally:
        await consumer.stop()
