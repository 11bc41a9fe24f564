"""Which fault a device comes in with: P(fault | category, device age, month) and the front desk's
first guess. The planted fault signals (see data/README.md) all live here."""

from __future__ import annotations

import numpy as np

from data.generator.catalogue import Catalogue
from data.generator.sampling import sample_rows
from ops.schema import DEVICE_CATEGORIES

# Relative frequency of each fault per device category for a new device outside summer.
# Faults a category cannot have (faults.csv) or a model has no part for are dropped per model.
BASE_WEIGHTS: dict[str, dict[str, float]] = {
    "phone": {
        "cracked_screen": 30, "display_failure": 6, "touch_failure": 3, "battery_worn": 7,
        "battery_swollen": 1.5, "charging_port": 9, "liquid_damage": 4, "board_failure": 3,
        "software_fault": 5, "camera_fault": 4, "audio_fault": 4, "button_fault": 3,
        "back_glass": 6, "connectivity_fault": 2, "biometric_fault": 2,
    },
    "tablet": {
        "cracked_screen": 30, "display_failure": 7, "touch_failure": 6, "battery_worn": 7,
        "battery_swollen": 2, "charging_port": 10, "liquid_damage": 2.5, "board_failure": 3,
        "software_fault": 6, "camera_fault": 2, "audio_fault": 3, "button_fault": 3,
        "connectivity_fault": 2, "biometric_fault": 1,
    },
    "laptop": {
        "cracked_screen": 10, "display_failure": 8, "battery_worn": 6, "battery_swollen": 3,
        "charging_port": 6, "liquid_damage": 6, "board_failure": 5, "software_fault": 10,
        "camera_fault": 1, "audio_fault": 2, "keyboard_fault": 15, "hinge_fault": 11,
        "storage_fault": 6, "overheating": 7, "video_port": 2, "disc_drive": 0.5,
        "connectivity_fault": 2, "biometric_fault": 1,
    },
    "game_console": {
        "display_failure": 3, "touch_failure": 2, "battery_worn": 3, "battery_swollen": 1.5,
        "charging_port": 8, "liquid_damage": 1.5, "board_failure": 5, "software_fault": 4,
        "audio_fault": 2, "button_fault": 5, "storage_fault": 4, "overheating": 10,
        "video_port": 15, "controller_drift": 28, "disc_drive": 5, "connectivity_fault": 2,
    },
    "smartwatch": {
        "cracked_screen": 25, "display_failure": 6, "touch_failure": 6, "battery_worn": 12,
        "battery_swollen": 4, "charging_port": 5, "liquid_damage": 3, "software_fault": 6,
        "audio_fault": 3, "button_fault": 6, "back_glass": 5, "connectivity_fault": 4,
    },
}  # fmt: skip

# Battery wear grows with device age: weight × exp(slope × age in years).
BATTERY_WORN_AGE_SLOPE = 0.55
BATTERY_SWOLLEN_AGE_SLOPE = 0.35
# Liquid damage peaks in summer: weight × (1 + boost × Gaussian(day of year; centre, width)).
LIQUID_SUMMER_BOOST = 1.5
LIQUID_SUMMER_CENTRE_DOY = 200  # about 19 July
LIQUID_SUMMER_WIDTH_DAYS = 30.0

# Faults a customer's description (or the front desk) may confuse with the true one.
CONFUSABLE: dict[str, tuple[str, ...]] = {
    "cracked_screen": ("display_failure", "touch_failure"),
    "display_failure": ("cracked_screen", "board_failure", "touch_failure", "liquid_damage"),
    "touch_failure": ("cracked_screen", "display_failure", "software_fault"),
    "battery_worn": ("charging_port", "software_fault", "battery_swollen", "board_failure"),
    "battery_swollen": ("cracked_screen", "back_glass", "battery_worn", "display_failure"),
    "charging_port": ("battery_worn", "board_failure", "liquid_damage"),
    "liquid_damage": ("board_failure", "display_failure", "audio_fault", "charging_port"),
    "board_failure": ("battery_worn", "display_failure", "software_fault", "charging_port"),
    "software_fault": ("board_failure", "storage_fault", "battery_worn", "touch_failure"),
    "camera_fault": ("software_fault", "back_glass"),
    "audio_fault": ("software_fault", "liquid_damage", "connectivity_fault"),
    "button_fault": ("software_fault", "board_failure"),
    "back_glass": ("cracked_screen", "battery_swollen", "camera_fault"),
    "keyboard_fault": ("liquid_damage", "software_fault", "board_failure"),
    "hinge_fault": ("display_failure", "cracked_screen"),
    "storage_fault": ("software_fault", "board_failure"),
    "overheating": ("board_failure", "software_fault", "battery_swollen"),
    "video_port": ("board_failure", "software_fault", "overheating"),
    "controller_drift": ("button_fault", "software_fault", "connectivity_fault"),
    "disc_drive": ("software_fault", "storage_fault", "overheating"),
    "connectivity_fault": ("software_fault", "board_failure"),
    "biometric_fault": ("software_fault", "cracked_screen", "button_fault"),
}

# How the front desk's first guess goes wrong (rates per repair, reworks excluded):
MISLEADING_TEXT_RATE = 0.045  # the customer describes a confusable fault's symptoms
VAGUE_TEXT_RATE = 0.06  # the text names no specific symptom ...
VAGUE_WRONG_GUESS_RATE = 0.35  # ... and the desk then guesses a confusable fault this often
DESK_ERROR_RATE = 0.02  # the text is right but the desk still picks a confusable fault


def base_weight_matrix(catalogue: Catalogue) -> np.ndarray:
    """[category, fault] base weights."""
    weights = np.zeros((len(DEVICE_CATEGORIES), catalogue.n_faults))
    for c, category in enumerate(DEVICE_CATEGORIES):
        for code, weight in BASE_WEIGHTS[category].items():
            weights[c, catalogue.fault_index(code)] = weight
    return weights


def confusion_matrix(catalogue: Catalogue) -> np.ndarray:
    """[fault, fault] bool: the column fault may be mistaken for the row fault."""
    confusable = np.zeros((catalogue.n_faults, catalogue.n_faults), bool)
    for code, others in CONFUSABLE.items():
        for other in others:
            confusable[catalogue.fault_index(code), catalogue.fault_index(other)] = True
    return confusable


def sample_faults(
    rng: np.random.Generator,
    catalogue: Catalogue,
    model: np.ndarray,
    age_years: np.ndarray,
    day_of_year: np.ndarray,
) -> np.ndarray:
    """The true fault of each visit, given the device model, its age and the day of the year."""
    weights = base_weight_matrix(catalogue)[catalogue.model_category[model]]
    weights *= catalogue.fault_possible[model]
    worn, swollen, liquid = (
        catalogue.fault_index(code) for code in ("battery_worn", "battery_swollen", "liquid_damage")
    )
    weights[:, worn] *= np.exp(BATTERY_WORN_AGE_SLOPE * age_years)
    weights[:, swollen] *= np.exp(BATTERY_SWOLLEN_AGE_SLOPE * age_years)
    weights[:, liquid] *= 1 + LIQUID_SUMMER_BOOST * summer_bump(day_of_year)
    return sample_rows(rng, weights)


def summer_bump(day_of_year: np.ndarray) -> np.ndarray:
    distance = np.abs(day_of_year - LIQUID_SUMMER_CENTRE_DOY)
    return np.exp(-0.5 * (distance / LIQUID_SUMMER_WIDTH_DAYS) ** 2)


def sample_confusions(
    rng: np.random.Generator, catalogue: Catalogue, model: np.ndarray, fault: np.ndarray
) -> np.ndarray:
    """A fault the true one may be confused with on this model (the true fault if none can be)."""
    candidates = confusion_matrix(catalogue)[fault] & catalogue.fault_possible[model]
    chosen = sample_rows(rng, candidates.astype(float))
    return np.where(candidates.any(axis=1), chosen, fault)
