"""Waking live pages: what a NOTIFY carries, and which inboxes a change touched."""

import asyncio
import uuid

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
