"""An account's score from its people, pure: a buying group is hot when several people engage,
the best of them is strong, they reach across levels (a C-level and a practitioner beat two
interns) and they are active lately. Every point has its reason, as a lead's score does; the
points and thresholds are part of the rules document (`account` in rules.py)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from leadflow_common.events import ScoreReason, Temperature
from leadflow_common.inputs import InputModel

Points = Annotated[float, Field(ge=-1000, le=1000)]
Weight = Annotated[float, Field(ge=0, le=10)]
Keyword = Annotated[str, Field(min_length=1, max_length=100)]
UNKNOWN_LEVEL = "unknown"


class SeniorityLevel(InputModel):
    """A level of job titles: the first level with a keyword in the title is the person's."""

    level: str = Field(min_length=1, max_length=100, pattern=r"^[\w-]+$")
    keywords: list[Keyword] = Field(min_length=1, max_length=100)
    points: Points = Field(description="Added once per level present among the account's people")


def _default_levels() -> list[SeniorityLevel]:
    levels = [
        ("c_level", ["ceo", "cto", "cfo", "coo", "cmo", "cio", "ciso", "chief", "founder", "president"], 12),
        ("vp", ["vp", "svp", "evp", "vice president", "head of"], 9),
        ("director", ["director"], 8),
        ("junior", ["intern", "junior", "trainee", "student", "apprentice", "assistant"], 1),
        ("manager", ["manager", "lead", "principal"], 5),
        (
            "practitioner",
            [
                "engineer",
                "developer",
                "analyst",
                "specialist",
                "consultant",
                "architect",
                "designer",
                "scientist",
                "administrator",
                "accountant",
                "representative",
                "marketer",
                "buyer",
            ],
            4,
        ),
    ]
    return [SeniorityLevel(level=level, keywords=words, points=points) for level, words, points in levels]


class AccountThresholds(InputModel):
    warm: float = Field(default=40, ge=0, le=100)
    hot: float = Field(default=70, ge=0, le=100)

    @field_validator("hot")
    @classmethod
    def ordered(cls, hot: float, info: ValidationInfo) -> float:
        warm = info.data.get("warm")
        if warm is not None and warm > hot:
            raise ValueError(f"hot ({hot:g}) must not be below warm ({warm:g})")
        return hot


class AccountRules(InputModel):
    """How an account is scored from its people (every field has a default: a rules document
    written before accounts still validates)."""

    thresholds: AccountThresholds = Field(default_factory=AccountThresholds)
    engaged_person: Points = Field(12, description="Per engaged (warm or hot) person")
    engaged_people_counted: int = Field(5, ge=0, le=100, description="Engaged people counted at most")
    best_person_weight: Weight = Field(0.2, description="Times the best person's score")
    people_sum_weight: Weight = Field(0.1, description="Times the sum of the people's scores")
    people_sum_cap: Points = Field(20, description="Most points the sum can add")
    recent_days: float = Field(14, gt=0, le=3650, description="Someone active within this many days…")
    recent: Points = Field(8, description="…adds this")
    seniority_levels: list[SeniorityLevel] = Field(default_factory=_default_levels, max_length=20)
    seniority_cap: Points = Field(25, description="Most points seniority coverage can add")


@dataclass(frozen=True)
class Person:
    """One of the account's people as scoring knows them."""

    lead_id: uuid.UUID
    score: float
    temperature: Temperature
    job_title: str | None
    last_active_at: datetime | None


@dataclass(frozen=True)
class AccountScore:
    score: float
    temperature: Temperature
    reasons: list[ScoreReason]


def seniority_of(job_title: str | None, levels: list[SeniorityLevel]) -> str:
    """The job title's level: the first level with a keyword in the title (a one-word keyword
    as a whole word, so `cto` is not found in `director`), else `unknown`."""
    if not job_title:
        return UNKNOWN_LEVEL
    title = job_title.lower()
    words = set(title.replace("-", " ").replace(",", " ").replace("/", " ").split())
    for level in levels:
        for keyword in level.keywords:
            keyword = keyword.strip().lower()
            if (keyword in title) if " " in keyword else (keyword in words):
                return level.level
    return UNKNOWN_LEVEL


@dataclass(frozen=True)
class AccountFacts:
    """What the account score reads of an account's people, without the people: how many there
    are and are engaged (warm or hot), the best score, the sum of their scores (exact up to
    `sum_enough`: past it the capped reason no longer moves), the seniority levels present and
    when anyone was last active."""

    people: int
    engaged: int
    best: float | None
    score_sum: float
    levels: frozenset[str]
    last_active_at: datetime | None


def facts_of(people: list[Person], rules: AccountRules) -> AccountFacts:
    """The facts of people listed in full (the preview, the unit tests)."""
    levels = frozenset(seniority_of(person.job_title, rules.seniority_levels) for person in people)
    active = [person.last_active_at for person in people if person.last_active_at]
    return AccountFacts(
        people=len(people),
        engaged=sum(1 for person in people if person.temperature != Temperature.cold),
        best=max((person.score for person in people), default=None),
        score_sum=sum(person.score for person in people),
        levels=levels - {UNKNOWN_LEVEL},
        last_active_at=max(active, default=None),
    )


def sum_enough(rules: AccountRules) -> float | None:
    """The sum of scores past which the `people_sum` reason is at its cap (None: never)."""
    return rules.people_sum_cap / rules.people_sum_weight if rules.people_sum_weight else None


def score_account(people: list[Person], rules: AccountRules, now: datetime) -> AccountScore:
    return score_facts(facts_of(people, rules), rules, now)


def score_facts(facts: AccountFacts, rules: AccountRules, now: datetime) -> AccountScore:
    """The account's score: reasons to a tenth, the score their sum within 0-100 (a `bounds`
    reason keeps the sum exact), its temperature by the account thresholds."""
    reasons: list[ScoreReason] = []

    def add(factor: str, points: float) -> None:
        points = round(points, 1)
        if points:
            reasons.append(ScoreReason(factor=f"account:{factor}", points=points))

    add("engaged_people", min(facts.engaged, rules.engaged_people_counted) * rules.engaged_person)
    if facts.people and facts.best is not None:
        add("best_person", facts.best * rules.best_person_weight)
        add("people_sum", min(facts.score_sum * rules.people_sum_weight, rules.people_sum_cap))
    add_seniority(facts.levels, rules, add)
    recent_since = now - timedelta(days=rules.recent_days)
    if facts.last_active_at and facts.last_active_at >= recent_since:
        add("recent", rules.recent)
    raw = round(sum(reason.points for reason in reasons), 1)
    score = min(max(raw, 0.0), 100.0)
    if score != raw:
        reasons.append(ScoreReason(factor="account:bounds", points=round(score - raw, 1)))
    thresholds = rules.thresholds
    temperature = (
        Temperature.hot
        if score >= thresholds.hot
        else Temperature.warm
        if score >= thresholds.warm
        else Temperature.cold
    )
    return AccountScore(score=score, temperature=temperature, reasons=reasons)


def add_seniority(present: frozenset[str], rules: AccountRules, add) -> None:
    """Each level present among the people, once (coverage, not headcount), within the cap."""
    points = {level.level: level.points for level in rules.seniority_levels}
    left = rules.seniority_cap
    for level in sorted(present & points.keys(), key=lambda name: -points[name]):
        given = min(points[level], left) if points[level] > 0 else points[level]
        add(f"seniority:{level}", given)
        left -= max(given, 0)


def compare_accounts(
    current: AccountRules, candidate: AccountRules, accounts: dict[uuid.UUID, list[Person]], now: datetime
) -> dict:
    """The accounts' bands under the account rules in use and under the candidate, their people
    as scored now (the preview beside the leads')."""
    moves: dict[tuple[str, str], int] = {}
    for people in accounts.values():
        before = score_account(people, current, now).temperature.value
        after = score_account(people, candidate, now).temperature.value
        moves[(before, after)] = moves.get((before, after), 0) + 1
    bands = {"current": {}, "candidate": {}}
    for (before, after), count in moves.items():
        bands["current"][before] = bands["current"].get(before, 0) + count
        bands["candidate"][after] = bands["candidate"].get(after, 0) + count
    return {
        "accounts": len(accounts),
        **bands,
        "moved": sum(count for (before, after), count in moves.items() if before != after),
        "moves": [
            {"from": before, "to": after, "accounts": count}
            for (before, after), count in sorted(moves.items())
            if before != after
        ],
    }
