"""Events on the wire: reading a message into a typed event (its sealed personal parts opened
with the lead's key, `sealing.py`), and an event as it is published. The models are in
`events.py`."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

from aiokafka import ConsumerRecord
from pydantic import BaseModel, Field, ValidationError

from leadflow_common import json_text, sealing
from leadflow_common.events import EVENT_TYPES, CloudEvent, event_class


class RawEvent(BaseModel):
    """A message as read, before its data is typed (and, where sealed, opened)."""

    specversion: Literal["1.0"]
    id: str = Field(min_length=1)
    source: str
    type: str
    time: datetime
    subject: str
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]

    def sealed_lead(self) -> uuid.UUID | None:
        """The lead whose key opens this event, if anything in it is sealed."""
        if not sealing.is_sealed(self.type, self.data):
            return None
        try:
            return uuid.UUID(self.subject)
        except ValueError:
            return None


ENVELOPE_FIELDS = tuple(name for name in CloudEvent.model_fields if name != "data")


class UnknownEventType(ValueError):
    pass


def read_event(raw: bytes | str) -> RawEvent:
    """A message value's envelope; raises ValueError on anything but a CloudEvent."""
    return RawEvent.model_validate_json(raw)


def typed_event(envelope: RawEvent, key: bytes | None = None) -> CloudEvent:
    """The envelope as a typed CloudEvent, its sealed parts opened with `key` (the lead's); with
    no key they are left out. Raises ValueError on an unknown type or invalid data."""
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        raise UnknownEventType(f"unknown event type {envelope.type!r}")
    raw_data = sealing.unseal(envelope.type, envelope.data, key, envelope.subject)
    try:
        data = model.model_validate(raw_data)
    except ValidationError as error:
        raise ValueError(f"invalid {envelope.type} data: {error}") from error
    # The envelope's fields were validated as read: constructed, not validated again.
    fields = {name: getattr(envelope, name) for name in ENVELOPE_FIELDS}
    return event_class(model).model_construct(**fields, data=data)


# Event types: a fixed set, or asked for each batch (what webhook endpoints subscribe to
# changes while the service runs); None: every type.
EventTypes = frozenset[str] | Callable[[], Awaitable[frozenset[str]]] | None


async def current_types(types: EventTypes) -> frozenset[str] | None:
    if types is None or isinstance(types, frozenset):
        return types
    return await types()


def record_type(record: ConsumerRecord) -> str | None:
    """The event type a record's `ce_type` header names (CloudEvents' Kafka binding; every
    event leaves an outbox with it), read without decoding the record; None without one."""
    for name, value in record.headers or ():
        if name == "ce_type":
            return value.decode(errors="replace")
    return None


def decode_unopened(raw: bytes | str, event_type: str) -> CloudEvent:
    """A message value of `event_type` (its `ce_type` header) typed straight from its JSON, in
    one pass, with nothing opened: the event `typed_event(read_event(raw))` gives, whose sealed
    parts are left out (every model ignores the `sealed` field it does not know). Held to the
    same envelope: a `specversion`, a non-empty `id`, and the type the header names. Raises
    ValueError on anything else."""
    model = EVENT_TYPES.get(event_type)
    if model is None:
        raise UnknownEventType(f"unknown event type {event_type!r}")
    try:
        event = event_class(model).model_validate_json(raw)
    except ValidationError as error:
        raise ValueError(f"invalid {event_type} event: {error}") from error
    if event.type != event_type:
        raise ValueError(f"a {event.type!r} event under a {event_type!r} header")
    if "specversion" not in event.model_fields_set or not event.id:
        raise ValueError("no CloudEvent: specversion or id missing")
    return event


def decode_event(raw: bytes | str) -> CloudEvent:
    """Parse a message value (never sealed: an event as a service keeps it) into a typed
    CloudEvent; raises ValueError on anything else."""
    return typed_event(read_event(raw))


def wire_payload(event: CloudEvent, key: bytes | None) -> str:
    """The event as published: its personal parts sealed with the lead's key (`sealing.py`)."""
    if not sealing.is_sealable(event.type):
        return event.model_dump_json()
    document = event.model_dump(mode="json")
    document["data"] = sealing.seal(event.type, document["data"], key, event.subject)
    return json_text.dumps(document)
