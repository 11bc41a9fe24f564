"""Customer behaviour: RFM segments with names, cohort retention, repeat-repair patterns and the
channel and device mix of each segment.

Input is the per-repair frame of :func:`models.clv.history.customer_repairs`; visits are repairs
the customer chose to make (warranty reworks and desk cancellations left out,
:func:`models.clv.history.visits`).

**RFM scores** (1–5, 5 best), as of a day ``as_of``:

- R: days since the last visit, in quintiles over customers (most recent fifth → 5);
- F: visits, on fixed steps because most repair customers come once: 1 → 1, 2 → 3, 3 → 4,
  4 or more → 5;
- M: total revenue, in quintiles over customers.

Quintiles are by rank (ties broken by customer id), so each score holds a fifth of the customers.

**Segments** from R and the number of visits (the first rule that matches):

| segment | rule | what to do |
|---|---|---|
| Champions | R ≥ 4, 3+ visits | thank, ask for reviews and referrals |
| Loyal regulars | R ≥ 3, 2+ visits | loyalty offers, priority booking |
| Slipping regulars | R ≤ 2, 2+ visits | win back now: they used to come back |
| New customers | R ≥ 4, 1 visit | follow up after the first repair |
| Drifting one-timers | R = 3, 1 visit | a reminder with a useful offer |
| Dormant one-timers | R ≤ 2, 1 visit | low-cost reactivation, or let go |
"""

from models.behaviour.cohorts import cohort_retention, repeat_patterns
from models.behaviour.rfm import SEGMENT_ACTIONS, rfm_segments, segment_mix, segment_summary

__all__ = [
    "SEGMENT_ACTIONS",
    "cohort_retention",
    "repeat_patterns",
    "rfm_segments",
    "segment_mix",
    "segment_summary",
]
