"""A score as the rules engine gives it and as it is stored, and the activities it counts. Pure."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from leadflow_common.events import ModelRef, ScoreReason, Temperature

Segment = Literal["b2b", "b2c"]


@dataclass(frozen=True)
class Activity:
    type: str
    occurred_at: datetime


@dataclass(frozen=True)
class Score:
    score: float
    temperature: Temperature
    reasons: list[ScoreReason]
    segment: Segment


@dataclass(frozen=True)
class ScoreStep:
    """One change of a lead's score, as its history keeps it."""

    score: float
    previous_score: float | None
    temperature: Temperature
    cause: str
    model: ModelRef
    scored_at: datetime


@dataclass(frozen=True)
class CurrentScore:
    """A lead's score as stored: what the next score is compared with."""

    revision: int
    score: float
    temperature: Temperature
    reasons: list[ScoreReason]
    model: ModelRef
    scored_at: datetime
