"""Accept and reject links: signed, expiring, and refused when altered."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from leadflow_routing.domain.links import InvalidLink, Link, link_key, sign, verify

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KEY = link_key("a secret")


def a_link(**changes) -> Link:
    values = {
        "token_id": "t1",
        "assignment_id": uuid.uuid4(),
        "rep_id": uuid.uuid4(),
        "action": "accept",
        "expires_at": NOW + timedelta(minutes=5),
    }
    return Link(**{**values, **changes})


def test_a_signed_link_reads_back_until_it_expires():
    link = a_link()
    assert verify(KEY, sign(KEY, link), NOW) == link
    with pytest.raises(InvalidLink, match="expired"):
        verify(KEY, sign(KEY, link), NOW + timedelta(minutes=6))


def test_an_altered_or_foreign_link_is_refused():
    token = sign(KEY, a_link())
    signature = token.split(".")[1]
    other = sign(KEY, a_link(action="reject")).split(".")[0]
    for bad in (f"{other}.{signature}", token[:-2] + "xx", "nonsense", sign(link_key("another"), a_link())):
        with pytest.raises(InvalidLink):
            verify(KEY, bad, NOW)
    assert link_key("a secret") != b"a secret"
