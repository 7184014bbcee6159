"""A learned model as it is served: plain numbers (a linear model over named features and the
sigmoid calibration of its output), evaluated in plain Python over the few columns a lead has.
Training needs scikit-learn and NumPy; serving needs neither, so the service never loads them
(NumPy alone was 15 MB of the scoring process's memory), and a stored model is JSON rather than
a pickle."""

import json
import math
from dataclasses import dataclass

from leadflow_common.events import ScoreReason, Temperature
from leadflow_scoring.domain.features import Features
from leadflow_scoring.domain.rules import Thresholds, temperature_for

TOP_REASONS = 5


def feature_name(name: str, value: str | float | bool) -> tuple[str, float]:
    """A feature's column and value as scikit-learn's DictVectorizer makes them: text one-hot
    as `name=value`, numbers and flags as themselves."""
    if isinstance(value, str):
        return f"{name}={value}", 1.0
    return name, float(value)


def _falling_sigmoid(x: float) -> float:
    """1 / (1 + e^x) without overflowing where e^x would (math.exp raises where NumPy gave inf):
    a lead with an extreme number among its attributes still gets a score."""
    if x > 0:
        small = math.exp(-x)
        return small / (1.0 + small)
    return 1.0 / (1.0 + math.exp(x))


@dataclass(frozen=True)
class ServedModel:
    columns: dict[str, int]
    scale: tuple[float, ...]  # each column divided by it (MaxAbsScaler)
    coef: tuple[float, ...]
    intercept: float
    calibration: list[tuple[float, float]]  # (a, b): p = 1 / (1 + exp(a * logit + b)), averaged

    def contributions(self, sample: Features) -> dict[int, float]:
        """What each column the sample has adds to the logit (the others add nothing)."""
        row: dict[int, float] = {}
        for name, value in sample.items():
            column, number = feature_name(name, value)
            index = self.columns.get(column)
            if index is not None:
                row[index] = row.get(index, 0.0) + number
        return {index: value / self.scale[index] * self.coef[index] for index, value in sorted(row.items())}

    def calibrated(self, logit: float) -> float:
        return sum(_falling_sigmoid(a * logit + b) for a, b in self.calibration) / len(self.calibration)

    def probability(self, sample: Features) -> float:
        return self.calibrated(sum(self.contributions(sample).values()) + self.intercept)

    def score(self, sample: Features) -> float:
        """As served: a calibrated probability times 100, to a tenth of a point."""
        return round(self.probability(sample) * 100, 1)

    def explain(
        self, sample: Features, thresholds: Thresholds
    ) -> tuple[float, Temperature, list[ScoreReason]]:
        """Score, band, and reasons that add up to the score: the features whose absence would
        move the score most, then the rest as `model:baseline`."""
        contributions = self.contributions(sample)
        logit = sum(contributions.values()) + self.intercept
        score = round(self.calibrated(logit) * 100, 1)
        names = list(self.columns)
        present = [j for j, value in contributions.items() if value]  # in column order
        candidates = sorted(present, key=lambda j: -abs(contributions[j]))[:TOP_REASONS]
        reasons = []
        for j in candidates:
            without = self.calibrated(logit - contributions[j])
            reasons.append(ScoreReason(factor=f"model:{names[j]}", points=round(score - without * 100, 1)))
        reasons.append(
            ScoreReason(factor="model:baseline", points=round(score - sum(r.points for r in reasons), 1))
        )
        return score, temperature_for(score, thresholds), [r for r in reasons if r.points]

    def dumps(self) -> bytes:
        return json.dumps(
            {
                "columns": list(self.columns),
                "scale": list(self.scale),
                "coef": list(self.coef),
                "intercept": self.intercept,
                "calibration": self.calibration,
            }
        ).encode()

    @staticmethod
    def loads(blob: bytes) -> "ServedModel":
        document = json.loads(blob)
        return ServedModel(
            columns={name: index for index, name in enumerate(document["columns"])},
            scale=tuple(float(value) for value in document["scale"]),
            coef=tuple(float(value) for value in document["coef"]),
            intercept=float(document["intercept"]),
            calibration=[(float(a), float(b)) for a, b in document["calibration"]],
        )
