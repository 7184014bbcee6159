"""The rules engine, pure: points for who a lead is (fit) and what they do (engagement, which
ages with a half-life), with a reason for every point so the score explains itself."""

import math
from datetime import datetime
from importlib.resources import files
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from leadflow_common.events import Channel, LeadProfile, ScoreReason, Temperature
from leadflow_common.inputs import InputModel
from leadflow_scoring.domain.account_score import AccountRules
from leadflow_scoring.domain.scores import Activity, CurrentScore, Score, Segment

# The score's types live in `scores.py`; the names stay importable from here.
__all__ = ["Activity", "CurrentScore", "Score", "Segment"]

# Scores are 0 to 100; bounded points keep every sum finite whatever a rules document says.
Points = Annotated[float, Field(ge=-1000, le=1000)]
# Lead text is compared in lower case: a keyword, source or domain typed in capitals still matches.
Lowered = Annotated[
    str, Field(min_length=1, max_length=200), AfterValidator(lambda text: text.strip().lower())
]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, upper case")]
ActivityType = Annotated[str, Field(pattern=r"^[\w.:-]{1,100}$")]
# The profile fields a field rule may name without a group (`country`, `company_size_min`, …).
PROFILE_FIELDS = frozenset(LeadProfile.model_fields) - {
    "lead_id",
    "revision",
    "consent",
    "attribution",
    "attributes",
}
MAX_RULES = 500  # per list or map of a profile: a document is read by people and scored per lead


class Thresholds(InputModel):
    warm: float = Field(default=40, ge=0, le=100)
    hot: float = Field(default=70, ge=0, le=100)

    @field_validator("hot")
    @classmethod
    def ordered(cls, hot: float, info: ValidationInfo) -> float:
        # Checked on `hot`, so the error names `….thresholds.hot`, the value to change.
        warm = info.data.get("warm")
        if warm is not None and warm > hot:
            raise ValueError(f"hot ({hot:g}) must not be below warm ({warm:g})")
        return hot


class TitleRule(InputModel):
    level: str = Field(min_length=1, max_length=100)
    keywords: list[Lowered] = Field(min_length=1, max_length=MAX_RULES)
    points: Points


class SizeRule(InputModel):
    min_employees: int = Field(ge=1)
    points: Points


class FieldRule(InputModel):
    """Points for a value of any lead field: `attributes.<name>`, `attribution.<name>`,
    `consent.<channel>` or a profile field such as `country`. Matches when the value equals
    `equals`, or lies in [`at_least`, `below`)."""

    field: str = Field(pattern=r"^(attributes|attribution|consent)\.[\w.-]+$|^[a-z_]+$", max_length=200)
    equals: str | float | bool | None = None
    at_least: float | None = None
    below: float | None = None
    points: Points

    @field_validator("field")
    @classmethod
    def names_a_field(cls, name: str) -> str:
        if "." not in name and name not in PROFILE_FIELDS:
            raise ValueError(f"{name!r} is not a lead field; one of {', '.join(sorted(PROFILE_FIELDS))}")
        return name

    @model_validator(mode="after")
    def has_a_condition(self) -> "FieldRule":
        if self.equals is None and self.at_least is None and self.below is None:
            raise ValueError("give equals, at_least or below")
        return self

    def value_of(self, lead: LeadProfile) -> object:
        group, _, name = self.field.partition(".")
        if not name:
            return getattr(lead, group, None)
        if group == "attributes":
            return lead.attributes.get(name)
        if group == "consent":
            grant = lead.consent.get(name)
            return grant.granted if grant else None
        return getattr(lead.attribution, name, None)

    def matches(self, lead: LeadProfile) -> bool:
        value = self.value_of(lead)
        if value is None:
            return False
        if self.equals is not None:
            if isinstance(self.equals, str) and isinstance(value, str):
                return value.strip().lower() == self.equals.strip().lower()
            return value == self.equals
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return (self.at_least is None or value >= self.at_least) and (
            self.below is None or value < self.below
        )

    def label(self) -> str:
        if self.equals is not None:
            return f"{self.field}={self.equals}"
        low = "" if self.at_least is None else f"{self.at_least:g}"
        high = "" if self.below is None else f"{self.below:g}"
        return f"{self.field}[{low},{high})"


class ActivityRule(InputModel):
    points: Points
    cap: Points = Field(description="Most points this activity type can add (or take, if negative)")


def _bounded(description: str) -> dict:
    return {"max_length": MAX_RULES, "description": description}


class ProfileRules(InputModel):
    thresholds: Thresholds = Field(default_factory=Thresholds)
    job_titles: list[TitleRule] = Field(default_factory=list, **_bounded("First match wins"))
    company_sizes: list[SizeRule] = Field(default_factory=list, **_bounded("Largest min_employees met wins"))
    countries: dict[CountryCode, Points] = Field(default_factory=dict, **_bounded("ISO alpha-2 → points"))
    channels: dict[Channel, Points] = Field(default_factory=dict, **_bounded("channel → points"))
    sources: dict[Lowered, Points] = Field(default_factory=dict, **_bounded("attribution source → points"))
    has_email: Points = 0
    has_phone: Points = 0
    consent: Points = 0
    free_mail: Points = 0
    free_mail_domains: list[Lowered] = Field(default_factory=list, max_length=20_000)
    blocked_domains: list[Lowered] = Field(default_factory=list, max_length=20_000)
    blocked_domain: Points = -100
    competitor_domains: list[Lowered] = Field(default_factory=list, max_length=20_000)
    competitor_domain: Points = -50
    fields: list[FieldRule] = Field(default_factory=list, **_bounded("Every matching rule adds its points"))
    activities: dict[ActivityType, ActivityRule] = Field(default_factory=dict, **_bounded("type → rule"))
    half_life_days: float = Field(default=14, gt=0, le=3650)


class Profiles(InputModel):
    """Both profiles, always: every lead is B2B or B2C, and a lead of a profile with no rules
    could not be scored."""

    b2b: ProfileRules
    b2c: ProfileRules


class RuleSet(InputModel):
    """A whole rules document, validated as a whole before it is previewed, stored or used."""

    profiles: Profiles
    account: AccountRules = Field(
        default_factory=AccountRules, description="How a B2B account is scored from its people"
    )

    def profile(self, segment: Segment) -> ProfileRules:
        return self.profiles.b2b if segment == "b2b" else self.profiles.b2c


def default_rules() -> RuleSet:
    """Points a sales team would start from with no history (`default_rules.json`, shipped with
    the package); PUT /v1/scoring/rules changes them."""
    return RuleSet.model_validate_json(files("leadflow_scoring").joinpath("default_rules.json").read_text())


def segment_of(lead: LeadProfile) -> Segment:
    if lead.segment:
        return lead.segment
    return "b2b" if lead.company or lead.job_title or lead.company_size_min else "b2c"


def temperature_for(score: float, thresholds: Thresholds) -> Temperature:
    if score >= thresholds.hot:
        return Temperature.hot
    if score >= thresholds.warm:
        return Temperature.warm
    return Temperature.cold


def fit_reasons(lead: LeadProfile, rules: ProfileRules) -> list[ScoreReason]:
    reasons: list[ScoreReason] = []

    def add(factor: str, points: float) -> None:
        if points:
            reasons.append(ScoreReason(factor=factor, points=points))

    if lead.job_title:
        title = lead.job_title.lower()
        words = set(title.replace("-", " ").replace(",", " ").split())
        for rule in rules.job_titles:
            if any(
                (keyword in words) if " " not in keyword else (keyword in title) for keyword in rule.keywords
            ):
                add(f"job_title:{rule.level}", rule.points)
                break
    if lead.company_size_min:
        met = [rule for rule in rules.company_sizes if lead.company_size_min >= rule.min_employees]
        if met:
            best = max(met, key=lambda rule: rule.min_employees)
            add(f"company_size:{best.min_employees}+", best.points)
    if lead.country and lead.country in rules.countries:
        add(f"country:{lead.country}", rules.countries[lead.country])
    for channel in lead.channels:
        if channel.value in rules.channels:
            add(f"channel:{channel.value}", rules.channels[channel.value])
            break
    source = (lead.attribution.source or "").lower()
    if source in rules.sources:
        add(f"source:{source}", rules.sources[source])
    if lead.email:
        add("has_email", rules.has_email)
    if lead.phone:
        add("has_phone", rules.has_phone)
    if any(grant.granted for grant in lead.consent.values()):
        add("consent", rules.consent)
    for rule in rules.fields:
        if rule.matches(lead):
            add(f"field:{rule.label()}", rule.points)
    domain = lead.email.rsplit("@", 1)[-1] if lead.email else ""
    if domain:
        if domain in rules.blocked_domains:
            add("blocked_domain", rules.blocked_domain)
        elif domain in rules.competitor_domains:
            add("competitor_domain", rules.competitor_domain)
        elif domain in rules.free_mail_domains:
            add("free_mail", rules.free_mail)
    return reasons


def decay(age_days: float, half_life_days: float) -> float:
    return math.pow(0.5, max(age_days, 0.0) / half_life_days)


def engagement_reasons(activities: list[Activity], rules: ProfileRules, now: datetime) -> list[ScoreReason]:
    """Per activity type: each occurrence's points halved every half-life, then capped, so a
    burst cannot inflate a score and old interest fades. Each step is a line of its own (the
    points as earned, what fading took, what the cap took), every line to a tenth, so the lines
    of a type add up to exactly what it gives."""
    earned: dict[str, float] = {}
    faded: dict[str, float] = {}
    for activity in activities:
        rule = rules.activities.get(activity.type)
        if rule is None:
            continue
        age_days = (now - activity.occurred_at).total_seconds() / 86400
        earned[activity.type] = earned.get(activity.type, 0.0) + rule.points
        faded[activity.type] = faded.get(activity.type, 0.0) + rule.points * decay(
            age_days, rules.half_life_days
        )
    reasons = []
    for activity_type in sorted(earned):
        cap = rules.activities[activity_type].cap
        total = faded[activity_type]
        capped = min(total, cap) if cap >= 0 else max(total, cap)
        # Rounded running totals: each line is the step between two of them.
        steps = [round(earned[activity_type], 1), round(total, 1), round(capped, 1)]
        for kind, before, after in zip(("activity", "decay", "cap"), [0.0, *steps], steps, strict=False):
            reasons.append(ScoreReason(factor=f"{kind}:{activity_type}", points=round(after - before, 1)))
    return reasons


def score_lead(lead: LeadProfile, activities: list[Activity], rules: RuleSet, now: datetime) -> Score:
    """The lead's score: reasons rounded to a tenth, the score their sum, kept within 0-100 by a
    final `bounds` reason, so the reasons always add up to the score."""
    segment = segment_of(lead)
    profile_rules = rules.profile(segment)
    reasons = [
        ScoreReason(factor=f"{kind}:{reason.factor}", points=round(reason.points, 1))
        for kind, group in (
            ("fit", fit_reasons(lead, profile_rules)),
            ("engagement", engagement_reasons(activities, profile_rules, now)),
        )
        for reason in group
    ]
    reasons = [reason for reason in reasons if reason.points]
    raw = round(sum(reason.points for reason in reasons), 1)
    score = min(max(raw, 0.0), 100.0)
    if score != raw:
        reasons.append(ScoreReason(factor="bounds", points=round(score - raw, 1)))
    return Score(
        score=score,
        temperature=temperature_for(score, profile_rules.thresholds),
        reasons=reasons,
        segment=segment,
    )
