"""Learning from outcomes, without I/O: fit a calibrated model on lead features, measure it on a
held-out part, and explain each score by its largest feature contributions."""

import io
from dataclasses import dataclass

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction import DictVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler

from leadflow_common.events import ScoreReason, Temperature
from leadflow_scoring.features import Features
from leadflow_scoring.rules import Thresholds, temperature_for

MIN_OUTCOMES = 20
HELD_OUT_SHARE = 0.25
TOP_REASONS = 5


class NotEnoughOutcomes(ValueError):
    pass


@dataclass
class LearnedModel:
    pipeline: Pipeline  # vectorizer, scaler, logistic regression
    calibrator: CalibratedClassifierCV

    def probabilities(self, samples: list[Features]) -> np.ndarray:
        return self.calibrator.predict_proba(samples)[:, 1]

    def explain(
        self, sample: Features, thresholds: Thresholds
    ) -> tuple[float, Temperature, list[ScoreReason]]:
        """Score (calibrated probability times 100), band, and reasons that add up to the score:
        the features whose absence would move the score most, then the rest as `model:baseline`."""
        score = round(float(self.probabilities([sample])[0]) * 100, 1)
        vectorizer, scaler, regression = (step for _, step in self.pipeline.steps)
        row = scaler.transform(vectorizer.transform([sample])).toarray()[0]
        contributions = row * regression.coef_[0]
        logit = float(contributions.sum() + regression.intercept_[0])
        names = vectorizer.get_feature_names_out()
        candidates = sorted(np.nonzero(contributions)[0], key=lambda j: -abs(contributions[j]))[:TOP_REASONS]
        reasons = []
        for j in candidates:
            without = self.calibrated_from_logit(logit - contributions[j])
            reasons.append(ScoreReason(factor=f"model:{names[j]}", points=round(score - without * 100, 1)))
        reasons.append(
            ScoreReason(factor="model:baseline", points=round(score - sum(r.points for r in reasons), 1))
        )
        return score, temperature_for(score, thresholds), [r for r in reasons if r.points]

    def calibrated_from_logit(self, logit: float) -> float:
        """The calibrated probability for a raw decision value (for 'what if this feature were absent')."""
        calibrators = [c.calibrators[0] for c in self.calibrator.calibrated_classifiers_]
        return float(np.mean([calibrator.predict(np.array([logit]))[0] for calibrator in calibrators]))

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(self, buffer)
        return buffer.getvalue()

    @staticmethod
    def loads(blob: bytes) -> "LearnedModel":
        return joblib.load(io.BytesIO(blob))


def fit(samples: list[Features], labels: list[int], *, seed: int = 7) -> LearnedModel:
    """A logistic regression on one-hot categories and scaled numbers, its probabilities
    calibrated (sigmoid) on a part of the training data it did not see."""
    fit_x, calibrate_x, fit_y, calibrate_y = train_test_split(
        samples, labels, test_size=0.25, random_state=seed, stratify=labels
    )
    pipeline = make_pipeline(
        DictVectorizer(sparse=True),
        MaxAbsScaler(),
        LogisticRegression(C=1.0, max_iter=2000),
    )
    pipeline.fit(fit_x, fit_y)
    calibrator = CalibratedClassifierCV(FrozenEstimator(pipeline), method="sigmoid")
    calibrator.fit(calibrate_x, calibrate_y)
    return LearnedModel(pipeline=pipeline, calibrator=calibrator)


def held_out_split(count: int, labels: list[int], *, seed: int = 11) -> tuple[list[int], list[int]]:
    """Indices to train on and to hold out, stratified so both keep the conversion rate."""
    if count < MIN_OUTCOMES or len(set(labels)) < 2 or min(labels.count(0), labels.count(1)) < 4:
        raise NotEnoughOutcomes(f"need at least {MIN_OUTCOMES} outcomes with at least 4 won and 4 lost")
    indices = list(range(count))
    train, held_out = train_test_split(indices, test_size=HELD_OUT_SHARE, random_state=seed, stratify=labels)
    return sorted(train), sorted(held_out)


def evaluate(scores: list[float], labels: list[int], bands: list[Temperature]) -> dict:
    """AUC, Brier score (scores read as probabilities) and the conversion rate per band."""
    by_band: dict[str, dict] = {}
    for band, label in zip(bands, labels, strict=True):
        counts = by_band.setdefault(band.value, {"leads": 0, "won": 0})
        counts["leads"] += 1
        counts["won"] += label
    for counts in by_band.values():
        counts["conversion"] = round(counts["won"] / counts["leads"], 4)
    return {
        "auc": round(float(roc_auc_score(labels, scores)), 4) if len(set(labels)) == 2 else None,
        "brier": round(float(brier_score_loss(labels, [score / 100 for score in scores])), 4),
        "held_out": len(labels),
        "conversion_by_band": by_band,
    }
