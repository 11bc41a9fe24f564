"""Every dashboard metric, defined once: name, label, formula and the grain it is counted at.

The SQL in this package implements exactly these formulas; pages show ``formula`` as the help
text of a number, and ``warehouse/README.md`` lists the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["eur", "count", "rate", "hours", "score", "ratio", "per_day"]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    formula: str
    grain: str  # what one counted item is, and the date that puts it in a window
    unit: Unit
    lower_is_better: bool = False


_COLLECTED = "repairs collected in the window (collected_date)"

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric(
            "revenue_eur",
            "Revenue",
            "Σ revenue_eur (price − discount)",
            _COLLECTED,
            "eur",
        ),
        Metric(
            "repairs",
            "Repairs received",
            "count of repairs, open and cancelled ones included",
            "repairs received in the window (received_date)",
            "count",
        ),
        Metric("repairs_collected", "Repairs collected", "count of repairs", _COLLECTED, "count"),
        Metric(
            "average_ticket_eur",
            "Average ticket",
            "revenue_eur ÷ repairs_collected",
            _COLLECTED,
            "eur",
        ),
        Metric(
            "gross_margin_eur",
            "Gross margin",
            "Σ gross_margin_eur (revenue − parts cost)",
            _COLLECTED,
            "eur",
        ),
        Metric(
            "gross_margin_rate",
            "Gross margin %",
            "gross_margin_eur ÷ revenue_eur",
            _COLLECTED,
            "rate",
        ),
        Metric("parts_cost_eur", "Parts cost", "Σ parts_cost_eur", _COLLECTED, "eur", True),
        Metric(
            "labour_revenue_eur",
            "Labour revenue",
            "Σ labour_revenue_eur (price − parts cost)",
            _COLLECTED,
            "eur",
        ),
        Metric(
            "median_turnaround_hours",
            "Median turnaround",
            "median received_to_ready_hours",
            "repairs ready in the window (ready_date)",
            "hours",
            True,
        ),
        Metric(
            "first_time_fix_rate",
            "First-time fix",
            "share with is_first_time_fix (completed, not a rework, never reworked)",
            _COLLECTED,
            "rate",
        ),
        Metric(
            "rework_rate",
            "Rework rate",
            "share with has_rework (a later repair redid it)",
            _COLLECTED,
            "rate",
            True,
        ),
        Metric(
            "awaiting_parts_share",
            "Time awaiting parts",
            "Σ awaiting_parts_hours ÷ Σ total_turnaround_hours",
            _COLLECTED,
            "rate",
            True,
        ),
        Metric(
            "csat",
            "CSAT",
            "mean fct_feedback.csat (1–5)",
            "feedback on the selected repairs submitted in the window (submitted_date)",
            "score",
        ),
        Metric(
            "sla_breach_rate",
            "SLA breach rate",
            "share with received_to_ready_hours > the repair type's target",
            "repairs ready in the window (ready_date)",
            "rate",
            True,
        ),
        Metric(
            "booking_conversion_rate",
            "Booking conversion",
            "bookings that became a repair ÷ bookings no longer pending",
            "bookings whose slot is in the window (slot_date)",
            "rate",
        ),
        Metric(
            "no_show_rate",
            "No-shows",
            "no_show bookings ÷ bookings no longer pending",
            "bookings whose slot is in the window (slot_date)",
            "rate",
            True,
        ),
        Metric(
            "booking_cancellation_rate",
            "Cancellations",
            "cancelled bookings ÷ bookings no longer pending",
            "bookings whose slot is in the window (slot_date)",
            "rate",
            True,
        ),
        Metric(
            "historical_value_eur",
            "Historical value per customer",
            "Σ revenue_eur of a person's collected repairs up to the window end",
            "people (canonical_customer_id) with a repair collected in the window",
            "eur",
        ),
        Metric(
            "repairs_per_day",
            "Repairs per day",
            "repairs completed ÷ days the technician recorded a status change",
            "repairs completed in the window (completed_date), per technician",
            "per_day",
        ),
        Metric(
            "labour_vs_standard",
            "Labour vs standard",
            "Σ labour_minutes ÷ Σ standard minutes of the same repair type × device category "
            "(fleet median over all history); below 1 is faster than standard",
            "repairs completed in the window (completed_date), per technician",
            "ratio",
            True,
        ),
    ]
}

KPI_NAMES = (
    "revenue_eur",
    "repairs",
    "average_ticket_eur",
    "gross_margin_rate",
    "median_turnaround_hours",
    "first_time_fix_rate",
    "csat",
)
