"""Watching production models: input and performance drift per kind, and candidate-versus-
production comparisons on a shared hold-out.

See :mod:`models.monitoring.drift` (the statistics), :mod:`models.monitoring.report` (the
per-kind report and its thresholds) and :mod:`models.monitoring.compare`.
"""

from models.monitoring.compare import Comparison, compare
from models.monitoring.drift import js_divergence, psi, relative_change, token_counts
from models.monitoring.report import Check, MonitoringReport, monitor

__all__ = [
    "Check",
    "Comparison",
    "MonitoringReport",
    "compare",
    "js_divergence",
    "monitor",
    "psi",
    "relative_change",
    "token_counts",
]
