"""Warm and hot thresholds proposed from results, without I/O: on leads with a known outcome,
scored as they stood when it came, hot is the lowest threshold whose band (score >= it) still
converts at least HOT_CONVERSION, and warm the highest threshold below which leads convert at
most COLD_CONVERSION. The thresholds tried are the leads' scores rounded down to whole points
(a threshold a person can read and type). Shown with the conversion each band would give and
the leads that would move."""

import math
import uuid
from dataclasses import dataclass
from datetime import datetime

from leadflow_common.events import Temperature
from leadflow_scoring.domain.account_score import AccountRules, Person, score_account
from leadflow_scoring.domain.preview import KnownOutcome
from leadflow_scoring.domain.rules import (
    RuleSet,
    Segment,
    Thresholds,
    score_lead,
    segment_of,
    temperature_for,
)

HOT_CONVERSION = 0.6
COLD_CONVERSION = 0.1
MIN_BAND_LEADS = 5  # a band judged on fewer outcomes than this is noise, not evidence


@dataclass(frozen=True)
class Observed:
    score: float
    won: bool


def band_conversion(observed: list[Observed], thresholds: Thresholds) -> dict[str, dict]:
    """Leads, won and conversion per band (every band, empty ones with conversion None)."""
    bands = {band.value: {"leads": 0, "won": 0} for band in Temperature}
    for lead in observed:
        counts = bands[temperature_for(lead.score, thresholds).value]
        counts["leads"] += 1
        counts["won"] += int(lead.won)
    for counts in bands.values():
        counts["conversion"] = round(counts["won"] / counts["leads"], 4) if counts["leads"] else None
    return bands


def _conversion(leads: list[Observed]) -> float:
    return sum(lead.won for lead in leads) / len(leads)


def propose_thresholds(
    observed: list[Observed], current: Thresholds, unit: str = "leads"
) -> tuple[Thresholds, list[str]]:
    """The proposed thresholds, and in words each one that could not be found from the outcomes
    (that one stays as it is); `unit`: what the observed are, as the words name them."""
    notes = []
    candidates = sorted({math.floor(lead.score) for lead in observed})
    hot = next(
        (
            threshold
            for threshold in candidates
            if len(above := [lead for lead in observed if lead.score >= threshold]) >= MIN_BAND_LEADS
            and _conversion(above) >= HOT_CONVERSION
        ),
        None,
    )
    if hot is None:
        notes.append(f"No band of {MIN_BAND_LEADS} or more {unit} converts at {HOT_CONVERSION:.0%} or more.")
        hot = current.hot
    warm = next(
        (
            threshold
            for threshold in reversed(candidates)
            if threshold <= hot
            if len(below := [lead for lead in observed if lead.score < threshold]) >= MIN_BAND_LEADS
            and _conversion(below) <= COLD_CONVERSION
        ),
        None,
    )
    if warm is None:
        notes.append(
            f"No cold band of {MIN_BAND_LEADS} or more {unit} converts at {COLD_CONVERSION:.0%} or less."
        )
        warm = min(current.warm, hot)
    return Thresholds(warm=warm, hot=hot), notes


def proposal(observed: list[Observed], current: Thresholds, unit: str = "leads") -> dict:
    proposed, notes = propose_thresholds(observed, current, unit)
    moved = sum(
        temperature_for(lead.score, current) != temperature_for(lead.score, proposed) for lead in observed
    )
    return {
        "outcomes": len(observed),
        "current": {"thresholds": current.model_dump(), "bands": band_conversion(observed, current)},
        "proposed": {"thresholds": proposed.model_dump(), "bands": band_conversion(observed, proposed)},
        "moved": moved,
        "notes": notes,
    }


def propose_bands(rules: RuleSet, known: list[KnownOutcome]) -> dict[Segment, dict]:
    """Per profile: its leads with an outcome, scored by `rules` as they stood then."""
    observed: dict[Segment, list[Observed]] = {"b2b": [], "b2c": []}
    for lead in known:
        scored = score_lead(lead.profile, lead.activities, rules, lead.at)
        observed[segment_of(lead.profile)].append(Observed(scored.score, lead.won))
    return {
        segment: proposal(leads, rules.profile(segment).thresholds) for segment, leads in observed.items()
    }


def propose_account_bands(
    rules: AccountRules, accounts: dict[uuid.UUID, list[Person]], won: dict[uuid.UUID, bool], now: datetime
) -> dict:
    """The account thresholds from the accounts whose people have outcomes: each account scored
    from its people as they stand, won when any of them was won (a buying group buys once)."""
    observed = [
        Observed(score_account(people, rules, now).score, won[account_id])
        for account_id, people in accounts.items()
        if account_id in won and people
    ]
    return proposal(observed, Thresholds(**rules.thresholds.model_dump()), unit="accounts")
