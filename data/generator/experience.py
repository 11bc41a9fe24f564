"""How a visit went for the customer, and whether and when they come back.

Satisfaction is a latent score on the CSAT scale; the CSAT a customer gives (when they answer)
is this score rounded with noise. Coming back depends on it, so churn and lifetime value carry the
experience signal (see data/README.md for the parameters).
"""

from __future__ import annotations

import numpy as np

from data.generator.sampling import sigmoid

# Turnaround the shop promises per repair type, in days from drop-off to ready.
PROMISED_DAYS = {
    "screen_replacement": 0.3, "digitizer_replacement": 0.3, "battery_replacement": 0.25,
    "charging_port_replacement": 0.3, "liquid_damage_treatment": 3.0, "board_repair": 5.0,
    "software_restore": 1.0, "camera_replacement": 0.5, "audio_repair": 0.5,
    "button_repair": 0.5, "back_glass_replacement": 1.0, "keyboard_replacement": 2.0,
    "hinge_repair": 2.0, "storage_replacement": 1.0, "cooling_service": 1.0,
    "port_replacement": 1.0, "joystick_replacement": 0.3, "disc_drive_repair": 2.0,
    "antenna_repair": 2.0, "biometric_repair": 2.0,
}  # fmt: skip


SATISFACTION_BASE = 4.45
DELAY_GRACE_DAYS = 0.5  # ready by the next morning still counts as on time ...
DELAY_PENALTY_PER_DAY = 0.45  # ... then this much per day ready later than promised ...
DELAY_PENALTY_CAP_DAYS = 4.0  # ... counted up to this many days
PRICE_RISE_PENALTY = 4.0  # per 100 % of final price above the quote ...
PRICE_RISE_CAP = 0.5  # ... counted up to +50 %
REWORK_PENALTY = 1.1  # the visit is a warranty rework of an earlier repair
SATISFACTION_NOISE = 0.45
CANCELLED_SATISFACTION = (2.8, 0.6)  # mean and sd for visits cancelled at the quote

# P(come back) = sigmoid(intercept + slope × (satisfaction - base) + loyalty × min(visits, 3))
RETURN_INTERCEPT = -0.85
RETURN_SATISFACTION_SLOPE = 0.9
RETURN_LOYALTY_PER_VISIT = 0.25
RETURN_GAP_DAYS_MIN = 7
RETURN_GAP_GAMMA = (1.3, 230.0)  # shape, scale (days) of the wait beyond the minimum
NEW_DEVICE_RATE = (
    0.25,
    0.15,
    0.8,
)  # base + per year of device age, capped: comes with a new device
HOME_STORE_RATE = 0.92  # otherwise any store open by then
REWORK_GAP_DAYS = (7, 18.0, 78)  # minimum, exponential mean, cap of the extra days


def promised_days(repair_types: tuple[str, ...]) -> np.ndarray:
    """PROMISED_DAYS as an array aligned with ``repair_types`` (one per fault)."""
    return np.array([PROMISED_DAYS[t] for t in repair_types])


def satisfaction(
    rng: np.random.Generator,
    technician_effect: np.ndarray,
    delay_days: np.ndarray,
    price_rise: np.ndarray,
    is_rework: np.ndarray,
    cancelled: np.ndarray,
) -> np.ndarray:
    n = len(delay_days)
    score = (
        SATISFACTION_BASE
        + technician_effect
        - DELAY_PENALTY_PER_DAY * np.clip(delay_days - DELAY_GRACE_DAYS, 0, DELAY_PENALTY_CAP_DAYS)
        - PRICE_RISE_PENALTY * np.clip(price_rise, 0, PRICE_RISE_CAP)
        - REWORK_PENALTY * is_rework
        + rng.normal(0, SATISFACTION_NOISE, n)
    )
    return np.where(cancelled, rng.normal(*CANCELLED_SATISFACTION, n), score)


def return_probability(score: np.ndarray, previous_visits: np.ndarray) -> np.ndarray:
    return sigmoid(
        RETURN_INTERCEPT
        + RETURN_SATISFACTION_SLOPE * (score - SATISFACTION_BASE)
        + RETURN_LOYALTY_PER_VISIT * np.minimum(previous_visits, 3)
    )


def return_gaps_days(rng: np.random.Generator, n: int) -> np.ndarray:
    return RETURN_GAP_DAYS_MIN + rng.gamma(*RETURN_GAP_GAMMA, n)


def rework_gaps_days(rng: np.random.Generator, n: int) -> np.ndarray:
    low, mean, cap = REWORK_GAP_DAYS
    return low + np.minimum(rng.exponential(mean, n), cap)


def comes_with_new_device(rng: np.random.Generator, device_age_years: np.ndarray) -> np.ndarray:
    base, per_year, cap = NEW_DEVICE_RATE
    return rng.random(len(device_age_years)) < np.minimum(base + per_year * device_age_years, cap)
