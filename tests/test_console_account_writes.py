"""The console's account writes (account_read_writes.py) against PostgreSQL: each kind of row
keeps the newest, a match overrides lead.captured's fallback and never the reverse, an unlink
removes the link; each kind in one statement for the batch."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from leadflow_console.domain.account_projection import AccountChanges
from leadflow_console.store.account_read_writes import apply_accounts
from leadflow_console.store.account_tables import account_views, lead_accounts


async def test_a_batch_of_account_rows_and_links_keeps_the_newest_of_each(database_url):
    engine = create_async_engine(database_url)
    now = datetime.now(UTC)
    a, b, acc, acc2 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    c = uuid.uuid4()
    async with engine.begin() as conn:
        ch = AccountChanges()
        ch.links = {
            a: {"lead_id": a, "account_id": acc, "method": None, "confidence": None, "at": now},
            b: {"lead_id": b, "account_id": acc, "method": "domain", "confidence": 0.9, "at": now},
            c: {"lead_id": c, "account_id": acc2, "method": "name", "confidence": 0.5, "at": now},
        }
        ch.accounts = {
            acc: {
                "account_id": acc,
                "revision": 2,
                "name": "Acme",
                "search_name": "acme",
                "domains": ["a.com"],
                "people": 2,
                "merged_into": None,
            },
            acc2: {
                "account_id": acc2,
                "revision": 1,
                "name": "B",
                "search_name": "b",
                "domains": [],
                "people": 1,
                "merged_into": None,
            },
        }
        ch.scores = {
            acc: {
                "account_id": acc,
                "score_revision": 1,
                "score": 5.0,
                "temperature": "hot",
                "reasons": [],
                "hot_at": now,
            }
        }
        await apply_accounts(conn, ch)
        ch = AccountChanges()
        later = now + timedelta(seconds=1)
        ch.links = {
            a: {
                "lead_id": a,
                "account_id": acc2,
                "method": "manual",
                "confidence": 1.0,
                "at": later,
            },  # match overrides fallback
            b: {
                "lead_id": b,
                "account_id": None,
                "method": None,
                "confidence": None,
                "at": later,
            },  # unlinked
            c: {
                "lead_id": c,
                "account_id": acc,
                "method": None,
                "confidence": None,
                "at": later,
            },  # fallback never overrides
        }
        ch.accounts = {
            acc: {
                "account_id": acc,
                "revision": 1,
                "name": "Old",
                "search_name": "old",
                "domains": [],
                "people": 0,
                "merged_into": None,
            }
        }
        ch.scores = {
            acc: {
                "account_id": acc,
                "score_revision": 2,
                "score": 1.0,
                "temperature": "cold",
                "reasons": [],
                "hot_at": None,
            }
        }
        await apply_accounts(conn, ch)
        links = {r.lead_id: (r.account_id, r.method) for r in await conn.execute(select(lead_accounts))}
        assert links == {a: (acc2, "manual"), c: (acc2, "name")}, links
        views = {r.account_id: r for r in await conn.execute(select(account_views))}
        assert views[acc].name == "Acme" and views[acc].score == 1.0 and views[acc].hot_at is not None
        assert views[acc2].name == "B"
    await engine.dispose()
