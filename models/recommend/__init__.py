"""Next-best service: what to offer each customer, ranked by expected value.

Two kinds of items:

- **Repairs**, ranked by the probability that the customer's next repair is of that type given
  their device category, the device's age (bins: <1, 1–2, 2–3, 3–4, 4+ years) and their last repair
  type. The probabilities are counted from the history and smoothed toward coarser groups
  (category × age, then category, then overall) with ``SMOOTHING`` pseudo-counts, so a battery
  replacement climbs the list as a device ages, as battery wear does. Expected value =
  P(the customer returns within the horizon) × P(this repair | returning) × mean revenue of the
  repair type.
- **Offers** triggered by rules, with values from the assumptions in ``OFFERS`` (price × expected
  take-up): screen protection after a screen repair, trade-in for a device of ``TRADE_IN_AGE``
  years or more, a check-up before the ``WARRANTY_DAYS`` warranty on the last repair ends, and a
  battery check when the last description mentioned the battery but the repair was something else.

Offline evaluation (:func:`evaluate_next_repair`): at a cutoff, the model is counted on the
history before it and ranks repair types for every customer who came back after it; a hit is the
actual next repair type among the top k. The baseline ranks repair types by popularity among
repairs before the cutoff.
"""

from models.recommend.model import (
    OFFERS,
    NextRepairModel,
    evaluate_next_repair,
    fit_next_repair,
    recommend,
)

__all__ = ["OFFERS", "NextRepairModel", "evaluate_next_repair", "fit_next_repair", "recommend"]
