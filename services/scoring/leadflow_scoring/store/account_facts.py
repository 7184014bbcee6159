"""Each account person's part of the account score, kept on her `lead_accounts` row (her score,
band, seniority level, latest activity; all null while she does not count: not scored, or
merged into another lead), and an account's facts read from those rows through indexes: the
account score costs what the batch's people changed, not what the account holds."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.driver import Prepared
from leadflow_common.events import Temperature

# The people whose part must be read again: the batch's, and those never read (just linked,
# or every one after the seniority levels changed).
STALE_PEOPLE = Prepared(
    text(
        "SELECT la.lead_id, s.score, s.temperature, l.profile->>'job_title' AS job_title,"
        " l.profile->>'updated_at' AS updated_at, l.lead_id IS NOT NULL AND l.merged_into IS NULL AS live,"
        " (SELECT max(c.last_at) FROM scoring.activity_counts c WHERE c.lead_id = la.lead_id)"
        " AS last_activity"
        " FROM scoring.lead_accounts la"
        " LEFT JOIN scoring.scores s ON s.lead_id = la.lead_id"
        " LEFT JOIN scoring.leads l ON l.lead_id = la.lead_id"
        " WHERE la.lead_id = ANY(CAST(:leads AS uuid[]))"
        " OR (la.account_id = ANY(CAST(:accounts AS uuid[])) AND NOT la.refreshed)"
    )
)
REFRESH = Prepared(
    text(
        "UPDATE scoring.lead_accounts la SET score = v.score, temperature = v.temperature,"
        " level = v.level, last_active_at = v.last_active_at, refreshed = true"
        " FROM unnest(CAST(:leads AS uuid[]), CAST(:scores AS float8[]), CAST(:temperatures AS text[]),"
        " CAST(:levels AS text[]), CAST(:lasts AS timestamptz[]))"
        " AS v(lead_id, score, temperature, level, last_active_at)"
        " WHERE la.lead_id = v.lead_id"
        " AND (la.score, la.temperature, la.level, la.last_active_at, la.refreshed)"
        " IS DISTINCT FROM (v.score, v.temperature, v.level, v.last_active_at, true)"  # unchanged: no write
    )
)
# Per account, each part from an index: its current score, its best people (their sum is the
# people's sum while they are all, or once it passes the cap), the engaged up to the count
# that scores, the latest activity, and which of the levels are present.
FACTS = Prepared(
    text(
        "SELECT a.id AS account_id, cur.revision, cur.score AS current_score,"
        " cur.temperature AS current_temperature, top.lead_ids, top.scores, top.temperatures,"
        " top.people, top.total, EXISTS (SELECT 1 FROM scoring.lead_accounts s WHERE s.account_id = a.id"
        "   AND NOT s.refreshed) AS stale,"
        " (SELECT count(*) FROM (SELECT 1 FROM scoring.lead_accounts e WHERE e.account_id = a.id"
        "   AND e.temperature <> 'cold' LIMIT :engaged) AS e) AS engaged,"
        " (SELECT max(r.last_active_at) FROM scoring.lead_accounts r WHERE r.account_id = a.id)"
        "   AS last_active_at,"
        " ARRAY(SELECT lv FROM unnest(CAST(:levels AS text[])) AS lv WHERE EXISTS"
        "   (SELECT 1 FROM scoring.lead_accounts p WHERE p.account_id = a.id AND p.level = lv)) AS levels"
        " FROM unnest(CAST(:accounts AS uuid[])) AS a(id)"
        " LEFT JOIN scoring.account_scores cur ON cur.account_id = a.id"
        " LEFT JOIN LATERAL (SELECT array_agg(t.lead_id ORDER BY t.score DESC, t.lead_id) AS lead_ids,"
        "   array_agg(t.score ORDER BY t.score DESC, t.lead_id) AS scores,"
        "   array_agg(t.temperature ORDER BY t.score DESC, t.lead_id) AS temperatures,"
        "   count(*) AS people, coalesce(sum(t.score), 0) AS total"
        "   FROM (SELECT lead_id, score, temperature FROM scoring.lead_accounts"
        "     WHERE account_id = a.id AND score IS NOT NULL ORDER BY score DESC LIMIT :top) AS t) AS top"
        " ON true"
    )
)
FULL_SUMS = text(
    "SELECT account_id, sum(score) AS total FROM scoring.lead_accounts"
    " WHERE account_id = ANY(CAST(:accounts AS uuid[])) AND score IS NOT NULL GROUP BY account_id"
)
ALL_STALE = text("UPDATE scoring.lead_accounts SET refreshed = false WHERE refreshed")
STALE = text("UPDATE scoring.lead_accounts SET refreshed = false WHERE lead_id = ANY(CAST(:leads AS uuid[]))")


@dataclass(frozen=True)
class PersonPart:
    """A person's part of her account's score, before her level is found."""

    lead_id: uuid.UUID
    score: float | None  # None: she does not count (not scored, or merged)
    temperature: str | None
    job_title: str | None
    last_active_at: datetime | None


@dataclass(frozen=True)
class AccountRow:
    """An account's facts as stored: its current score, if any, and its best people."""

    account_id: uuid.UUID
    revision: int | None
    current_score: float | None
    current_temperature: Temperature | None
    best_people: list[tuple[uuid.UUID, float, Temperature]]  # by score, highest first
    top_is_all: bool  # the best people are all the people who count
    top_sum: float
    engaged: int
    last_active_at: datetime | None
    levels: frozenset[str]
    stale: bool  # some of its people's parts are to be read again first


async def stale_people(
    connection: AsyncConnection, lead_ids: list[uuid.UUID], account_ids: list[uuid.UUID]
) -> list[PersonPart]:
    rows = await STALE_PEOPLE.fetch(connection, {"leads": lead_ids, "accounts": account_ids})
    found = []
    for row in rows:
        counts = row.live and row.score is not None
        updated = datetime.fromisoformat(row.updated_at) if row.updated_at else None
        found.append(
            PersonPart(
                lead_id=row.lead_id,
                score=row.score if counts else None,
                temperature=row.temperature if counts else None,
                job_title=row.job_title if counts else None,
                last_active_at=(row.last_activity or updated) if counts else None,
            )
        )
    return found


async def refresh(connection: AsyncConnection, parts: list[tuple[PersonPart, str | None]]) -> None:
    """Store each person's part (with her level, None when unknown or she does not count)."""
    if not parts:
        return
    await REFRESH.execute(
        connection,
        {
            "leads": [person.lead_id for person, _ in parts],
            "scores": [person.score for person, _ in parts],
            "temperatures": [person.temperature for person, _ in parts],
            "levels": [level for _, level in parts],
            "lasts": [person.last_active_at for person, _ in parts],
        },
    )


async def facts_of(
    connection: AsyncConnection, account_ids: list[uuid.UUID], *, levels: list[str], engaged: int, top: int
) -> list[AccountRow]:
    values = {"accounts": account_ids, "levels": levels, "engaged": engaged, "top": top}
    found = []
    for row in await FACTS.fetch(connection, values):
        best = list(zip(row.lead_ids or [], row.scores or [], row.temperatures or [], strict=True))
        found.append(
            AccountRow(
                account_id=row.account_id,
                revision=row.revision,
                current_score=row.current_score,
                current_temperature=Temperature(row.current_temperature) if row.current_temperature else None,
                best_people=[(lead_id, score, Temperature(band)) for lead_id, score, band in best],
                top_is_all=row.people < top,
                top_sum=row.total,
                engaged=row.engaged,
                last_active_at=row.last_active_at,
                levels=frozenset(row.levels),
                stale=row.stale,
            )
        )
    return found


async def full_sums(connection: AsyncConnection, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, float]:
    rows = await connection.execute(FULL_SUMS, {"accounts": account_ids})
    return {row.account_id: row.total for row in rows}


async def mark_stale(connection: AsyncConnection, lead_ids: list[uuid.UUID] | None = None) -> None:
    """These people's parts (all, with None) are read again when their account is next scored."""
    if lead_ids is None:
        await connection.execute(ALL_STALE)
    else:
        await connection.execute(STALE, {"leads": lead_ids})
