"""Every event type a webhook may subscribe to says what it means (the console lists them)."""

from typing import get_args

from leadflow_webhooks.domain.schemas import EVENT_MEANINGS, EventType


def test_every_event_type_says_what_it_means():
    assert set(EVENT_MEANINGS) == set(get_args(EventType))
    assert all(meaning.strip() for meaning in EVENT_MEANINGS.values())
