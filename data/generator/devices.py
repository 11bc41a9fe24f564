"""Which devices customers bring: category mix, launch-and-decline lifecycles, purchase dates."""

from __future__ import annotations

import numpy as np

from data.generator.catalogue import Catalogue
from data.generator.sampling import sample_rows
from ops.schema import DEVICE_CATEGORIES

CATEGORY_MIX = {
    "phone": 0.60,
    "tablet": 0.12,
    "laptop": 0.14,
    "game_console": 0.08,
    "smartwatch": 0.06,
}
# Launch-and-decline: a model's share of repairs within its category follows
# (1 - exp(-age / rise)) × exp(-age / decline), age in years since release (0 before release).
LIFECYCLE_YEARS = {
    "phone": (0.3, 2.2),
    "tablet": (0.3, 3.0),
    "laptop": (0.3, 3.0),
    "game_console": (0.25, 4.0),
    "smartwatch": (0.3, 2.5),
}
CLASS_WEIGHT = (0.8, 1.0, 1.3)  # budget, mid, premium: dearer devices are worth repairing
SAME_CATEGORY_FOR_NEW_DEVICE = 0.7  # a returning customer's new device is of the same category
PURCHASE_DELAY_MEAN_DAYS = 180  # people buy a model on average half a year after its release
UNKNOWN_PURCHASE_DATE_RATE = 0.12


def model_popularity(catalogue: Catalogue, n_days: int) -> np.ndarray:
    """[day, model] relative weight of a model among repairs of its category on that day."""
    age = (np.arange(n_days)[:, None] - catalogue.model_release_day[None, :]) / 365.25
    rise = np.array([LIFECYCLE_YEARS[DEVICE_CATEGORIES[c]][0] for c in catalogue.model_category])
    decline = np.array([LIFECYCLE_YEARS[DEVICE_CATEGORIES[c]][1] for c in catalogue.model_category])
    curve = (1 - np.exp(-np.maximum(age, 0) / rise)) * np.exp(-np.maximum(age, 0) / decline)
    weight = np.array(CLASS_WEIGHT)[catalogue.model_class]
    return np.where(age > 0, curve * weight, 0.0)


def sample_categories(rng: np.random.Generator, n: int) -> np.ndarray:
    mix = np.array([CATEGORY_MIX[c] for c in DEVICE_CATEGORIES])
    return rng.choice(len(DEVICE_CATEGORIES), size=n, p=mix / mix.sum())


def sample_new_device_categories(rng: np.random.Generator, previous: np.ndarray) -> np.ndarray:
    """A returning customer's new device: usually the same category as their previous one."""
    fresh = sample_categories(rng, len(previous))
    return np.where(rng.random(len(previous)) < SAME_CATEGORY_FOR_NEW_DEVICE, previous, fresh)


def sample_models(
    rng: np.random.Generator,
    catalogue: Catalogue,
    popularity: np.ndarray,
    category: np.ndarray,
    day: np.ndarray,
) -> np.ndarray:
    """A model of the given category, in proportion to its popularity on ``day``."""
    model = np.zeros(len(category), dtype=np.int64)
    day = np.clip(day, 0, popularity.shape[0] - 1)
    for c in range(len(DEVICE_CATEGORIES)):
        rows = np.flatnonzero(category == c)
        if rows.size == 0:
            continue
        members = np.flatnonzero(catalogue.model_category == c)
        weights = popularity[day[rows]][:, members]
        # Before any model of the category is released, fall back to the oldest one.
        empty = weights.sum(axis=1) == 0
        weights[empty, np.argmin(catalogue.model_release_day[members])] = 1.0
        model[rows] = members[sample_rows(rng, weights)]
    return model


def sample_purchase_days(
    rng: np.random.Generator, release_day: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """When the customer bought the device: after its release, before the visit."""
    available = np.maximum(day - release_day, 0)
    delay = rng.exponential(PURCHASE_DELAY_MEAN_DAYS, len(day)).astype(np.int64)
    spread = (rng.random(len(day)) * available).astype(np.int64)
    return release_day + np.where(delay <= available, delay, spread)
