"""Every score's lines add up to it, whatever the lead, its activities and the rules: a
property-style loop over many random leads (a fixed seed, so a failure reproduces)."""

import random
import uuid
from datetime import UTC, datetime, timedelta

from leadflow_common.events import Attribution, Channel, ConsentGrant, LeadProfile
from leadflow_scoring.domain.rules import Activity, default_rules, score_lead

NOW = datetime(2026, 11, 23, tzinfo=UTC)
TITLES = [None, "CEO", "VP Sales", "Sales Director", "Account Manager", "Student", "Gardener"]
DOMAINS = ["acme.example", "gmail.com", "rival.example", "spam.example"]


def random_rules(rng: random.Random):
    """The shipped rules with random points, caps, half-lives and domain lists."""
    document = default_rules().model_dump(mode="json")
    for profile in document["profiles"].values():
        for rule in profile["job_titles"] + profile["company_sizes"]:
            rule["points"] = rng.uniform(-40, 60)
        for activity in profile["activities"].values():
            activity["points"] = round(rng.uniform(-30, 40), 3)
            cap = abs(activity["points"]) * rng.uniform(0.5, 4)
            activity["cap"] = cap if activity["points"] >= 0 else -cap
        for name in ("has_email", "has_phone", "consent", "free_mail"):
            profile[name] = rng.uniform(-20, 30)
        profile["half_life_days"] = rng.uniform(0.5, 60)
        profile["competitor_domains"] = ["rival.example"]
        profile["blocked_domains"] = ["spam.example"]
        profile["countries"] = {"DE": rng.uniform(-10, 10), "US": rng.uniform(-10, 10)}
    return type(default_rules()).model_validate(document)


def random_lead(rng: random.Random) -> LeadProfile:
    title = rng.choice(TITLES)
    return LeadProfile(
        lead_id=uuid.uuid4(),
        revision=1,
        created_at=NOW,
        updated_at=NOW,
        email=f"a@{rng.choice(DOMAINS)}" if rng.random() < 0.8 else None,
        phone="+12025550147" if rng.random() < 0.5 else None,
        company="Acme" if title or rng.random() < 0.3 else None,
        job_title=title,
        company_size_min=rng.choice([None, 5, 60, 300, 5000]),
        country=rng.choice([None, "DE", "US", "FR"]),
        channels=[rng.choice(list(Channel))] if rng.random() < 0.9 else [],
        attribution=Attribution(source=rng.choice([None, "google", "referral", "Webinar"])),
        consent={"email": ConsentGrant(granted=True, at=NOW, channel=Channel.popup)}
        if rng.random() < 0.5
        else {},
    )


def random_activities(rng: random.Random, types: list[str]) -> list[Activity]:
    return [
        Activity(rng.choice(types), NOW - timedelta(days=rng.uniform(0, 90)))
        for _ in range(rng.choice([0, 1, 3, 10, 40]))
    ]


def test_the_lines_add_up_to_the_score_for_many_leads_and_rules():
    rng = random.Random(2026)
    kinds_seen: set[str] = set()
    for _ in range(60):
        rules = random_rules(rng)
        types = list(rules.profiles.b2b.activities)
        for _ in range(40):
            scored = score_lead(random_lead(rng), random_activities(rng, types), rules, NOW)
            assert 0 <= scored.score <= 100
            assert round(sum(line.points for line in scored.reasons), 1) == scored.score
            assert all(line.points for line in scored.reasons)  # no empty line
            kinds_seen.update(
                line.factor.split(":")[1] if ":" in line.factor else line.factor for line in scored.reasons
            )
    # The loop did meet every kind of line, so the property was tried on each.
    assert {"activity", "decay", "cap", "bounds", "job_title", "has_email"} <= kinds_seen
