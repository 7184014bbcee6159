"""Accept and reject links: signed, expiring, and refused when altered."""

import string
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


ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def test_an_altered_or_foreign_link_is_refused():
    token = sign(KEY, a_link())
    payload, signature = token.split(".")
    other = sign(KEY, a_link(action="reject")).split(".")[0]
    # A character of the signature changed (always to another one), and its last character
    # changed only in the bits base64 ignores: the same signature bytes, but not the link issued.
    middle = len(signature) // 2
    changed = signature[:middle] + ("B" if signature[middle] == "A" else "A") + signature[middle + 1 :]
    spare_bit = ALPHABET[ALPHABET.index(signature[-1]) ^ 1]
    bads = [f"{other}.{signature}", f"{payload}.{changed}", f"{payload}.{signature[:-1]}{spare_bit}"]
    for bad in (*bads, sign(link_key("another"), a_link())):
        with pytest.raises(InvalidLink, match="this link was not issued by Leadflow"):
            verify(KEY, bad, NOW)
    with pytest.raises(InvalidLink, match="this link is damaged"):
        verify(KEY, "nonsense", NOW)
    assert link_key("a secret") != b"a secret"
