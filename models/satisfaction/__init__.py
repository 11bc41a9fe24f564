"""Customer satisfaction: CSAT/NPS trends, what drives a low score, comment themes, detractors.

Input everywhere is the per-repair frame of :func:`models.clv.history.customer_repairs`.
"""

from models.satisfaction.drivers import DRIVERS, DriverEffects, low_score_drivers
from models.satisfaction.themes import comment_themes, key_phrases
from models.satisfaction.trends import detractors, satisfaction_trend

__all__ = [
    "DRIVERS",
    "DriverEffects",
    "comment_themes",
    "detractors",
    "key_phrases",
    "low_score_drivers",
    "satisfaction_trend",
]
