"""A learned model as it is served: plain numbers (a linear model over named features and the
sigmoid calibration of its output), evaluated with NumPy. Training needs scikit-learn; serving
does not, so the service never loads it, and a stored model is JSON rather than a pickle."""

import json
from dataclasses import dataclass

import numpy as np

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


@dataclass(frozen=True)
class ServedModel:
    columns: dict[str, int]
    scale: np.ndarray  # each column divided by it (MaxAbsScaler)
    coef: np.ndarray
    intercept: float
    calibration: list[tuple[float, float]]  # (a, b): p = 1 / (1 + exp(a * logit + b)), averaged

    def contributions(self, sample: Features) -> np.ndarray:
        row = np.zeros(len(self.columns))
        for name, value in sample.items():
            column, number = feature_name(name, value)
            index = self.columns.get(column)
            if index is not None:
                row[index] += number
        contributions: np.ndarray = row / self.scale * self.coef
        return contributions

    def calibrated(self, logit: float) -> float:
        return float(np.mean([1.0 / (1.0 + np.exp(a * logit + b)) for a, b in self.calibration]))

    def probability(self, sample: Features) -> float:
        return self.calibrated(float(self.contributions(sample).sum() + self.intercept))

    def score(self, sample: Features) -> float:
        """As served: a calibrated probability times 100, to a tenth of a point."""
        return round(self.probability(sample) * 100, 1)

    def explain(
        self, sample: Features, thresholds: Thresholds
    ) -> tuple[float, Temperature, list[ScoreReason]]:
        """Score, band, and reasons that add up to the score: the features whose absence would
        move the score most, then the rest as `model:baseline`."""
        contributions = self.contributions(sample)
        logit = float(contributions.sum() + self.intercept)
        score = round(self.calibrated(logit) * 100, 1)
        names = list(self.columns)
        candidates = sorted(np.nonzero(contributions)[0], key=lambda j: -abs(contributions[j]))[:TOP_REASONS]
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
                "scale": self.scale.tolist(),
                "coef": self.coef.tolist(),
                "intercept": self.intercept,
                "calibration": self.calibration,
            }
        ).encode()

    @staticmethod
    def loads(blob: bytes) -> "ServedModel":
        document = json.loads(blob)
        return ServedModel(
            columns={name: index for index, name in enumerate(document["columns"])},
            scale=np.array(document["scale"]),
            coef=np.array(document["coef"]),
            intercept=float(document["intercept"]),
            calibration=[(float(a), float(b)) for a, b in document["calibration"]],
        )
