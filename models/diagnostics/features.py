"""What the diagnostics model reads about a case, and the scikit-learn pipeline that encodes it.

A case is free-text symptoms plus what the shop knows about the device (category, brand, model,
age). Text becomes TF-IDF word 1–2-grams and ``char_wb`` 2–5-grams (sublinear tf) of the normalised
text — the character n-grams carry misspellings and foreign word stems. Device facts are one-hot:
category, brand, model (rare models pooled), device class, age bin and category × age bin, which
lets the linear model learn P(fault | device, age) as additive priors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import LinearSVC

from data import reference
from models.diagnostics.text import concepts, normalise_text, without_device_nouns

CATEGORIES = ("phone", "tablet", "laptop", "game_console", "smartwatch")
AGE_BIN_EDGES = (1, 2, 3, 4, 5, 6, 8)  # years; the last bin is 8+
UNKNOWN = "unknown"
DEVICE_COLUMNS = ["category", "brand", "model", "device_class", "age_bin", "category_age"]


@dataclass(frozen=True)
class Case:
    """One customer description. ``model`` may be unknown to the catalogue; ``age_years`` None
    means "work it out from the catalogue release date" (or unknown)."""

    category: str
    symptoms: str
    brand: str | None = None
    model: str | None = None
    age_years: float | None = None
    powers_on: bool | None = None
    liquid_exposure: bool | None = None
    dropped: bool | None = None


@dataclass(frozen=True)
class Device:
    """A catalogue device model as the features see it."""

    brand: str
    model: str
    category: str
    device_class: str
    release_date: date


def age_bin(age_years: float | None) -> str:
    """``"0"`` … ``"6-7"``, ``"8+"`` or ``"unknown"``."""
    if age_years is None or not np.isfinite(age_years) or age_years < 0:
        return UNKNOWN
    lower = 0
    for edge in AGE_BIN_EDGES:
        if age_years < edge:
            return str(lower) if edge - lower == 1 else f"{lower}-{edge - 1}"
        lower = edge
    return f"{lower}+"


def _model_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return re.sub(r"^(sony)?ps(\d)", r"\1playstation\2", key)  # "PS5" is how people write it


@cache
def _catalogue() -> dict[str, Device]:
    devices = {}
    for row in reference.device_models().iter_rows(named=True):
        device = Device(row["brand"], row["model"], row["category"], row["device_class"],
                        row["release_date"])  # fmt: skip
        devices.setdefault(_model_key(row["model"]), device)
        devices.setdefault(_model_key(f"{row['brand']} {row['model']}"), device)
    return devices


def find_device(model: str | None) -> Device | None:
    """The catalogue device for a model name typed by a person (case, spaces, punctuation and a
    leading brand are ignored), or None."""
    if not model:
        return None
    return _catalogue().get(_model_key(model))


@cache
def known_brands() -> frozenset[str]:
    return frozenset(reference.device_models()["brand"].to_list())


@cache
def _parts_by_device() -> dict[tuple[str, str], frozenset[str]]:
    parts: dict[tuple[str, str], set[str]] = {}
    for brand, model, part_category in (
        reference.parts().select("brand", "model", "part_category").iter_rows()
    ):
        parts.setdefault((brand, model), set()).add(part_category)
    return {key: frozenset(value) for key, value in parts.items()}


@cache
def _fault_parts() -> dict[str, str]:
    return dict(reference.faults().select("code", "part_category").iter_rows())


def device_fault_mask(device: Device, fault_codes: tuple[str, ...]) -> np.ndarray:
    """Which faults a catalogue device can have: a fault repaired with a part (faults.csv
    ``part_category``) is impossible on a model the parts catalogue has no such part for. The
    catalogue lists every part a model has, so this encodes its build: a PlayStation 5 has no
    screen or battery, a disc-less edition no drive, a fanless laptop no fan. Faults needing no
    part (software, liquid) stay possible."""
    have = _parts_by_device().get((device.brand, device.model), frozenset())
    needs = _fault_parts()
    return np.array(
        [needs.get(code, "none") in ("none", *have) for code in fault_codes], dtype=bool
    )


def device_age_years(release: date | None, on: date) -> float | None:
    return None if release is None else (on - release).days / 365.25


def case_frame(cases: list[Case], on: date | None = None) -> pd.DataFrame:
    """The model's input frame: one row per case, catalogue facts filled in from the model name."""
    on = on or date.today()
    rows = []
    for case in cases:
        device = find_device(case.model)
        age = case.age_years
        if age is None and device is not None:
            age = device_age_years(device.release_date, on)
        bin_ = age_bin(age)
        text = without_device_nouns(normalise_text(case.symptoms))
        rows.append(
            {
                "text": text,
                "concepts": concepts(text),
                "category": case.category,
                "brand": case.brand or (device.brand if device else UNKNOWN),
                "model": device.model if device else UNKNOWN,
                "device_class": device.device_class if device else UNKNOWN,
                "age_bin": bin_,
                "category_age": f"{case.category}|{bin_}",
            }
        )
    return pd.DataFrame(rows, columns=["text", "concepts", *DEVICE_COLUMNS])


PRIOR_SETS = {
    "all": DEVICE_COLUMNS,
    "age": ["category", "age_bin", "category_age"],
    "none": ["category"],
}


def build_pipeline(
    c: float = 2.0,
    max_char_features: int = 60_000,
    classifier: str = "logreg",
    device_priors: str = "all",
    class_weight: dict[str, float] | None = None,
) -> Pipeline:
    """TF-IDF word + char n-grams, concept indicators and one-hot device facts → multinomial
    logistic regression (or a linear SVM; both linear, so explanations stay exact).

    ``device_priors`` picks the device facts: ``all`` (``DEVICE_COLUMNS``), ``age`` (category,
    age bin, category × age bin) or ``none`` (category only) — for measuring what priors add.
    ``class_weight`` weighs each fault's training rows (None: all equal).
    """
    encode = ColumnTransformer(
        [
            (
                "word",
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, dtype=np.float32),
                "text",
            ),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    min_df=3,
                    max_features=max_char_features,
                    dtype=np.float32,
                ),
                "text",
            ),
            (
                "concept",
                TfidfVectorizer(
                    token_pattern=r"\S+", binary=True, use_idf=False, norm=None, dtype=np.float32
                ),
                "concepts",
            ),
            (
                "device",
                OneHotEncoder(handle_unknown="ignore", min_frequency=20, dtype=np.float32),
                PRIOR_SETS[device_priors],
            ),
        ],
        sparse_threshold=1.0,
    )
    if classifier == "logreg":
        model = LogisticRegression(C=c, max_iter=300, tol=1e-3, class_weight=class_weight)
    elif classifier == "linear_svc":
        model = LinearSVC(C=c, class_weight=class_weight)
    else:
        raise ValueError(f"classifier must be logreg or linear_svc, not {classifier!r}")
    return Pipeline([("features", encode), ("classify", model)])
