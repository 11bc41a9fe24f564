"""Saving the diagnostics model as a skops artifact and loading the production one.

The artifact is a plain dict (the scikit-learn pipeline, numpy masks, lists) so skops can check
every type it contains against ``TRUSTED_TYPES`` instead of unpickling arbitrary code.
A :class:`ProductionModel` loader polls the registry's production version (one indexed SQLite
read) and reloads when a new version is promoted, so long-running consumers need no restart.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from core.settings import Settings
from models import registry
from models.diagnostics.answers import AnswerRatios
from models.diagnostics.model import DiagnosticsModel
from models.errors import ModelInputError
from models.registry.store import dumps_skops, loads_skops

KIND = "diagnostics"
ARTIFACT_FORMAT = 1

# Types skops does not trust by default but this artifact legitimately contains.
TRUSTED_TYPES = (
    "numpy.float32",
    "scipy.sparse._csr.csr_matrix",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.svm._classes.LinearSVC",
)


class ModelNotTrainedError(ModelInputError):
    """No diagnostics model is in production; ``str(error)`` says what to run."""


@dataclass(frozen=True)
class LoadedModel:
    version: int
    model: DiagnosticsModel
    prices: dict[tuple[str, str, str], tuple[float, float, float]]


def save_model(model: DiagnosticsModel, prices: list[list]) -> bytes:
    """The skops bytes of a model and its price table."""
    return dumps_skops(
        {
            "format": ARTIFACT_FORMAT,
            "pipeline": model.pipeline,
            "fault_codes": list(model.fault_codes),
            "allowed": {category: mask.tolist() for category, mask in model.allowed.items()},
            "temperature": model.temperature,
            "threshold": model.threshold,
            "trained_categories": list(model.trained_categories),
            "answer_ratios": _answer_ratios_out(model.answer_ratios),
            "prices": prices,
        }
    )


def model_from_artifact(artifact: dict) -> tuple[DiagnosticsModel, dict]:
    model = DiagnosticsModel(
        pipeline=artifact["pipeline"],
        fault_codes=tuple(artifact["fault_codes"]),
        allowed={c: np.array(mask, dtype=bool) for c, mask in artifact["allowed"].items()},
        temperature=float(artifact["temperature"]),
        threshold=float(artifact["threshold"]),
        trained_categories=tuple(artifact["trained_categories"]),
    )
    if "answer_ratios" in artifact:  # artifacts saved before the ratios were learnt use HAND_SET
        model.answer_ratios = _answer_ratios_in(artifact["answer_ratios"])
    prices = {(f, c, k): (lo, hi, m) for f, c, k, lo, hi, m, _ in artifact["prices"]}
    return model, prices


def _answer_ratios_out(ratios: AnswerRatios) -> dict:
    """String keys throughout (``"yes"``/``"no"`` for the answer), as the artifact stores them."""
    return {
        question: {("yes" if answer else "no"): dict(by_fault) for answer, by_fault in by.items()}
        for question, by in ratios.items()
    }


def _answer_ratios_in(stored: dict) -> AnswerRatios:
    return {
        question: {answer == "yes": {f: float(v) for f, v in by_fault.items()}
                   for answer, by_fault in by.items()}
        for question, by in stored.items()
    }  # fmt: skip


def load_production_model(settings: Settings) -> LoadedModel:
    """The production diagnostics model, checksum verified; ModelNotTrainedError if none."""
    entry = registry.production(KIND, settings=settings)
    if entry is None:
        raise ModelNotTrainedError(
            "no diagnostics model has been trained yet: run `repairlens train diagnostics`"
        )
    artifact = loads_skops(registry.load_artifact(entry), TRUSTED_TYPES)
    model, prices = model_from_artifact(artifact)
    return LoadedModel(entry.version, model, prices)


class ProductionModel:
    """The current production model for a long-running process (Streamlit, booking API).

    ``get()`` costs one indexed SQLite read while nothing changes and reloads after a promotion.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loaded: LoadedModel | None = None
        self._lock = threading.Lock()

    def get(self) -> LoadedModel:
        version = registry.production_version(KIND, settings=self._settings)
        loaded = self._loaded
        if loaded is not None and loaded.version == version:
            return loaded
        with self._lock:
            if self._loaded is None or self._loaded.version != version:
                self._loaded = load_production_model(self._settings)
            return self._loaded
