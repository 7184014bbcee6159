"""What candidate rules would change, before they are saved: the recent leads' bands under the
rules in use and under the candidate, and on every lead with a known outcome how well each
ranks them (AUC) and converts per band. Pure: no I/O."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from leadflow_common.events import LeadProfile
from leadflow_scoring.domain.rules import Activity, RuleSet, score_lead

RECENT_LEADS = 2000  # how many of the most recently scored leads the preview covers
TRIAL_LEADS = 200  # how many recent leads new rules must score before they are stored
EXAMPLES = 10  # the leads a move names (the most recently scored first), beside its count


@dataclass(frozen=True)
class KnownOutcome:
    profile: LeadProfile
    activities: list[Activity]
    at: datetime  # the outcome's time: the lead is scored as it stood then
    won: bool


def auc(scores: list[float], labels: list[bool]) -> float | None:
    """The chance that a won lead scores above a lost one (ties count half): Mann-Whitney U."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return None
    order = sorted(range(len(scores)), key=scores.__getitem__)
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    won_ranks = sum(rank for rank, label in zip(ranks, labels, strict=True) if label)
    return round((won_ranks - positives * (positives + 1) / 2) / (positives * negatives), 4)


def _outcome_metrics(rules: RuleSet, known: list[KnownOutcome]) -> dict[str, object]:
    scored = [score_lead(lead.profile, lead.activities, rules, lead.at) for lead in known]
    labels = [lead.won for lead in known]
    by_band: dict[str, dict[str, float]] = {}
    for score, won in zip(scored, labels, strict=True):
        band = by_band.setdefault(score.temperature.value, {"leads": 0, "won": 0})
        band["leads"] += 1
        band["won"] += int(won)
    for band in by_band.values():
        band["conversion"] = round(band["won"] / band["leads"], 4)
    return {"auc": auc([score.score for score in scored], labels), "conversion_by_band": by_band}


def compare(
    current: RuleSet,
    candidate: RuleSet,
    recent: list[tuple[LeadProfile, list[Activity]]],
    known: list[KnownOutcome],
    now: datetime,
) -> dict[str, object]:
    """`recent`: the most recently scored first. Each move names its first EXAMPLES leads: a
    marketer sees which leads a change moves, not only how many."""
    moves: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[str]] = {}
    for profile, activities in recent:
        before = score_lead(profile, activities, current, now).temperature.value
        after = score_lead(profile, activities, candidate, now).temperature.value
        moves[(before, after)] += 1
        named = examples.setdefault((before, after), [])
        if before != after and len(named) < EXAMPLES:
            named.append(str(profile.lead_id))
    current_bands: Counter[str] = Counter()
    candidate_bands: Counter[str] = Counter()
    for (before, after), count in moves.items():
        current_bands[before] += count
        candidate_bands[after] += count
    return {
        "recent": {
            "leads": len(recent),
            "current": dict(current_bands),
            "candidate": dict(candidate_bands),
            "moved": sum(count for (before, after), count in moves.items() if before != after),
            "moves": [
                {"from": before, "to": after, "leads": count, "examples": examples[(before, after)]}
                for (before, after), count in sorted(moves.items())
                if before != after
            ],
        },
        "outcomes": {
            "leads": len(known),
            "current": _outcome_metrics(current, known),
            "candidate": _outcome_metrics(candidate, known),
        },
    }


def first_failure(
    rules: RuleSet, leads: list[tuple[LeadProfile, list[Activity]]], now: datetime
) -> str | None:
    """What goes wrong when `rules` score these leads (the error's type), or None: rules are
    tried on real leads before they are stored or previewed, not only validated."""
    for profile, activities in leads:
        try:
            score_lead(profile, activities, rules, now)
        except Exception as error:
            return type(error).__name__
    return None
