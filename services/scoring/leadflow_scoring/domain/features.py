"""Features of a lead, built generically: every attribute by its type (strings as categories,
numbers as numbers, booleans as flags), the channel, attribution, consent and activity
aggregates. Nothing here names a data set's columns, so it works for any attributes."""

import math
from datetime import datetime

from leadflow_common.events import LeadProfile
from leadflow_scoring.domain.rules import Activity

Features = dict[str, str | float | bool]
PROFILE_CATEGORIES = ("country", "city", "language", "segment", "job_title")


def _put(features: Features, name: str, value: object) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        features[name] = value
    elif isinstance(value, int | float):
        features[name] = float(value)
        # Counts and durations are heavy-tailed; the log keeps one large value from dominating.
        features[f"{name}:log"] = math.copysign(math.log1p(abs(value)), value)
    else:
        features[name] = str(value).strip().lower()


def lead_features(lead: LeadProfile, activities: list[Activity], now: datetime) -> Features:
    features: Features = {}
    for name, value in lead.attributes.items():
        _put(features, f"attribute:{name}", value)
    for name in PROFILE_CATEGORIES:
        _put(features, name, getattr(lead, name))
    _put(features, "company_size_min", lead.company_size_min)
    _put(features, "channel", lead.channels[0].value if lead.channels else None)
    _put(features, "channels", len(lead.channels))
    for name, value in lead.attribution.model_dump().items():
        if name not in ("landing_url", "referrer"):
            _put(features, f"attribution:{name}", value)
    features["has_email"] = lead.email is not None
    features["has_phone"] = lead.phone is not None
    if lead.email:
        _put(features, "email_domain", lead.email.rsplit("@", 1)[-1])
    for channel, grant in lead.consent.items():
        features[f"consent:{channel}"] = grant.granted
    counts: dict[str, int] = {}
    for activity in activities:
        counts[activity.type] = counts.get(activity.type, 0) + 1
    for activity_type, count in counts.items():
        _put(features, f"activity_count:{activity_type}", count)
    _put(features, "activity_count", len(activities))
    if activities:
        latest = max(activities, key=lambda activity: activity.occurred_at)
        _put(
            features, "days_since_last_activity", max((now - latest.occurred_at).total_seconds() / 86400, 0.0)
        )
        _put(features, "last_activity", latest.type)
    return features
