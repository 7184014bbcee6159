"""Learning from outcomes, without I/O: fit a calibrated model on lead features and measure
scores against outcomes. This module alone imports scikit-learn; it runs in a training
process of its own (training.py), and what it fits is served as plain numbers (model.py)."""

from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction import DictVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler

from leadflow_common.events import Temperature
from leadflow_scoring.domain.features import Features
from leadflow_scoring.domain.model import ServedModel


def fit(samples: list[Features], labels: list[int]) -> ServedModel:
    return served(*fit_calibrated(samples, labels))


def fit_calibrated(
    samples: list[Features], labels: list[int], *, seed: int = 7
) -> tuple[Pipeline, CalibratedClassifierCV]:
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
    folds = calibration_folds(calibrate_y)
    calibrator = CalibratedClassifierCV(FrozenEstimator(pipeline), method="sigmoid", cv=folds)
    calibrator.fit(calibrate_x, calibrate_y)
    return pipeline, calibrator


def calibration_folds(labels: list[int], most: int = 5) -> int:
    """Folds for calibrating on these labels: up to `most`, each with one of either kind at least
    (stratified folds need as many of each); fewer than two of a kind cannot be calibrated."""
    fewest = min(labels.count(0), labels.count(1))
    if fewest < 2:
        raise ValueError(f"calibration needs at least 2 won and 2 lost leads, not {fewest}")
    return min(most, fewest)


def served(pipeline: Pipeline, calibrator: CalibratedClassifierCV) -> ServedModel:
    """The fitted model as the numbers that serve it."""
    vectorizer, scaler, regression = (step for _, step in pipeline.steps)
    return ServedModel(
        columns={name: index for index, name in enumerate(vectorizer.get_feature_names_out())},
        scale=tuple(float(value) for value in scaler.scale_),
        coef=tuple(float(value) for value in regression.coef_[0]),
        intercept=float(regression.intercept_[0]),
        calibration=[
            (float(fold.calibrators[0].a_), float(fold.calibrators[0].b_))
            for fold in calibrator.calibrated_classifiers_
        ],
    )


def evaluate(scores: list[float], labels: list[int], bands: list[Temperature]) -> dict[str, object]:
    """AUC, Brier score (scores read as probabilities) and the conversion rate per band."""
    by_band: dict[str, dict[str, float]] = {}
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
        "calibration": calibration(scores, labels),
    }


def calibration(scores: list[float], labels: list[int], bins: int = 10) -> list[dict[str, float]]:
    """Scores read as probabilities, in equal-width bins: the mean predicted against the share
    actually won (a calibrated model's points lie on the diagonal). Empty bins are left out."""
    grouped: dict[int, list[tuple[float, int]]] = {}
    for score, label in zip(scores, labels, strict=True):
        grouped.setdefault(min(int(score / 100 * bins), bins - 1), []).append((score / 100, label))
    return [
        {
            "predicted": round(sum(p for p, _ in members) / len(members), 4),
            "observed": round(sum(label for _, label in members) / len(members), 4),
            "leads": len(members),
        }
        for _, members in sorted(grouped.items())
    ]
