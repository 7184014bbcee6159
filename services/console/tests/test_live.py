"""Waking live pages: what a NOTIFY carries, and which inboxes a change touched."""

import asyncio
import uuid

from leadflow_console.app import live
from leadflow_console.app.live import EVERYONE, MAX_PAYLOAD, Changed, decode, encode

ADA, GRACE = uuid.uuid4(), uuid.uuid4()


def test_a_notice_names_the_reps_or_everyone_when_too_many():
    assert decode(encode({ADA, GRACE})) == {ADA, GRACE}
    assert decode(encode(set())) == set()  # the feed changed, no inbox did
    many = {uuid.uuid4() for _ in range(MAX_PAYLOAD // 36 + 1)}
    assert encode(many) == EVERYONE and decode(EVERYONE) is None


async def test_a_waiting_page_wakes_on_a_change_and_knows_whether_it_was_its_reps():
    changed = Changed()
    start = changed.version
    waiter = asyncio.create_task(changed.wait(start, timeout=5))
    await asyncio.sleep(0)
    changed.notify({GRACE})
    assert await asyncio.wait_for(waiter, 1) == start + 1
    assert not changed.touched(ADA, start) and changed.touched(GRACE, start)
    changed.notify(None)  # unknown: everyone looks again
    assert changed.touched(ADA, start)
    assert await changed.wait(changed.version, timeout=0.01) == changed.version  # nothing new: times out


async def test_a_page_waits_past_changes_to_other_reps_and_wakes_on_its_own_or_on_the_look_again():
    changed = Changed()
    start = changed.version
    waiter = asyncio.create_task(changed.next_touching(start, ADA, timeout=5))
    for _ in range(3):  # Grace's inbox changes: Ada's page sleeps on
        await asyncio.sleep(0)
        changed.notify({GRACE})
    await asyncio.sleep(0)
    assert not waiter.done()
    changed.notify({ADA})
    assert await asyncio.wait_for(waiter, 1) == start + 4
    anyone = asyncio.create_task(changed.next_touching(changed.version, None, timeout=5))
    await asyncio.sleep(0)
    changed.notify({GRACE})  # the feed follows every change
    assert await asyncio.wait_for(anyone, 1) == start + 5
    quiet = changed.version  # nothing within the wait: the page looks again anyway
    assert await changed.next_touching(quiet, ADA, timeout=0.01) == quiet


def test_many_leads_are_announced_in_parts_each_within_the_limit():
    """An import's batch touched more leads than one payload holds: it read as "every lead
    page", and every open lead page of every replica drew itself again."""
    leads = {uuid.uuid4() for _ in range(500)}
    payloads = live.parts(leads)
    assert len(payloads) > 1 and all(len(payload) <= live.MAX_PAYLOAD for payload in payloads)
    assert set().union(*(live.decode(payload) for payload in payloads)) == leads
    assert live.parts(set()) == []


def test_a_search_page_follows_the_leads_it_shows_and_sleeps_past_others():
    changed = Changed()
    start = changed.version
    shown = frozenset({ADA, GRACE})
    changed.notify({uuid.uuid4()})  # a lead the search did not find
    assert not changed.touched(shown, start)
    changed.notify({GRACE})
    assert changed.touched(shown, start) and not changed.touched(frozenset(), start)
