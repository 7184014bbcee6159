"""Writing account changes (account_projection.py) into the read model, each kind with the rule
that keeps the newest: an account's revision, its score's revision, the owner's and the match's
time. A score, an owner or a match may arrive before the account itself: each makes its row."""

import functools
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.driver import Prepared
from leadflow_console.domain.account_projection import AccountChanges
from leadflow_console.store.account_tables import account_views, lead_accounts
from leadflow_console.store.read_tables import lead_timeline


async def apply_accounts(connection: AsyncConnection, changes: AccountChanges) -> None:
    if not changes and not changes.timeline:
        return
    await _upsert(connection, list(changes.accounts.values()), "revision")
    await _upsert(connection, list(changes.scores.values()), "score_revision", keep_hot=True)
    await _upsert(connection, list(changes.owners.values()), "owner_at")
    await _link(connection, list(changes.links.values()))
    if changes.timeline:
        await _TIMELINE.execute_many(connection, changes.timeline)


async def _upsert(
    connection: AsyncConnection, rows: list[dict], version: str, keep_hot: bool = False
) -> None:
    """Each row's columns set when its `version` is newer than the stored one (or none is): one
    statement for the batch's rows of a kind (their keys are the kind's), in account order."""
    if rows:
        statement = _upsert_statement(tuple(rows[0]), version, keep_hot)
        await statement.execute_many(connection, sorted(rows, key=lambda row: row["account_id"]))


@functools.cache
def _upsert_statement(names: tuple[str, ...], version: str, keep_hot: bool) -> Prepared:
    """Built once per kind of row: run with the rows as parameters (executemany), it is the
    same prepared statement for any batch."""
    statement = insert(account_views)
    columns: dict[str, ColumnElement[Any]] = {
        name: statement.excluded[name] for name in names if name != "account_id"
    }
    if keep_hot:  # the latest time it turned hot, kept while it stays hot
        columns["hot_at"] = func.coalesce(statement.excluded.hot_at, account_views.c.hot_at)
    current = account_views.c[version]
    return Prepared(
        statement.on_conflict_do_update(
            index_elements=[account_views.c.account_id],
            set_=columns,
            where=current.is_(None) | (current < statement.excluded[version]),
        ),
        keys=names,
    )


_UNLINK = Prepared(
    delete(lead_accounts).where(
        lead_accounts.c.lead_id == bindparam("unlinked"), lead_accounts.c.at <= bindparam("unlinked_at")
    )
)
_TIMELINE = Prepared(insert(lead_timeline).on_conflict_do_nothing(index_elements=["event_id"]))
# From lead.captured: a fallback until lead.matched, the source of every link's change (and of
# how it matched), says more; it never overrides one.
_LINK_CAPTURED = Prepared(insert(lead_accounts).on_conflict_do_nothing(index_elements=["lead_id"]))
_MATCHED = insert(lead_accounts).excluded
_LINK_MATCHED = Prepared(
    insert(lead_accounts).on_conflict_do_update(
        index_elements=[lead_accounts.c.lead_id],
        set_={name: _MATCHED[name] for name in ("account_id", "method", "confidence", "at")},
        where=(lead_accounts.c.at <= _MATCHED.at) | lead_accounts.c.method.is_(None),
    )
)


async def _link(connection: AsyncConnection, rows: list[dict]) -> None:
    """The batch's links (one row per lead), each kind in one statement built once: unlinks,
    those from lead.captured, those from lead.matched."""
    rows = sorted(rows, key=lambda row: row["lead_id"])
    if unlinked := [
        {"unlinked": row["lead_id"], "unlinked_at": row["at"]} for row in rows if row["account_id"] is None
    ]:
        await _UNLINK.execute_many(connection, unlinked)
    if captured := [row for row in rows if row["account_id"] is not None and row["method"] is None]:
        await _LINK_CAPTURED.execute_many(connection, captured)
    if matched := [row for row in rows if row["account_id"] is not None and row["method"] is not None]:
        await _LINK_MATCHED.execute_many(connection, matched)
